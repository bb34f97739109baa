"""X/Twitter archive ("Download an archive of your data"), unzipped.

Layout read here:
  data/tweets.js           window.YTD.tweets.part0 = [ {"tweet": {...}}, ... ]
  data/tweets-part1.js     ...part1 = [...] (large archives are split; older ones say tweet.js)
  data/account.js          window.YTD.account.part0 = [ {"account": {"username", "accountDisplayName"}} ]
  data/tweets_media/       "<tweet id>-<media file name>" for every photo (tweet_media/ in old archives)
Text is `full_text` with the HTML entities the archive keeps (&amp; &lt; &gt;) decoded.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postguard.ingest.csvfile import unique_id
from postguard.ingest.jsonarray import iter_array, read_text
from postguard.ingest.paths import media_file
from postguard.model import InputError, Post

if TYPE_CHECKING:
    from postguard.ingest.exports import ReaderOptions

_PART = re.compile(r"^(tweets?)(?:-part(\d+))?\.js$")
_MEDIA_DIRS = ("tweets_media", "tweet_media")


def tweet_files(data_dir: Path) -> list[Path]:
    """tweets.js, tweets-part1.js, ... (or the old tweet.js) in part order."""
    found: list[tuple[int, Path]] = []
    if data_dir.is_dir():
        for p in data_dir.iterdir():
            m = _PART.match(p.name)
            if m and p.is_file():
                found.append((int(m.group(2) or 0), p))
    return [p for _, p in sorted(found)]


def archive_root(path: Path) -> tuple[Path, list[Path]]:
    """(archive root, tweet files) for an archive folder, its data/ folder, or one tweets*.js file."""
    if path.is_file():
        data_dir = path.parent
        root = data_dir.parent if data_dir.name == "data" else data_dir
        return root, [path]
    if (path / "data").is_dir() and tweet_files(path / "data"):
        return path, tweet_files(path / "data")
    return (path.parent if path.name == "data" else path), tweet_files(path)


def js_payload_start(text: str) -> int:
    """Where the JSON starts in `window.YTD.x.partN = [...]` (0 if the file is plain JSON)."""
    head = text[:200]
    eq = head.find("=")
    bracket = head.find("[")
    if eq != -1 and (bracket == -1 or eq < bracket):
        return eq + 1
    return 0


def read_account(data_dir: Path) -> dict[str, Any]:
    """The `account` object of data/account.js, or {} when absent or unreadable."""
    path = data_dir / "account.js"
    if not path.is_file():
        return {}
    text = read_text(path)
    if isinstance(text, InputError):
        return {}
    for item in iter_array(text, os.fspath(path), js_payload_start(text)):
        if not isinstance(item, InputError) and isinstance(item.value, dict):
            account = item.value.get("account", item.value)
            return account if isinstance(account, dict) else {}
    return {}


def read(path: Path, options: ReaderOptions) -> Iterator[Post | InputError]:
    root, files = archive_root(path)
    if not files:
        yield InputError(os.fspath(path), "no data/tweets.js here; point at the unzipped X/Twitter archive")
        return
    data_dir = files[0].parent
    account_info = read_account(data_dir)
    username = str(account_info.get("username") or "") or None
    account = options.account or username or root.resolve().name
    media_dir = next(
        (data_dir / d for d in _MEDIA_DIRS if (data_dir / d).is_dir()), data_dir / _MEDIA_DIRS[0]
    )
    seen: set[str] = set()
    for file in files:
        name = os.fspath(file)
        text = read_text(file)
        if isinstance(text, InputError):
            yield text
            continue
        for item in iter_array(text, name, js_payload_start(text)):
            if isinstance(item, InputError):
                yield item
                continue
            yield _tweet(
                item.value, f"{name}:entry {item.number}", name, account, username, data_dir, media_dir, seen
            )


def _tweet(
    value: Any,
    where: str,
    source_path: str,
    account: str,
    username: str | None,
    data_dir: Path,
    media_dir: Path,
    seen: set[str],
) -> Post | InputError:
    tweet = value.get("tweet", value) if isinstance(value, dict) else None
    if not isinstance(tweet, dict):
        return InputError(where, "not a tweet object; skipped")
    tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
    text = tweet.get("full_text", tweet.get("text"))
    if not tweet_id or not isinstance(text, str):
        return InputError(where, "tweet without id_str or full_text; skipped")
    published = None
    created = tweet.get("created_at")
    if isinstance(created, str):
        try:
            published = datetime.strptime(created, "%a %b %d %H:%M:%S %z %Y").isoformat()
        except ValueError:
            published = None
    images: list[str] = []
    errors: list[InputError] = []
    videos: list[str] = []
    for media in _media(tweet):
        url = str(media.get("media_url_https") or media.get("media_url") or "")
        base = url.rsplit("/", 1)[-1].split("?", 1)[0]
        if media.get("type", "photo") != "photo":
            videos.append(url)  # the archive holds the video, not this thumbnail; OCR reads images only
            continue
        if not base:
            continue
        rel = os.fspath(media_dir.relative_to(data_dir) / f"{tweet_id}-{base}")
        found, err = media_file(data_dir, rel, where, "the tweet was read without it")
        if found and found not in images:
            images.append(found)
        if err:
            errors.append(err)
    meta: dict[str, Any] = {}
    if tweet.get("lang"):
        meta["lang"] = tweet["lang"]
    if tweet.get("in_reply_to_status_id_str"):
        meta["in_reply_to"] = tweet["in_reply_to_status_id_str"]
    if text.startswith("RT @"):
        meta["retweet"] = True
    if videos:
        meta["videos"] = videos
    return Post(
        id=unique_id(tweet_id, seen),
        text=html.unescape(text),
        images=tuple(images),
        account=account,
        platform="twitter",
        published_at=published,
        url=f"https://x.com/{username or 'i'}/status/{tweet_id}",
        source=where,
        source_path=source_path,
        meta=meta,
        errors=tuple(errors),
    )


def _media(tweet: dict[str, Any]) -> list[dict[str, Any]]:
    """extended_entities.media (all photos) if present, else entities.media (the first only)."""
    for key in ("extended_entities", "entities"):
        group = tweet.get(key)
        if isinstance(group, dict) and isinstance(group.get("media"), list):
            return [m for m in group["media"] if isinstance(m, dict)]
    return []
