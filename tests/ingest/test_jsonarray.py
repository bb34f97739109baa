from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from postguard.ingest import jsonarray
from postguard.ingest.exports import ReaderOptions, detect_export
from postguard.model import InputError, Post

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"
POSTS_JSON = EXPORTS / "json" / "posts.json"


def split(items: Iterable[Post | InputError]) -> tuple[list[Post], list[InputError]]:
    items = list(items)
    return [i for i in items if isinstance(i, Post)], [i for i in items if isinstance(i, InputError)]


def test_array_of_post_objects_is_read_like_jsonl() -> None:
    posts, errors = split(jsonarray.read(POSTS_JSON, ReaderOptions()))
    assert errors == []
    assert [p.id for p in posts] == ["j1", "j2"]
    second = posts[1]
    assert second.text.startswith("今天接诊了一位18岁的女孩")
    assert second.platform == "xiaohongshu" and second.account == "dr_sun"
    assert second.published_at == "2024-05-02T20:15:00+08:00"
    assert second.url and second.url.startswith("https://www.xiaohongshu.com/")
    assert second.source == f"{POSTS_JSON}:entry 2"
    assert [Path(p).is_file() for p in second.images] == [True]


def test_bad_entries_are_errors_and_the_rest_is_read(tmp_path: Path) -> None:
    f = tmp_path / "posts.json"
    f.write_text(
        json.dumps(
            [{"id": 1, "text": "ok"}, "just a string", {"id": 3, "body": "no"}, {"text": "fine"}], indent=2
        ),
        encoding="utf-8",
    )
    posts, errors = split(jsonarray.read(f, ReaderOptions(text_column="text")))
    assert [(p.id, p.text) for p in posts] == [("1", "ok"), ("posts-4", "fine")]
    assert [e.source for e in errors] == [f"{f}:entry 2", f"{f}:entry 3"]


def test_images_outside_the_folder_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "posts.json"
    f.write_text(
        json.dumps([{"id": "a", "text": "x", "images": ["../../etc/hosts", "/etc/hosts"]}]), encoding="utf-8"
    )
    posts, _ = split(jsonarray.read(f, ReaderOptions()))
    assert posts[0].images == () and len(posts[0].errors) == 2


def test_iter_array_reports_truncation_with_line_and_keeps_earlier_entries() -> None:
    text = '[\n  {"a": 1},\n  {"a": 2},\n  {"a": 3, "b": "cut he'
    items = list(jsonarray.iter_array(text, "f.json"))
    assert [i.value for i in items if isinstance(i, jsonarray.Entry)] == [{"a": 1}, {"a": 2}]
    errors = [i for i in items if isinstance(i, InputError)]
    assert len(errors) == 1 and errors[0].source == "f.json:4" and "truncated" in errors[0].message


def test_iter_array_resumes_after_a_damaged_entry() -> None:
    text = '[\n  {"a": 1},\n  {"a": oops},\n  {"a": 3}\n]'
    items = list(jsonarray.iter_array(text, "f.json"))
    entries = [i for i in items if isinstance(i, jsonarray.Entry)]
    assert [(e.number, e.line, e.value) for e in entries] == [(1, 2, {"a": 1}), (3, 4, {"a": 3})]
    errors = [i for i in items if isinstance(i, InputError)]
    assert len(errors) == 1 and errors[0].source == "f.json:3" and "entry 2" in errors[0].message


def test_iter_array_reports_a_missing_closing_bracket() -> None:
    items = list(jsonarray.iter_array('[{"a": 1}', "f.json"))
    assert isinstance(items[0], jsonarray.Entry)
    assert isinstance(items[1], InputError) and "1 entries read" in items[1].message


def test_not_an_array_is_one_error(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text('{"posts": []}', encoding="utf-8")
    posts, errors = split(jsonarray.read(f, ReaderOptions()))
    assert posts == [] and len(errors) == 1 and "JSON array" in errors[0].message


def test_detect_export_json_only_for_arrays_of_objects(tmp_path: Path) -> None:
    assert detect_export(POSTS_JSON) == "json"
    (tmp_path / "obj.json").write_text('{"a": 1}', encoding="utf-8")
    (tmp_path / "nums.json").write_text("[1, 2]", encoding="utf-8")
    assert detect_export(tmp_path / "obj.json") is None
    assert detect_export(tmp_path / "nums.json") is None
