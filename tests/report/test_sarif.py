from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ci_helpers import PHONE, RESIDENT_ID, FakeRun, build_results, fake_run, render_with

from postguard import baseline
from postguard.model import Finding, Location, Post, PostResult, Risk
from postguard.report import ReportOptions, sarif
from postguard.report import render as render_format

SCHEMA_PATH = Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json"


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def sarif_doc(run: FakeRun | None = None, **options: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render_with(sarif.render, run, **options))
    return doc


def results_by_rule(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in doc["runs"][0]["results"]}


@pytest.mark.parametrize("extra", [{}, {"unmasked": True}])
def test_output_is_valid_against_the_official_sarif_schema(extra: dict[str, object]) -> None:
    doc = sarif_doc(extra=extra)
    errors = sorted(validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert doc["version"] == "2.1.0"


def test_the_registry_renders_sarif() -> None:
    import io

    out = io.StringIO()
    render_format("sarif", fake_run(), out, ReportOptions())
    assert json.loads(out.getvalue())["runs"][0]["tool"]["driver"]["name"] == "postguard"


def test_driver_names_the_tool_with_version_and_home_page() -> None:
    driver = sarif_doc()["runs"][0]["tool"]["driver"]
    assert driver["name"] == "postguard"
    assert driver["version"] and driver["informationUri"].startswith("https://")


def test_every_result_points_at_its_rule_descriptor() -> None:
    run = sarif_doc()["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_rule_descriptors_carry_what_github_code_scanning_shows() -> None:
    rules = {r["id"]: r for r in sarif_doc()["runs"][0]["tool"]["driver"]["rules"]}
    phone = rules["zh-phone-number"]
    assert phone["name"] == "ZhPhoneNumber"
    assert phone["shortDescription"]["text"] == "Patient phone number"
    assert "Fix: patient phone number" in phone["fullDescription"]["text"]
    # both languages, the advice, and the guidance as a link
    assert "患者电话号码" in phone["help"]["text"]
    assert "Fix: patient phone number" in phone["help"]["text"]
    assert (
        "[GMC, Using social media as a medical professional (2024) ¶19](https://www.gmc-uk.org/x)"
        in (phone["help"]["markdown"])
    )
    assert phone["helpUri"] == "https://www.gmc-uk.org/x"
    assert phone["properties"]["tags"][0] == "identifiability"
    assert phone["properties"]["security-severity"] == "9.5"
    assert rules["undisclosed-sponsor"]["properties"]["security-severity"] == "5.5"
    assert "helpUri" not in rules["profanity"]  # no reference with a link


def test_signal_only_rules_are_not_listed() -> None:
    ids = [r["id"] for r in sarif_doc()["runs"][0]["tool"]["driver"]["rules"]]
    assert "signal-only" not in ids
    assert len(ids) == len(set(ids))


def test_levels_follow_severity() -> None:
    by_rule = results_by_rule(sarif_doc())
    assert by_rule["zh-phone-number"]["level"] == "error"  # critical
    assert by_rule["cure-claim"]["level"] == "error"  # high
    assert by_rule["undisclosed-sponsor"]["level"] == "warning"  # medium
    assert by_rule["profanity"]["level"] == "note"  # low


def test_identifiers_are_masked_by_default() -> None:
    text = render_with(sarif.render)
    assert PHONE not in text and RESIDENT_ID not in text
    assert "王小明" not in text  # a name read from an image
    assert "31.2304" not in text  # GPS coordinates
    message = results_by_rule(json.loads(text))["zh-phone-number"]["message"]["text"]
    assert "138****5678" in message


def test_identifier_quoted_in_why_is_masked_too() -> None:
    why = results_by_rule(sarif_doc())["zh-phone-number"]["properties"]["why"]
    assert PHONE not in why and "138****5678" in why


def test_raw_identifiers_only_when_explicitly_unmasked() -> None:
    assert PHONE in render_with(sarif.render, extra={"unmasked": True})
    # anything other than True (a string from a config file, say) keeps the mask on
    assert PHONE not in render_with(sarif.render, extra={"unmasked": "yes"})


def test_evidence_that_is_not_an_identifier_stays_readable() -> None:
    message = results_by_rule(sarif_doc())["cure-claim"]["message"]["text"]
    assert "100% cure, guaranteed" in message


def test_text_finding_has_a_region_in_the_source_file() -> None:
    result = results_by_rule(sarif_doc())["zh-phone-number"]
    physical = result["locations"][0]["physicalLocation"]
    # line 3 of the body, below 4 lines of front matter; the number starts after "他的电话 "
    assert physical["region"] == {"startLine": 7, "startColumn": 6, "endLine": 7, "endColumn": 17}


def test_artifact_uri_is_relative_with_forward_slashes_and_percent_encoded() -> None:
    result = results_by_rule(sarif_doc())["zh-phone-number"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "posts/2024-05-01%20%E7%97%85%E4%BE%8B.md"


def test_path_outside_the_working_directory_becomes_a_file_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    post = Post(id="x", text=f"call {PHONE}", source="/elsewhere/x.md", source_path="/elsewhere/x.md")
    finding = build_results()[0].findings[0]
    finding = replace(finding, location=Location("text", 5, 16, 1, 6))
    run = FakeRun([PostResult(post, (finding,), Risk(90, "critical"))])
    uri = sarif_doc(run)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "file:///elsewhere/x.md"


def test_post_without_a_file_falls_back_to_its_source() -> None:
    post = Post(id="stdin-1", text=f"call {PHONE}", source="<stdin>")
    finding = replace(build_results()[0].findings[0], location=Location("text", 5, 16, 1, 6))
    run = FakeRun([PostResult(post, (finding,), Risk(90, "critical"))])
    physical = sarif_doc(run)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "%3Cstdin%3E"
    assert physical["region"]["startLine"] == 1


def test_image_finding_points_at_the_image_with_its_box_and_no_region() -> None:
    result = results_by_rule(sarif_doc())["ocr-patient-name"]
    location = result["locations"][0]
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "images/lab%20report.png"}}
    assert location["properties"]["bbox"] == [120, 40, 200, 32]
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "posts/clinic-opening.md"
    )


def test_metadata_finding_names_the_field() -> None:
    location = results_by_rule(sarif_doc())["exif-gps"]["locations"][0]
    assert "region" not in location["physicalLocation"]
    assert location["properties"] == {"kind": "metadata", "field": "GPSInfo"}


def test_fingerprints_are_the_baseline_fingerprints() -> None:
    results = build_results()
    expected = baseline.fingerprint(results[0].post, results[0].findings[0])
    fingerprints = results_by_rule(sarif_doc())["zh-phone-number"]["partialFingerprints"]
    assert fingerprints == {sarif.FINGERPRINT_KEY: expected}


def test_fingerprint_survives_a_line_shift_but_the_region_moves() -> None:
    before = results_by_rule(sarif_doc())["zh-phone-number"]
    after = results_by_rule(sarif_doc(fake_run("插入一行。\n插入两行。\n" + build_results()[0].post.text)))[
        "zh-phone-number"
    ]
    assert before["partialFingerprints"] == after["partialFingerprints"]
    region = after["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == before["locations"][0]["physicalLocation"]["region"]["startLine"] + 2


def test_suppressed_finding_is_reported_with_its_reason() -> None:
    results = sarif_doc()["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["profanity"]
    assert suppressed[0]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "quoted from a patient complaint"}
    ]
    # the unsuppressed profanity finding in the feed is not suppressed
    assert sum(1 for r in results if r["ruleId"] == "profanity") == 2


def test_input_errors_become_tool_notifications_and_the_run_is_not_successful() -> None:
    invocation = sarif_doc()["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert texts == [
        "images/broken.jpg: cannot identify image file",  # a post's own error
        "exports/feed.jsonl:7: not valid JSON (Expecting value)",  # known only after streaming
    ]
    bad_line = invocation["toolExecutionNotifications"][1]["locations"][0]["physicalLocation"]
    assert bad_line == {"artifactLocation": {"uri": "exports/feed.jsonl"}, "region": {"startLine": 7}}
    assert invocation["startTimeUtc"] == "2024-05-02T01:30:00.000Z"


def test_clean_run_is_successful_and_has_no_results() -> None:
    run = FakeRun([build_results()[-1]])
    doc = sarif_doc(run)
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is True
    assert not list(validator().iter_errors(doc))


def test_rule_missing_from_the_policy_is_described_from_its_finding() -> None:
    post = Post(id="x", text="hello", source="a.md", source_path="a.md")
    finding = Finding(
        "engine-combination",
        "identifiability",
        "high",
        "Several quasi-identifiers",
        "Remove some.",
        (),
        "hello",
        Location("text", 0, 5, 1, 1),
        "age + ward + date",
    )
    run = FakeRun([PostResult(post, (finding, finding), Risk(70, "high"))])
    doc = sarif_doc(run)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules].count("engine-combination") == 1
    assert {r["ruleIndex"] for r in doc["runs"][0]["results"]} == {len(rules) - 1}
    assert not list(validator().iter_errors(doc))


def test_summary_is_attached_to_the_run() -> None:
    summary = sarif_doc()["runs"][0]["properties"]["summary"]
    assert summary["posts"] == 4 and summary["flagged"] == 3 and summary["errors"] == 2


def test_message_reads_in_the_findings_language() -> None:
    by_rule = results_by_rule(sarif_doc())
    assert (
        by_rule["ocr-patient-name"]["message"]["text"]
        == "图片中的患者姓名。证据：“姓*: 王**”。建议：删除图片中的患者姓名。"
    )
    assert by_rule["cure-claim"]["message"]["text"] == (
        "Claims a guaranteed cure. Evidence: “100% cure, guaranteed”. Fix: claims a guaranteed cure."
    )
