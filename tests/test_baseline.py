from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from postguard.baseline import (
    REASON,
    SCHEMA,
    BaselineError,
    fingerprint,
    load_baseline,
    normalise_evidence,
    portable_path,
    write_baseline,
)
from postguard.model import Finding, Location, Post, PostResult, Risk

PHONE = "13812345678"


def post(text: str, path: str | None = "posts/a.md", post_id: str = "a", source: str | None = None) -> Post:
    return Post(id=post_id, text=text, source=source or path or "<stdin>", source_path=path)


def finding(p: Post, evidence: str, rule: str = "zh-phone-number") -> Finding:
    start = p.text.index(evidence)
    line = p.text[:start].count("\n") + 1
    return Finding(
        rule,
        "identifiability",
        "critical",
        "Patient phone number",
        "Remove it.",
        (),
        evidence,
        Location("text", start, start + len(evidence), line, 1),
        "pattern",
    )


def result(p: Post, *findings: Finding) -> PostResult:
    return PostResult(p, tuple(findings), Risk(90 if findings else 0, "critical" if findings else "none"))


def test_fingerprint_ignores_edits_elsewhere_in_the_post() -> None:
    before = post(f"电话 {PHONE}")
    after = post(f"新加的一段话。\n\n电话 {PHONE}\n以及结尾。")
    f_before, f_after = finding(before, PHONE), finding(after, PHONE)
    assert f_before.location.line != f_after.location.line
    assert fingerprint(before, f_before) == fingerprint(after, f_after)


def test_fingerprint_changes_with_the_evidence_the_rule_or_the_file() -> None:
    p = post(f"电话 {PHONE} 或 13900001111")
    base = fingerprint(p, finding(p, PHONE))
    assert fingerprint(p, finding(p, "13900001111")) != base
    assert fingerprint(p, finding(p, PHONE, rule="other-rule")) != base
    moved = post(p.text, path="posts/b.md")
    assert fingerprint(moved, finding(moved, PHONE)) != base


def test_evidence_is_normalised_before_hashing() -> None:
    assert normalise_evidence("１３８ 1234\u200b5678") == PHONE
    assert normalise_evidence("Dr  SMITH\n") == "drsmith"
    p1, p2 = post("电话 １３８ １２３４ ５６７８"), post(f"电话 {PHONE}")
    assert fingerprint(p1, finding(p1, "１３８ １２３４ ５６７８")) == fingerprint(p2, finding(p2, PHONE))


def test_posts_sharing_an_export_file_are_told_apart_by_id() -> None:
    a = post(f"call {PHONE}", path="feed.jsonl", post_id="p1", source="feed.jsonl:1")
    b = post(f"call {PHONE}", path="feed.jsonl", post_id="p2", source="feed.jsonl:2")
    assert fingerprint(a, finding(a, PHONE)) != fingerprint(b, finding(b, PHONE))
    # the same post on another line of the export (a post added above it) keeps its identity
    a_moved = post(a.text, path="feed.jsonl", post_id="p1", source="feed.jsonl:9")
    assert fingerprint(a, finding(a, PHONE)) == fingerprint(a_moved, finding(a_moved, PHONE))


def test_post_without_a_file_is_identified_by_its_id() -> None:
    a, b = post(f"call {PHONE}", path=None, post_id="one"), post(f"call {PHONE}", path=None, post_id="two")
    assert fingerprint(a, finding(a, PHONE)) != fingerprint(b, finding(b, PHONE))


def write(results: list[PostResult]) -> tuple[int, str]:
    out = io.StringIO()
    n = write_baseline(results, out)
    return n, out.getvalue()


def test_written_baseline_holds_sorted_unique_hashes_and_no_evidence() -> None:
    p = post(f"电话 {PHONE}，再说一次 {PHONE}", path="posts/z.md")
    q = post("call 13900001111", path="posts/a.md")
    n, text = write([result(p, finding(p, PHONE), finding(p, PHONE)), result(q, finding(q, "13900001111"))])
    doc = json.loads(text)
    assert n == 2
    assert doc["schema"] == SCHEMA
    assert [e["source"] for e in doc["findings"]] == ["posts/a.md", "posts/z.md"]
    assert set(doc["findings"][0]) == {"fingerprint", "rule", "source"}
    assert PHONE not in text and "13900001111" not in text


def test_baseline_round_trip_accepts_old_findings_and_not_new_ones(tmp_path: Path) -> None:
    p = post(f"电话 {PHONE}")
    path = tmp_path / "baseline.json"
    with path.open("w", encoding="utf-8") as fh:
        write_baseline([result(p, finding(p, PHONE))], fh)
    baseline = load_baseline(str(path))
    assert len(baseline) == 1
    edited = post(f"前言\n电话 {PHONE}\n新号码 13900001111")
    assert baseline.contains(edited, finding(edited, PHONE))
    assert not baseline.contains(edited, finding(edited, "13900001111"))
    assert baseline.unused() == []


def test_unused_lists_entries_nothing_matched(tmp_path: Path) -> None:
    p, q = post(f"电话 {PHONE}", path="a.md"), post("call 13900001111", path="b.md")
    path = tmp_path / "b.json"
    with path.open("w", encoding="utf-8") as fh:
        write_baseline([result(p, finding(p, PHONE)), result(q, finding(q, "13900001111"))], fh)
    baseline = load_baseline(str(path))
    baseline.contains(p, finding(p, PHONE))
    assert [(e.source, e.rule) for e in baseline.unused()] == [("b.md", "zh-phone-number")]


def test_apply_moves_accepted_findings_to_suppressed(tmp_path: Path) -> None:
    p = post(f"电话 {PHONE} 和 13900001111")
    path = tmp_path / "b.json"
    with path.open("w", encoding="utf-8") as fh:
        write_baseline([result(p, finding(p, PHONE))], fh)
    baseline = load_baseline(str(path))
    new = baseline.apply(result(p, finding(p, PHONE), finding(p, "13900001111")))
    assert [f.evidence for f in new.findings] == ["13900001111"]
    assert [(s.finding.evidence, s.reason) for s in new.suppressed] == [(PHONE, REASON)]
    only_old = baseline.apply(result(p, finding(p, PHONE)))
    assert only_old.findings == () and only_old.risk.level == "none"
    rescored = baseline.apply(
        result(p, finding(p, PHONE), finding(p, "13900001111")), rescore=lambda fs: Risk(len(fs), "low")
    )
    assert rescored.risk == Risk(1, "low")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", r"b\.json:1:2: not valid JSON"),
        ('{"schema": "other/1", "findings": []}', r"not a postguard baseline \(schema 'other/1'"),
        ("[]", r"not a postguard baseline"),
        (f'{{"schema": "{SCHEMA}", "findings": {{}}}}', r'"findings" must be a list'),
        (f'{{"schema": "{SCHEMA}", "findings": [{{"rule": "x"}}]}}', r"findings\[0\] needs string fields"),
        (
            f'{{"schema": "{SCHEMA}", "findings": [{{"fingerprint": "{PHONE}", "rule": "x", "source": "a"}}]}}',
            r"is not a sha256 hex digest",
        ),
    ],
)
def test_bad_baseline_files_fail_with_one_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=expected) as info:
        load_baseline(str(path))
    message = str(info.value)
    assert "\n" not in message and "postguard baseline create" in message and str(path) in message


def test_missing_baseline_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"not found; create it with `postguard baseline create"):
        load_baseline(str(tmp_path / "missing.json"))


def test_empty_baseline_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    with path.open("w", encoding="utf-8") as fh:
        assert write_baseline([], fh) == 0
    assert len(load_baseline(str(path))) == 0


def test_paths_are_stored_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = post(f"call {PHONE}", path=str(tmp_path / "posts" / "a.md"))
    relative = post(f"call {PHONE}", path="posts/a.md")
    assert portable_path(str(tmp_path / "posts" / "a.md")) == "posts/a.md"
    assert fingerprint(absolute, finding(absolute, PHONE)) == fingerprint(relative, finding(relative, PHONE))
    assert portable_path("/somewhere/else.md") == "/somewhere/else.md"
