"""Drafts, JSON Lines, folders and bad input: every problem is one error entry, the rest is read."""

import json
from pathlib import Path

from postguard.ingest import decode, read_path
from postguard.model import InputError, Post


def posts_and_errors(path: Path):
    items = list(read_path(path))
    return [i for i in items if isinstance(i, Post)], [i for i in items if isinstance(i, InputError)]


def test_markdown_front_matter_gives_post_fields_and_line_offset(tmp_path):
    (tmp_path / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    md = tmp_path / "draft.md"
    md.write_text("---\nid: post-7\nplatform: weibo\naccount: dr_li\npublished_at: 2024-03-05\n---\n"
                  "今天查房\n![化验单](img.png)\n", encoding="utf-8")
    (post,), errors = posts_and_errors(md)
    assert errors == []
    assert (post.id, post.platform, post.account, post.published_at) == ("post-7", "weibo", "dr_li", "2024-03-05")
    assert post.text.startswith("今天查房") and post.text_line_offset == 6
    assert post.images and post.images[0].endswith("img.png")


def test_inline_disable_comments_need_a_reason(tmp_path):
    md = tmp_path / "d.md"
    md.write_text("<!-- postguard-disable id-bed-number: teaching case, consent on file -->\n"
                  "<!-- postguard-disable coi-code -->\ntext\n", encoding="utf-8")
    (post,), _ = posts_and_errors(md)
    assert [(s.rule, s.reason) for s in post.suppressions] == [("id-bed-number", "teaching case, consent on file")]
    assert "has no reason" in post.errors[0].message


def test_encodings_utf8_bom_utf16_and_gb18030_are_decoded():
    text = "患者张某某，住院号12345"
    assert decode(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode(text.encode("utf-16")) == text
    assert decode(text.encode("gb18030")) == text


def test_binary_and_empty_files_are_errors_not_crashes(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.txt").write_text("18床的阿姨出院了", encoding="utf-8")
    posts, errors = posts_and_errors(tmp_path)
    assert [p.text for p in posts] == ["18床的阿姨出院了"]
    messages = {Path(e.source).name: e.message for e in errors}
    assert "binary file" in messages["a.txt"] and "empty file" in messages["b.txt"]


def test_invalid_json_line_is_reported_with_its_line_number_and_others_are_read(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "one"}) + "\n{not json\n"
                    + json.dumps({"id": "3", "text": "three", "account": "a"}) + "\n", encoding="utf-8")
    posts, errors = posts_and_errors(path)
    assert [p.id for p in posts] == ["1", "3"]
    assert errors[0].source.endswith("posts.jsonl:2") and "invalid JSON" in errors[0].message
    assert posts[1].source.endswith("posts.jsonl:3")


def test_jsonl_images_are_relative_to_the_file_and_missing_ones_are_post_errors(tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG")
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "t", "images": ["x.png", "missing.png"]}) + "\n", encoding="utf-8")
    (post,), _ = posts_and_errors(path)
    assert len(post.images) == 1 and "missing.png not found" in post.errors[0].message


def test_missing_path_and_folder_without_posts(tmp_path):
    _, errors = posts_and_errors(tmp_path / "nope")
    assert "no such file" in errors[0].message
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.xyz").write_text("x")
    _, errors = posts_and_errors(tmp_path / "empty")
    assert "no posts found" in errors[0].message


def test_huge_files_are_refused_with_advice(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (5 * 1024 * 1024 + 1))
    _, (error,) = posts_and_errors(big)
    assert "MB" in error.message and "JSON Lines" in error.message


def test_images_referenced_by_a_draft_are_not_scanned_twice(tmp_path):
    (tmp_path / "shot.png").write_bytes(b"\x89PNG")
    (tmp_path / "lone.png").write_bytes(b"\x89PNG")
    (tmp_path / "post.md").write_text("see ![x](shot.png)", encoding="utf-8")
    posts, _ = posts_and_errors(tmp_path)
    ids = sorted(Path(p.id).name for p in posts)
    assert ids == ["lone.png", "post.md"]
    assert all(p.account == tmp_path.name for p in posts)
