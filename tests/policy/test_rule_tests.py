from pathlib import Path

from postguard.policy.loader import load_policy
from postguard.policy.testing import run_rule_tests

PACK = """
pack: t
rules:
  - id: t-code
    category: conflict_of_interest
    severity: high
    message: A discount code without a disclosure.
    advice: Add #ad.
    references: [{title: "FTC 16 CFR 255.5"}]
    match: [{keywords: [discount code, 优惠码]}]
    unless: [{keywords: ["#ad", 广告]}]
    tests:
      match: ["use discount code DR10"]
      no_match: ["#ad use discount code DR10"]
      todo_match: ["use my c0de DR10"]
      todo_no_match: ["discount code for our staff canteen"]
"""


def test_four_outcomes_pass_fail_and_todo(tmp_path: Path):
    path = tmp_path / "t.yml"
    path.write_text(PACK, encoding="utf-8")
    report = run_rule_tests(load_policy([path], builtin=False))
    assert report.failures == []
    assert report.passed == 2
    assert len(report.todos) == 2 and "known miss" in report.todos[0] and "known false alarm" in report.todos[1]


def test_failures_name_the_rule_and_the_example(tmp_path: Path):
    path = tmp_path / "t.yml"
    path.write_text(PACK.replace('no_match: ["#ad use discount code DR10"]', 'no_match: ["use discount code X"]'),
                    encoding="utf-8")
    report = run_rule_tests(load_policy([path], builtin=False))
    assert report.failures == ["t-code: should not match but did: 'use discount code X'"]


def test_a_rule_without_both_kinds_of_example_fails(tmp_path: Path):
    path = tmp_path / "t.yml"
    path.write_text(PACK.replace('      no_match: ["#ad use discount code DR10"]\n', ""), encoding="utf-8")
    report = run_rule_tests(load_policy([path], builtin=False))
    assert any("needs at least one" in f for f in report.failures)


def test_a_todo_that_now_passes_must_be_promoted(tmp_path: Path):
    path = tmp_path / "t.yml"
    path.write_text(PACK.replace('todo_match: ["use my c0de DR10"]', 'todo_match: ["discount code again"]'),
                    encoding="utf-8")
    report = run_rule_tests(load_policy([path], builtin=False))
    assert any("now matches" in f for f in report.failures)


def test_policy_test_command_exit_codes(cli, tmp_path: Path):
    good = tmp_path / "good.yml"
    good.write_text(PACK, encoding="utf-8")
    assert cli("policy", "test", "--no-builtin", str(good)).returncode == 0
    bad = tmp_path / "bad.yml"
    bad.write_text(PACK.replace('no_match: ["#ad use', 'no_match: ["use'), encoding="utf-8")
    result = cli("policy", "test", "--no-builtin", str(bad))
    assert result.returncode == 1
    assert b"FAIL t-code: should not match" in result.stdout


def test_examples_can_name_their_segment_kind(tmp_path: Path):
    path = tmp_path / "m.yml"
    path.write_text("""
pack: m
rules:
  - id: m-gps
    category: identifiability
    severity: high
    segments: [metadata]
    message: GPS position in the photo.
    advice: Strip the metadata.
    references: [{title: "HIPAA Safe Harbor (B)"}]
    match: [{regex: '^GPSInfo: (?P<ev>.+)'}]
    tests:
      match: [{metadata: "GPSInfo: 39.904200, 116.407400"}]
      no_match: ["GPSInfo: 39.904200, 116.407400", {metadata: "DateTimeOriginal: 2024:03:15"}]
""", encoding="utf-8")
    report = run_rule_tests(load_policy([path], builtin=False))
    assert report.failures == [] and report.passed == 3
