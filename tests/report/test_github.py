from __future__ import annotations

import re
from dataclasses import replace

from ci_helpers import PHONE, RESIDENT_ID, FakeRun, build_results, render_with

from postguard.model import Location, Post, PostResult, Risk
from postguard.report import github

COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")


def lines(run: FakeRun | None = None, **options: object) -> list[str]:
    return render_with(github.render, run, **options).splitlines()


def props(line: str) -> dict[str, str]:
    m = COMMAND.match(line)
    assert m, line
    return dict(p.split("=", 1) for p in (m.group(2) or "").strip().split(",") if p)


def test_message_escaping_follows_the_actions_toolkit() -> None:
    assert github.escape_data("50% off\r\nnow: a, b") == "50%25 off%0D%0Anow: a, b"


def test_property_escaping_also_covers_colon_and_comma() -> None:
    assert github.escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_every_line_is_one_workflow_command() -> None:
    out = lines()
    assert all(COMMAND.match(line) for line in out)
    # 7 findings, 2 errors, 1 summary; the suppressed finding is not annotated
    assert len(out) == 10


def test_levels_follow_severity() -> None:
    kinds = {props(line).get("title"): line.split(" ", 1)[0] for line in lines()}
    assert kinds["zh-phone-number"] == "::error"  # critical
    assert kinds["cure-claim"] == "::error"  # high
    assert kinds["undisclosed-sponsor"] == "::warning"  # medium
    assert kinds["profanity"] == "::notice"  # low


def test_text_annotation_carries_file_and_range() -> None:
    line = next(x for x in lines() if "title=zh-phone-number" in x)
    assert props(line) == {
        "file": "posts/2024-05-01 病例.md",
        "line": "7",
        "col": "6",
        "endLine": "7",
        "endColumn": "16",
        "title": "zh-phone-number",
    }


def test_image_annotation_points_at_the_image_without_a_line() -> None:
    line = next(x for x in lines() if "title=ocr-patient-name" in x)
    assert props(line) == {"file": "images/lab report.png", "title": "ocr-patient-name"}


def test_percent_in_a_message_is_escaped() -> None:
    line = next(x for x in lines() if "title=cure-claim" in x)
    assert "“100%25 cure, guaranteed”" in line


def test_newlines_and_separators_in_values_cannot_break_the_command() -> None:
    post = Post(id="x", text="bad\nline", source="dir,a:b/x.md", source_path="dir,a:b/x.md")
    base = build_results()[1].findings[0]
    finding = replace(base, message="two\nlines", location=Location("text", 0, 3, 1, 1), evidence="bad")
    out = lines(FakeRun([PostResult(post, (finding,), Risk(80, "high"))]))
    assert len(out) == 2
    assert out[0].startswith("::error file=dir%2Ca%3Ab/x.md,line=1,")
    assert "two%0Alines" in out[0]


def test_identifiers_are_masked_unless_unmasked() -> None:
    masked = render_with(github.render)
    assert PHONE not in masked and RESIDENT_ID not in masked and "138****5678" in masked
    assert PHONE in render_with(github.render, extra={"unmasked": True})


def test_input_errors_are_error_annotations() -> None:
    line = next(x for x in lines() if "not valid JSON" in x)
    assert props(line) == {"file": "exports/feed.jsonl", "line": "7", "title": "postguard%3A input error"}


def test_summary_notice_comes_last() -> None:
    last = lines()[-1]
    assert last.startswith("::notice title=postguard::")
    assert (
        "4 posts: 3 flagged, 7 findings (2 critical, 3 high, 1 medium, 1 low), 1 suppressed, 2 errors."
        in last
    )
