"""Facebook "Download your information" export (JSON format), unzipped.

Layout read here (older exports lack the your_facebook_activity/ level and name the file
your_posts_1.json):
  your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json
      [ {"timestamp": ..., "data": [{"post": "text"}, {"update_timestamp": ...}],
         "attachments": [{"data": [{"media": {"uri": "your_facebook_activity/posts/media/...jpg",
                                              "description": "..."}},
                                   {"place": {"name": ..., "coordinate": {...}}},
                                   {"external_context": {"url": ...}}]}],
         "title": "Dr A updated her status."} ]
  personal_information/profile_information/profile_information.json   profile_v2.name.full_name
Media `uri`s are relative to the export root. Strings carry Meta's mojibake (see instagram.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postguard.ingest.csvfile import from_epoch, unique_id
from postguard.ingest.instagram import IMAGE_SUFFIXES, first_json, read_meta_export, string_at
from postguard.ingest.paths import media_file
from postguard.model import InputError, Post

if TYPE_CHECKING:
    from postguard.ingest.exports import ReaderOptions

_POSTS_FILE = re.compile(r"^your_posts.*?_(\d+)\.json$")


def posts_files(posts_dir: Path) -> list[Path]:
    found = []
    if posts_dir.is_dir():
        for p in posts_dir.iterdir():
            m = _POSTS_FILE.match(p.name)
            if m and p.is_file():
                found.append((int(m.group(1)), p.name, p))
    return [p for _, _, p in sorted(found)]


def export_root(path: Path) -> tuple[Path, list[Path]]:
    """(export root, your_posts*_N.json files) for the export folder or one posts file."""
    if path.is_file():
        root = path.parent.parent
        if root.name == "your_facebook_activity":
            root = root.parent
        return root, [path]
    for posts_dir in (path / "your_facebook_activity" / "posts", path / "posts"):
        files = posts_files(posts_dir)
        if files:
            return path, files
    return path, []


def account_name(root: Path) -> str | None:
    profile = first_json(root / "personal_information" / "profile_information" / "profile_information.json")
    if profile is None:
        profile = first_json(root / "profile_information" / "profile_information.json")
    return string_at(profile, "profile_v2", "name", "full_name")


def read(path: Path, options: ReaderOptions) -> Iterator[Post | InputError]:
    yield from read_meta_export(
        path, options, find=export_root, account_of=account_name, make_post=_post,
        missing="no your_facebook_activity/posts/your_posts_*.json here; point at the unzipped Facebook export",
    )


def _post(
    value: Any, where: str, source_path: str, root: Path, account: str, seen: set[str]
) -> Post | InputError | None:
    if not isinstance(value, dict):
        return InputError(where, "not a post object; skipped")
    texts = [d["post"] for d in value.get("data") or [] if isinstance(d, dict) and string_at(d, "post")]
    images: list[str] = []
    errors: list[InputError] = []
    descriptions: list[str] = []
    meta: dict[str, Any] = {}
    for attachment in value.get("attachments") or []:
        for data in attachment.get("data") or [] if isinstance(attachment, dict) else []:
            if not isinstance(data, dict):
                continue
            uri = string_at(data, "media", "uri")
            if uri is not None:
                description = string_at(data, "media", "description")
                if description:
                    descriptions.append(description)
                if Path(uri).suffix.lower() not in IMAGE_SUFFIXES:
                    meta.setdefault("videos", []).append(uri)
                    continue
                found, err = media_file(root, uri, where, "the post was read without it")
                if found:
                    images.append(found)
                if err:
                    errors.append(err)
            if isinstance(data.get("place"), dict):
                meta["place"] = data["place"]  # a check-in can itself identify where a patient was seen
            url = string_at(data, "external_context", "url")
            if url:
                meta.setdefault("links", []).append(url)
    # the post text; a photo posted without one carries its caption as the photo's description
    text = "\n".join(texts) or "\n".join(dict.fromkeys(descriptions))
    if not text and not images:
        return None  # "X shared a memory", profile-picture changes: nothing the author wrote
    if string_at(value, "title"):
        meta["title"] = value["title"]
    timestamp = value.get("timestamp")
    stamp = timestamp if isinstance(timestamp, (int, float)) and timestamp else None
    candidate = f"fb-{int(stamp)}" if stamp else f"fb-entry-{where.rsplit(' ', 1)[-1]}"
    return Post(
        id=unique_id(candidate, seen),
        text=text,
        images=tuple(images),
        account=account,
        platform="facebook",
        published_at=from_epoch(float(stamp)) if stamp else None,
        url=None,  # the export does not record post ids or links
        source=where,
        source_path=source_path,
        meta=meta,
        errors=tuple(errors),
    )
