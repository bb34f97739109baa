from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from postguard.ingest import csvfile
from postguard.ingest.exports import ReaderOptions, detect_export
from postguard.model import InputError, Post

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"
POSTS_CSV = EXPORTS / "csv" / "posts.csv"


def split(items: Iterable[Post | InputError]) -> tuple[list[Post], list[InputError]]:
    items = list(items)
    return [i for i in items if isinstance(i, Post)], [i for i in items if isinstance(i, InputError)]


def test_fixture_rows_become_posts_with_default_columns() -> None:
    posts, errors = split(csvfile.read(POSTS_CSV, ReaderOptions()))
    assert errors == []
    assert [p.id for p in posts] == ["p1", "p2", "p3"]
    assert posts[1].text.startswith("出院小结")
    assert posts[1].account == "dr_zhao"
    assert posts[1].published_at == "2024-06-02T14:30:00"
    assert posts[1].source == f"{POSTS_CSV}:3"
    assert [Path(p).is_file() for p in posts[1].images] == [True]
    assert posts[2].text.endswith('and "quotes" inside.')


def test_row_with_wrong_field_count_is_reported_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "posts.csv"
    f.write_text(
        'id,text,date\n1,"first, quoted\nover two lines",2024-01-01\n2,second,2024-01-02,extra\n3,third,\n',
        encoding="utf-8",
    )
    posts, errors = split(csvfile.read(f, ReaderOptions()))
    assert [p.id for p in posts] == ["1", "3"]
    assert posts[0].text == "first, quoted\nover two lines" and posts[0].source == f"{f}:2"
    assert posts[1].source == f"{f}:5"  # line numbers count the quoted line break
    assert len(errors) == 1
    assert errors[0].source == f"{f}:4"
    assert "4 fields" in errors[0].message and "header has 3" in errors[0].message


def test_named_columns_and_image_lists_split_on_comma_semicolon_space(tmp_path: Path) -> None:
    for name in ("a.png", "b.png", "c.png"):
        (tmp_path / name).write_bytes(b"x")
    f = tmp_path / "export.csv"
    f.write_text(
        "微博正文,编号,发布,作者,图\n你好,7,2024年3月1日 9:30,李医生,a.png;b.png c.png\n", encoding="utf-8"
    )
    options = ReaderOptions(id_column="编号", date_column="发布", account_column="作者", images_column="图")
    posts, errors = split(csvfile.read(f, options))
    assert not errors
    post = posts[0]
    assert (post.text, post.id, post.account, post.published_at) == (
        "你好",
        "7",
        "李医生",
        "2024-03-01T09:30:00",
    )
    assert [Path(p).name for p in post.images] == ["a.png", "b.png", "c.png"]


def test_image_paths_outside_the_csv_folder_are_refused_and_urls_not_fetched(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "outside.png").write_bytes(b"x")
    f = inner / "posts.csv"
    f.write_text(
        f"text,images\nhello,../outside.png;{tmp_path / 'outside.png'};https://example.com/a.jpg\n",
        encoding="utf-8",
    )
    posts, errors = split(csvfile.read(f, ReaderOptions()))
    assert not errors and posts[0].images == ()
    assert len(posts[0].errors) == 2 and all("outside the export" in e.message for e in posts[0].errors)
    assert posts[0].meta["remote_images"] == ["https://example.com/a.jpg"]


def test_missing_image_is_an_error_on_the_post(tmp_path: Path) -> None:
    f = tmp_path / "posts.csv"
    f.write_text("text,images\nhello,nothere.png\n", encoding="utf-8")
    posts, errors = split(csvfile.read(f, ReaderOptions()))
    assert not errors and posts[0].text == "hello" and posts[0].images == ()
    assert posts[0].errors[0].source == f"{f}:2" and "nothere.png" in posts[0].errors[0].message


def test_missing_text_column_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "posts.csv"
    f.write_text("title,when\nx,2024-01-01\n", encoding="utf-8")
    posts, errors = split(csvfile.read(f, ReaderOptions()))
    assert posts == [] and len(errors) == 1
    assert (
        errors[0].source == f"{f}:1"
        and "title, when" in errors[0].message
        and "--text-column" in errors[0].message
    )


def test_gb18030_and_semicolon_separated_files_are_read(tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_bytes("正文;日期\n患者隐私要保护;2024/3/5\n".encode("gb18030"))
    posts, errors = split(csvfile.read(f, ReaderOptions()))
    assert not errors and posts[0].text == "患者隐私要保护" and posts[0].published_at == "2024-03-05"


def test_unreadable_date_is_noted_on_the_post(tmp_path: Path) -> None:
    f = tmp_path / "posts.csv"
    f.write_text("text,date\nhello,last Tuesday\n", encoding="utf-8")
    posts, _ = split(csvfile.read(f, ReaderOptions()))
    assert posts[0].published_at is None and "last Tuesday" in posts[0].errors[0].message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01", "2024-03-01"),
        ("2024/3/1 09:05", "2024-03-01T09:05:00"),
        ("2024-03-01T09:05:00Z", "2024-03-01T09:05:00+00:00"),
        ("2024-03-01 09:05:00+0800", "2024-03-01T09:05:00+08:00"),
        ("2024年3月1日", "2024-03-01"),
        (1709700000, "2024-03-06T04:40:00+00:00"),
        ("1709700000000", "2024-03-06T04:40:00+00:00"),
        ("Wed Oct 10 20:19:24 +0000 2018", "2018-10-10T20:19:24+00:00"),
        ("2024-02-30", None),
        ("soon", None),
        ("", None),
    ],
)
def test_normalise_date(value: object, expected: str | None) -> None:
    assert csvfile.normalise_date(value) == expected


def test_detect_export_calls_a_plain_csv_csv() -> None:
    assert detect_export(POSTS_CSV) == "csv"
    assert detect_export(POSTS_CSV.parent) is None
