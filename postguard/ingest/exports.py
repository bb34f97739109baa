"""Registry of readers for platform exports and tabular files, and detection of which one fits.

    reader = EXPORT_READERS[detect_export(path) or "csv"]
    for item in reader(path, ReaderOptions(text_column="content")):
        ...  # a Post, or an InputError to report (reading goes on after it)

Every reader takes the export folder or the specific file inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from postguard.ingest import csvfile, facebook, instagram, jsonarray, twitter, weibo
from postguard.model import InputError, Post


@dataclass(frozen=True)
class ReaderOptions:
    """Column names for CSV/JSON input (None: try the usual names) and the default account."""

    text_column: str | None = None
    id_column: str | None = None
    date_column: str | None = None
    account_column: str | None = None
    images_column: str | None = None
    account: str | None = None


Reader = Callable[[Path, ReaderOptions], Iterator["Post | InputError"]]

EXPORT_READERS: dict[str, Reader] = {
    "twitter": twitter.read,
    "instagram": instagram.read,
    "facebook": facebook.read,
    "weibo": weibo.read,
    "csv": csvfile.read,
    "json": jsonarray.read,
}


def detect_export(path: Path) -> str | None:
    """The reader name for an export folder or file, or None if it is none of the known shapes."""
    if path.is_dir():
        return _detect_dir(path)
    if path.is_file():
        return _detect_file(path)
    return None


def _detect_dir(path: Path) -> str | None:
    if twitter.tweet_files(path / "data") or (path.name == "data" and twitter.tweet_files(path)):
        return "twitter"
    if (path / "your_instagram_activity" / "content" / "posts_1.json").is_file():
        return "instagram"
    if facebook.posts_files(path / "your_facebook_activity" / "posts"):
        return "facebook"
    # exports from before 2024: content/ and posts/ at the top level
    if instagram.posts_files(path / "content"):
        return "instagram"
    if facebook.posts_files(path / "posts"):
        return "facebook"
    if weibo.weibo_csvs(path):
        return "weibo"
    return None


def _detect_file(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".js" and twitter.tweet_files(path.parent) and path in twitter.tweet_files(path.parent):
        return "twitter"
    if suffix == ".csv":
        if weibo.header_matches(path):
            return "weibo"
        # weibo-crawler's users.csv (profiles, no posts) sits beside the user folders
        return None if weibo.header_matches(path, ("用户id", "昵称")) else "csv"
    if suffix != ".json":
        return None
    parents = [p.name for p in path.parents][:3]
    if (
        instagram.posts_files(path.parent)
        and path in instagram.posts_files(path.parent)
        and (parents[:2] == ["content", "your_instagram_activity"] or parents[:1] == ["content"])
    ):
        return "instagram"
    if path in facebook.posts_files(path.parent) and parents[:1] == ["posts"]:
        return "facebook"
    return "json" if _starts_array_of_objects(path) else None


def _starts_array_of_objects(path: Path) -> bool:
    """True when the file starts `[ {` or is `[]`: an array of post objects (read only the head)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8-sig", errors="replace").lstrip()
    except OSError:
        return False
    if not head.startswith("["):
        return False
    rest = head[1:].lstrip()
    return rest.startswith(("{", "]"))
