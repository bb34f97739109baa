from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from postguard.ingest import instagram
from postguard.ingest.exports import ReaderOptions, detect_export
from postguard.model import InputError, Post

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"
EXPORT = EXPORTS / "instagram-export"
POSTS = Path("your_instagram_activity") / "content" / "posts_1.json"


def split(items: Iterable[Post | InputError]) -> tuple[list[Post], list[InputError]]:
    items = list(items)
    return [i for i in items if isinstance(i, Post)], [i for i in items if isinstance(i, InputError)]


def meta_dump(obj: Any) -> str:
    """Write JSON the way Meta does: every UTF-8 byte of a string as its own \\u00XX escape."""

    def moji(o: Any) -> Any:
        if isinstance(o, str):
            return o.encode("utf-8").decode("latin-1")
        if isinstance(o, list):
            return [moji(v) for v in o]
        if isinstance(o, dict):
            return {k: moji(v) for k, v in o.items()}
        return o

    return json.dumps(moji(obj), indent=2, ensure_ascii=True)


def test_fixture_really_has_the_encoding_quirk() -> None:
    raw = (EXPORT / POSTS).read_text(encoding="utf-8")
    assert "\\u00e6\\u009c\\u00af" in raw  # 术 as three escaped bytes, as Instagram writes it


def test_posts_are_read_with_chinese_captions_fixed_and_account_from_profile() -> None:
    posts, errors = split(instagram.read(EXPORT, ReaderOptions()))
    assert errors == []
    assert len(posts) == 3
    first = posts[0]
    # single-photo post: the caption lives in the first media's title
    assert first.text == "术后第三天复查，恢复良好！感谢患者的信任 🙏 #骨科医生"
    assert first.account == "dr.wangfang"
    assert first.platform == "instagram"
    assert first.published_at == "2024-03-10T09:00:00+00:00"
    assert first.source.endswith("posts_1.json:entry 1")
    assert [Path(p).is_file() for p in first.images] == [True]
    assert first.meta["gps"] == [{"latitude": 31.2304, "longitude": 121.4737}]


def test_carousel_caption_comes_from_the_post_title_and_keeps_all_photos() -> None:
    posts, _ = split(instagram.read(EXPORT, ReaderOptions()))
    carousel = posts[1]
    assert carousel.text.startswith("Sunday clinic: new patients welcome — 50% off")
    assert len(carousel.images) == 2 and all(Path(p).is_file() for p in carousel.images)


def test_a_reel_is_read_for_its_caption_without_images() -> None:
    posts, _ = split(instagram.read(EXPORT, ReaderOptions()))
    reel = posts[2]
    assert reel.text.startswith("Quick tips on sunscreen ☀️")
    assert reel.images == () and reel.errors == ()
    assert reel.meta["videos"][0].endswith(".mp4")


def test_fix_mojibake_round_trips_only_when_it_is_mojibake() -> None:
    assert instagram.fix_mojibake("\u00e6\u0082\u00a3\u00e8\u0080\u0085") == "患者"
    assert instagram.fix_mojibake("plain ASCII") == "plain ASCII"
    assert instagram.fix_mojibake("café") == "café"  # real Latin-1, not mojibake: left alone
    assert instagram.fix_mojibake(["\u00e5\u008c\u00bb", {"k": "\u00e7\u0094\u009f"}]) == ["医", {"k": "生"}]


def test_media_paths_leaving_the_export_are_refused(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("instagram-export")
    (root.parent / "secret.jpg").write_bytes(b"not for reading")
    (root / POSTS).write_text(
        meta_dump(
            [
                {"media": [{"uri": "../secret.jpg", "creation_timestamp": 1710061200, "title": "越界"}]},
                {
                    "media": [
                        {
                            "uri": str(root.parent / "secret.jpg"),
                            "creation_timestamp": 1710061200,
                            "title": "absolute",
                        }
                    ]
                },
            ]
        ),
        encoding="utf-8",
    )
    posts, errors = split(instagram.read(root, ReaderOptions()))
    assert errors == []
    assert [p.text for p in posts] == ["越界", "absolute"]
    for post in posts:
        assert post.images == ()
        assert len(post.errors) == 1 and "outside the export" in post.errors[0].message


def test_missing_media_is_reported_and_the_post_still_read(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("instagram-export")
    for f in (root / "media" / "posts" / "202403").glob("431234569_*"):
        f.unlink()
    posts, errors = split(instagram.read(root, ReaderOptions()))
    assert errors == []
    carousel = posts[1]
    assert len(carousel.images) == 1
    assert len(carousel.errors) == 1
    assert carousel.errors[0].source.endswith("posts_1.json:entry 2")
    assert "431234569_" in carousel.errors[0].message


def test_account_defaults_to_the_export_folder_name(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("instagram-export")
    (root / "personal_information" / "personal_information" / "personal_information.json").unlink()
    posts, _ = split(instagram.read(root, ReaderOptions()))
    assert {p.account for p in posts} == {"instagram-export"}


def test_malformed_json_keeps_what_can_be_read(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("instagram-export")
    text = (root / POSTS).read_text(encoding="utf-8")
    cut = text.index('"title"', text.index("431234568_"))
    (root / POSTS).write_text(text[:cut], encoding="utf-8")
    posts, errors = split(instagram.read(root, ReaderOptions()))
    assert len(posts) == 1 and posts[0].text.startswith("术后")
    assert len(errors) == 1 and "entry 2" in errors[0].message
    assert errors[0].source == f"{root / POSTS}:{text[:cut].count(chr(10)) + 1}"


def test_detect_export_for_folder_file_and_the_older_layout(export_copy: Callable[[str], Path]) -> None:
    assert detect_export(EXPORT) == "instagram"
    assert detect_export(EXPORT / POSTS) == "instagram"
    root = export_copy("instagram-export")
    (root / "your_instagram_activity").rename(root / "old")
    (root / "old" / "content").rename(root / "content")
    assert detect_export(root) == "instagram"
    posts, errors = split(instagram.read(root, ReaderOptions()))
    assert not errors and len(posts) == 3 and all(Path(p).is_file() for p in posts[1].images)
