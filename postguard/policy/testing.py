"""Run every rule's own examples: must match, must not match, and two "todo" forms (a known miss, a known
false alarm) that are recorded without failing. A rule without both kinds of example fails."""

from __future__ import annotations

from dataclasses import dataclass, field

from postguard.engine import scan_segments
from postguard.model import Segment
from postguard.policy.model import Policy, Rule


@dataclass
class TestReport:
    rules: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)


def rule_fires(policy: Policy, rule: Rule, text: str) -> bool:
    """Does `rule` fire on `text` when the whole policy runs (so exceptions and combinations count)?"""
    findings, signals = scan_segments([Segment("text", text)], policy)
    return any(f.rule == rule.id for f in findings + signals)


def run_rule_tests(policy: Policy, only_packs: set[str] | None = None) -> TestReport:
    report = TestReport()
    for rule in policy.rules:
        if only_packs is not None and not any(rule.source.startswith(p) for p in only_packs):
            continue
        report.rules += 1
        ex = rule.examples
        if not ex.match or not ex.no_match:
            report.failures.append(f"{rule.id} ({rule.source}): needs at least one `match` and one "
                                   "`no_match` example")
        for text in ex.match:
            if rule_fires(policy, rule, text):
                report.passed += 1
            else:
                report.failures.append(f"{rule.id}: should match but did not: {text!r}")
        for text in ex.no_match:
            if not rule_fires(policy, rule, text):
                report.passed += 1
            else:
                report.failures.append(f"{rule.id}: should not match but did: {text!r}")
        for text in ex.todo_match:
            if rule_fires(policy, rule, text):
                report.failures.append(f"{rule.id}: todo_match now matches (move it to `match`): {text!r}")
            else:
                report.todos.append(f"{rule.id}: known miss: {text!r}")
        for text in ex.todo_no_match:
            if not rule_fires(policy, rule, text):
                report.failures.append(f"{rule.id}: todo_no_match no longer matches (move it to `no_match`): "
                                       f"{text!r}")
            else:
                report.todos.append(f"{rule.id}: known false alarm: {text!r}")
    return report
