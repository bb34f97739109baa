from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from postguard.ingest import facebook
from postguard.ingest.exports import ReaderOptions, detect_export
from postguard.model import InputError, Post

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"
EXPORT = EXPORTS / "facebook-export"
POSTS = Path("your_facebook_activity") / "posts" / "your_posts__check_ins__photos_and_videos_1.json"


def split(items: Iterable[Post | InputError]) -> tuple[list[Post], list[InputError]]:
    items = list(items)
    return [i for i in items if isinstance(i, Post)], [i for i in items if isinstance(i, InputError)]


def meta_dump(obj: Any) -> str:
    def moji(o: Any) -> Any:
        if isinstance(o, str):
            return o.encode("utf-8").decode("latin-1")
        if isinstance(o, list):
            return [moji(v) for v in o]
        if isinstance(o, dict):
            return {k: moji(v) for k, v in o.items()}
        return o

    return json.dumps(moji(obj), indent=2, ensure_ascii=True)


def test_posts_are_read_with_encoding_fixed_and_account_from_profile() -> None:
    raw = (EXPORT / POSTS).read_text(encoding="utf-8")
    assert "\\u00e6\\u009f\\u00a5" in raw  # 查, escaped byte by byte as Facebook writes it
    posts, errors = split(facebook.read(EXPORT, ReaderOptions()))
    assert errors == []
    # the profile-picture entry carries nothing the author wrote and is left out
    assert len(posts) == 3
    first = posts[0]
    assert first.text == "查房时和张阿姨（肺癌晚期，12床）合影，她今天精神不错！"
    assert first.account == "陈静"
    assert first.platform == "facebook"
    assert first.published_at == "2024-03-06T06:00:00+00:00"
    assert first.id == "fb-1709704800"
    assert first.source.endswith("_1.json:entry 1")
    assert len(first.images) == 1 and Path(first.images[0]).is_file()


def test_check_in_place_is_kept_in_meta() -> None:
    posts, _ = split(facebook.read(EXPORT, ReaderOptions()))
    assert posts[2].meta["place"]["name"] == "Riverside General Hospital"
    assert posts[2].text.startswith("Another long night shift")


def test_reading_the_posts_file_itself_finds_the_export_root() -> None:
    posts, errors = split(facebook.read(EXPORT / POSTS, ReaderOptions()))
    assert (
        not errors and len(posts) == 3 and Path(posts[0].images[0]).is_file() and posts[0].account == "陈静"
    )


def test_photo_caption_is_the_text_when_the_post_has_none(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("facebook-export")
    uri = "your_facebook_activity/posts/media/Mobileuploads_10160001234567890/430123456789012_1234567890123456_n.jpg"
    (root / POSTS).write_text(
        meta_dump(
            [
                {
                    "timestamp": 1709704800,
                    "attachments": [{"data": [{"media": {"uri": uri, "description": "病房合影"}}]}],
                },
            ]
        ),
        encoding="utf-8",
    )
    posts, _ = split(facebook.read(root, ReaderOptions()))
    assert posts[0].text == "病房合影" and len(posts[0].images) == 1


def test_traversal_and_missing_media_are_errors_on_the_post(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("facebook-export")
    (root / POSTS).write_text(
        meta_dump(
            [
                {
                    "timestamp": 1,
                    "data": [{"post": "one"}],
                    "attachments": [{"data": [{"media": {"uri": "../../../../etc/passwd.jpg"}}]}],
                },
                {
                    "timestamp": 2,
                    "data": [{"post": "two"}],
                    "attachments": [
                        {"data": [{"media": {"uri": "your_facebook_activity/posts/media/gone.jpg"}}]}
                    ],
                },
            ]
        ),
        encoding="utf-8",
    )
    posts, errors = split(facebook.read(root, ReaderOptions()))
    assert errors == [] and [p.text for p in posts] == ["one", "two"]
    assert posts[0].images == () and "outside the export" in posts[0].errors[0].message
    assert posts[1].images == () and "gone.jpg" in posts[1].errors[0].message
    assert posts[1].errors[0].source.endswith("_1.json:entry 2")


def test_account_defaults_to_the_folder_name(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("facebook-export")
    (root / "personal_information" / "profile_information" / "profile_information.json").unlink()
    posts, _ = split(facebook.read(root, ReaderOptions()))
    assert {p.account for p in posts} == {"facebook-export"}


def test_detect_export_for_folder_and_file() -> None:
    assert detect_export(EXPORT) == "facebook"
    assert detect_export(EXPORT / POSTS) == "facebook"
