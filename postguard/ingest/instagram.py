"""Instagram "Download your information" export (JSON format), unzipped.

Layout read here (current exports; older ones lack the your_instagram_activity/ level):
  your_instagram_activity/content/posts_1.json   [ {"media": [{"uri", "creation_timestamp", "title"}],
                                                    "title": "caption", "creation_timestamp": ...} ]
  media/posts/202301/<file>.jpg                  media `uri`s are relative to the export root
  personal_information/personal_information/personal_information.json   profile_user[0].string_map_data
A single-photo post often has no top-level title: its caption is the first media's title.

Meta writes every non-ASCII string as its UTF-8 bytes escaped one by one (`\\u00e6\\u0082\\u00a3`
for 患), so a parsed string is mojibake until re-encoded; `fix_mojibake` undoes that.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postguard.ingest.csvfile import from_epoch, unique_id
from postguard.ingest.jsonarray import Entry, iter_array, read_text
from postguard.ingest.paths import media_file
from postguard.model import InputError, Post

if TYPE_CHECKING:
    from postguard.ingest.exports import ReaderOptions

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".bmp", ".tif", ".tiff"})
_POSTS_FILE = re.compile(r"^posts_(\d+)\.json$")


def fix_mojibake(value: Any) -> Any:
    """Undo Meta's encoding quirk in a string, or in every string inside lists/dicts.

    A string is re-read as UTF-8 only when that round-trips; text that is not mojibake (plain ASCII,
    or real Latin-1 such as "café" from a fixed export) stays as it is.
    """
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    if isinstance(value, list):
        return [fix_mojibake(v) for v in value]
    if isinstance(value, dict):
        return {fix_mojibake(k): fix_mojibake(v) for k, v in value.items()}
    return value


def meta_entries(path: Path) -> Iterator[Entry | InputError]:
    """Entries of a Meta export JSON file (a top-level array, or an object holding one), fixed."""
    name = os.fspath(path)
    text = read_text(path)
    if isinstance(text, InputError):
        yield text
        return
    stripped = text.lstrip()
    if stripped.startswith("{"):
        # some files wrap the list: {"ig_archived_post_media": [...]}; those are small enough to load
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield InputError(f"{name}:{exc.lineno}", f"not valid JSON ({exc.msg}); re-download the export")
            return
        lists = [v for v in obj.values() if isinstance(v, list)] if isinstance(obj, dict) else []
        if not lists:
            yield InputError(name, "no list of posts in this JSON object; nothing read")
            return
        for number, value in enumerate(lists[0], 1):
            yield Entry(number, 0, fix_mojibake(value))
        return
    for item in iter_array(text, name):
        if isinstance(item, InputError):
            yield item
        else:
            yield Entry(item.number, item.line, fix_mojibake(item.value))


def string_at(obj: Any, *keys: str | int) -> str | None:
    """obj[k1][k2]... if it is a non-empty string, else None."""
    for k in keys:
        if isinstance(k, int):
            obj = obj[k] if isinstance(obj, list) and len(obj) > k else None
        else:
            obj = obj.get(k) if isinstance(obj, dict) else None
    return obj if isinstance(obj, str) and obj.strip() else None


def first_json(path: Path) -> Any:
    """A small JSON file (profile information), fixed; None when absent or unreadable."""
    if not path.is_file():
        return None
    text = read_text(path)
    if isinstance(text, InputError):
        return None
    try:
        return fix_mojibake(json.loads(text))
    except json.JSONDecodeError:
        return None


def posts_files(content_dir: Path) -> list[Path]:
    found = []
    if content_dir.is_dir():
        for p in content_dir.iterdir():
            m = _POSTS_FILE.match(p.name)
            if m and p.is_file():
                found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def export_root(path: Path) -> tuple[Path, list[Path]]:
    """(export root, posts_N.json files) for the export folder or one posts_N.json file."""
    if path.is_file():
        content = path.parent
        root = content.parent
        if root.name == "your_instagram_activity":
            root = root.parent
        return root, [path]
    for content in (path / "your_instagram_activity" / "content", path / "content"):
        files = posts_files(content)
        if files:
            return path, files
    return path, []


def account_name(root: Path) -> str | None:
    profile = first_json(root / "personal_information" / "personal_information" / "personal_information.json")
    if profile is None:  # exports from before 2024 put it one level up
        profile = first_json(root / "personal_information" / "personal_information.json")
    return string_at(profile, "profile_user", 0, "string_map_data", "Username", "value")


def read_meta_export(
    path: Path,
    options: ReaderOptions,
    *,
    find: Callable[[Path], tuple[Path, list[Path]]],
    account_of: Callable[[Path], str | None],
    make_post: Callable[[Any, str, str, Path, str, set[str]], Post | InputError | None],
    missing: str,
) -> Iterator[Post | InputError]:
    """The loop Meta's exports share (Instagram, Facebook): find the post files, name the account, read
    each file's entries, and turn each into a Post with its file and entry number as the source."""
    root, files = find(path)
    if not files:
        yield InputError(os.fspath(path), missing)
        return
    account = options.account or account_of(root) or root.resolve().name
    seen: set[str] = set()
    for file in files:
        name = os.fspath(file)
        for item in meta_entries(file):
            if isinstance(item, InputError):
                yield item
                continue
            post = make_post(item.value, f"{name}:entry {item.number}", name, root, account, seen)
            if post is not None:
                yield post


def read(path: Path, options: ReaderOptions) -> Iterator[Post | InputError]:
    yield from read_meta_export(
        path, options, find=export_root, account_of=account_name, make_post=_post,
        missing="no your_instagram_activity/content/posts_1.json here; point at the unzipped Instagram export",
    )


def _post(
    value: Any, where: str, source_path: str, root: Path, account: str, seen: set[str]
) -> Post | InputError:
    if not isinstance(value, dict):
        return InputError(where, "not a post object; skipped")
    media = [m for m in value.get("media") or [] if isinstance(m, dict)]
    caption = string_at(value, "title") or next(
        (string_at(m, "title") for m in media if string_at(m, "title")), ""
    )
    timestamp = value.get("creation_timestamp")
    if not isinstance(timestamp, (int, float)) and media:
        timestamp = media[0].get("creation_timestamp")
    images: list[str] = []
    videos: list[str] = []
    errors: list[InputError] = []
    gps: list[dict[str, Any]] = []
    for m in media:
        for exif in (m.get("media_metadata") or {}).get("photo_metadata", {}).get("exif_data") or []:
            if isinstance(exif, dict) and "latitude" in exif:
                gps.append({"latitude": exif.get("latitude"), "longitude": exif.get("longitude")})
        uri = string_at(m, "uri")
        if uri is None:
            continue
        if Path(uri).suffix.lower() not in IMAGE_SUFFIXES:
            videos.append(uri)  # reels and videos: nothing for OCR to read
            continue
        found, err = media_file(root, uri, where, "the post was read without it")
        if found:
            images.append(found)
        if err:
            errors.append(err)
    if not caption and not images and not videos:
        return InputError(where, "post without caption or media; skipped")
    first_uri = string_at(media, 0, "uri")
    candidate = Path(first_uri).stem if first_uri else f"ig-{where.rsplit(' ', 1)[-1]}"
    return Post(
        id=unique_id(candidate, seen),
        text=caption or "",
        images=tuple(images),
        account=account,
        platform="instagram",
        published_at=from_epoch(float(timestamp))
        if isinstance(timestamp, (int, float)) and timestamp
        else None,
        url=None,  # the export does not record the post's shortcode
        source=where,
        source_path=source_path,
        # Instagram strips EXIF from the files but keeps the location here: report it with the post
        meta={k: v for k, v in (("videos", videos), ("gps", gps)) if v},
        errors=tuple(errors),
    )
