from __future__ import annotations

from pathlib import Path

from postguard.ingest.exports import EXPORT_READERS, ReaderOptions, detect_export
from postguard.model import InputError, Post

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"


def test_every_fixture_is_detected_and_read_by_the_named_reader() -> None:
    expected = {
        "twitter-archive": "twitter",
        "instagram-export": "instagram",
        "facebook-export": "facebook",
        "weibo/李医生说健康": "weibo",
        "csv/posts.csv": "csv",
        "json/posts.json": "json",
    }
    for rel, name in expected.items():
        assert detect_export(EXPORTS / rel) == name, rel
        items = list(EXPORT_READERS[name](EXPORTS / rel, ReaderOptions()))
        assert items and all(isinstance(i, Post) for i in items), rel
        assert all(Path(img).is_file() for i in items if isinstance(i, Post) for img in i.images)


def test_unknown_shapes_are_not_claimed(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert detect_export(tmp_path) is None
    assert detect_export(tmp_path / "notes.txt") is None
    assert detect_export(tmp_path / "missing") is None
    assert detect_export(EXPORTS / "twitter-archive" / "data" / "tweets_media") is None


def test_readers_given_a_folder_without_their_export_say_what_to_point_at(tmp_path: Path) -> None:
    for name in ("twitter", "instagram", "facebook", "weibo"):
        items = list(EXPORT_READERS[name](tmp_path, ReaderOptions()))
        assert len(items) == 1 and isinstance(items[0], InputError), name
        assert "point at" in items[0].message


def test_a_named_column_that_is_absent_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("text\nhello\n", encoding="utf-8")
    items = list(EXPORT_READERS["csv"](f, ReaderOptions(date_column="when")))
    errors = [i for i in items if isinstance(i, InputError)]
    assert len(errors) == 1 and "--date-column 'when'" in errors[0].message
    assert [i.text for i in items if isinstance(i, Post)] == ["hello"]
