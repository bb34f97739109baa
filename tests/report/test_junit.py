from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from ci_helpers import PHONE, RESIDENT_ID, FakeRun, build_results, fake_run, render_with

from postguard.model import Location, Post, PostResult, Risk
from postguard.report import junit


def parse(run: FakeRun | None = None, **options: object) -> ET.Element:
    return ET.fromstring(render_with(junit.render, run, **options).encode("utf-8"))


def suite(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f"testsuite[@name='{name}']")
    assert found is not None, name
    return found


def test_a_suite_per_account_or_file_then_one_for_input_errors() -> None:
    root = parse()
    assert root.tag == "testsuites"
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == ["dr_li", "dr_smith", "exports/feed.jsonl", junit.INPUT_SUITE]


def test_a_testcase_per_post_named_by_id() -> None:
    feed = suite(parse(), "exports/feed.jsonl")
    cases = feed.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("exports/feed.jsonl", "p3"),
        ("exports/feed.jsonl", "p4"),
    ]
    assert cases[0].get("file") == "exports/feed.jsonl" and cases[0].get("line") == "3"


def test_findings_at_or_above_fail_on_are_failures() -> None:
    root = parse()  # fail_on high
    li = suite(root, "dr_li").find("testcase")
    assert li is not None
    failures = li.findall("failure")
    assert [f.get("message") for f in failures] == [
        "zh-phone-number: Patient phone number",
        "cn-resident-id: Resident ID number",
    ]
    assert {f.get("type") for f in failures} == {"identifiability"}
    body = failures[0].text or ""
    assert "posts/2024-05-01 病例.md:7:6" in body and "Advice: Fix: patient phone number" in body
    assert "https://www.gmc-uk.org/x" in body
    smith = suite(root, "dr_smith").find("testcase")
    assert smith is not None and len(smith.findall("failure")) == 3


def test_findings_below_fail_on_go_to_system_out() -> None:
    root = parse()
    p3 = suite(root, "exports/feed.jsonl").find("testcase[@name='p3']")
    assert p3 is not None
    assert p3.find("failure") is None
    out = p3.findtext("system-out") or ""
    assert "medium undisclosed-sponsor at exports/feed.jsonl:3:1" in out
    assert "low profanity" in out


def test_lower_fail_on_turns_them_into_failures() -> None:
    p3 = suite(parse(fail_on="low"), "exports/feed.jsonl").find("testcase[@name='p3']")
    assert p3 is not None
    assert [f.get("type") for f in p3.findall("failure")] == ["conflict_of_interest", "unprofessional"]
    assert p3.find("system-out") is None


def test_fail_on_never_fails_nothing_but_lists_everything() -> None:
    root = parse(fail_on="never")
    assert root.get("failures") == "0" and root.find(".//failure") is None
    li = suite(root, "dr_li").find("testcase")
    assert li is not None and "critical zh-phone-number" in (li.findtext("system-out") or "")


def test_suppressed_findings_are_listed_with_their_reason_but_do_not_fail() -> None:
    li = suite(parse(), "dr_li").find("testcase")
    assert li is not None
    assert "suppressed (quoted from a patient complaint): low profanity" in (li.findtext("system-out") or "")
    assert all("profanity" not in (f.get("message") or "") for f in li.findall("failure"))


def test_errors_are_error_elements() -> None:
    root = parse()
    smith = suite(root, "dr_smith").find("testcase")
    assert smith is not None
    error = smith.find("error")
    assert error is not None and error.get("message") == "images/broken.jpg: cannot identify image file"
    bad = suite(root, junit.INPUT_SUITE).find("testcase")
    assert bad is not None
    assert bad.get("name") == "exports/feed.jsonl:7" and bad.get("line") == "7"
    assert (bad.find("error") is not None) and bad.find("error").get("type") == "input"  # type: ignore[union-attr]


def test_counts_are_one_outcome_per_testcase() -> None:
    root = parse()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "1")
    smith = suite(root, "dr_smith")  # failed and errored: counted as failed
    assert (smith.get("tests"), smith.get("failures"), smith.get("errors")) == ("1", "1", "0")
    feed = suite(root, "exports/feed.jsonl")
    assert (feed.get("tests"), feed.get("failures"), feed.get("errors")) == ("2", "0", "0")
    assert (suite(root, junit.INPUT_SUITE).get("errors")) == "1"
    assert root.get("failures") == str(sum(int(s.get("failures") or 0) for s in root.findall("testsuite")))


def test_identifiers_are_masked_unless_unmasked() -> None:
    masked = render_with(junit.render)
    assert PHONE not in masked and RESIDENT_ID not in masked and "138****5678" in masked
    assert PHONE in render_with(junit.render, extra={"unmasked": True})


def test_interleaved_accounts_share_one_suite() -> None:
    results = build_results()
    again = replace(results[0], post=replace(results[0].post, id="second"))
    run = FakeRun([results[0], results[1], again])
    root = parse(run)
    assert [s.get("name") for s in root.findall("testsuite")] == ["dr_li", "dr_smith"]
    assert suite(root, "dr_li").get("tests") == "2"


def test_markup_and_control_characters_are_escaped() -> None:
    evil = 'a <b> & "c" \x07 \x00 \ud800 end'
    post = Post(id='id "<&>"', text=evil, account="acct<&>", source="x.md", source_path="x.md")
    base = build_results()[1].findings[0]
    finding = replace(
        base, evidence=evil, message=f"msg {evil}", location=Location("text", 0, len(evil), 1, 1)
    )
    run = FakeRun([PostResult(post, (finding,), Risk(80, "high"))])
    text = render_with(junit.render, run)
    root = ET.fromstring(text.encode("utf-8"))  # would raise on unescaped markup or control characters
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("name") == 'id "<&>"'
    assert root.find("testsuite").get("name") == "acct<&>"  # type: ignore[union-attr]
    failure = case.find("failure")
    assert failure is not None and "\\x07" in (failure.get("message") or "")
    assert 'a <b> & "c"' in (failure.text or "")


def test_empty_run_is_still_a_valid_report() -> None:
    root = parse(FakeRun([]))
    assert root.tag == "testsuites" and root.get("tests") == "0" and root.findall("testsuite") == []


def test_results_are_streamed_once() -> None:
    run = fake_run()
    render_with(junit.render, run)
    assert run.consumed
