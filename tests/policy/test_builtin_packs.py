"""The built-in packs meet the quality bar: every rule's own examples pass, every rule has at least three
examples of each kind, messages and advice in both languages, and cites the guidance it enforces."""

import pytest

from postguard.model import CATEGORIES
from postguard.policy.loader import load_policy
from postguard.policy.testing import run_rule_tests

POLICY = load_policy()


def test_every_rule_example_passes():
    report = run_rule_tests(POLICY)
    assert report.failures == []
    assert report.passed > 500


def test_one_pack_per_category_with_rules_in_both_languages():
    assert {p.name for p in POLICY.packs} >= set(CATEGORIES)
    for category in CATEGORIES:
        reported = [r for r in POLICY.rules if r.category == category and r.report]
        assert {lang for r in reported for lang in r.languages} == {"zh", "en"}, category
        assert len(reported) >= 3, category


@pytest.mark.parametrize("rule", [r for r in POLICY.rules if r.report], ids=lambda r: r.id)
def test_reported_rules_have_three_examples_each_way_both_languages_and_citations(rule):
    assert len(rule.examples.match) >= 3, "at least three must-match examples"
    assert len(rule.examples.no_match) >= 3, "at least three compliant look-alikes"
    assert {"en", "zh"} <= set(rule.messages) and {"en", "zh"} <= set(rule.advices)
    assert rule.references and any(ref.url for ref in rule.references), "cite the guidance with a link"


def test_rule_ids_carry_their_category_prefix():
    prefixes = {"identifiability": "id-", "unprofessional": "unpro-", "conflict_of_interest": "coi-",
                "diagnostic_advice": "diag-", "advertising_claims": "ad-"}
    for r in POLICY.rules:
        assert r.id.startswith(prefixes[r.category]), r.id


def test_built_in_packs_are_found_inside_the_package_so_wheels_carry_them():
    from pathlib import Path

    import postguard
    from postguard.policy.loader import BUILTIN_DIR

    package = Path(postguard.__file__).resolve().parent
    assert BUILTIN_DIR.parent == package
    repo_packs = sorted(p.name for p in (package.parent / "policies").glob("*.yml"))
    assert sorted(p.name for p in BUILTIN_DIR.glob("*.yml")) == repo_packs
