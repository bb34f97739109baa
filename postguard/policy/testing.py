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


def rule_fires(policy: Policy, rule: Rule, example: tuple[str, str] | str) -> bool:
    """Does `rule` fire on the example when the whole policy runs (so exceptions and combinations count)?"""
    kind, text = ("text", example) if isinstance(example, str) else example
    field = text.split(":", 1)[0] if kind == "metadata" else None
    segment = Segment(kind, text, image="example.jpg" if kind != "text" else None, field=field)
    findings, signals = scan_segments([segment], policy)
    return any(f.rule == rule.id for f in findings + signals)


def _shown(example: tuple[str, str]) -> str:
    kind, text = example
    return repr(text) if kind == "text" else f"{kind}: {text!r}"


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
                report.failures.append(f"{rule.id}: should match but did not: {_shown(text)}")
        for text in ex.no_match:
            if not rule_fires(policy, rule, text):
                report.passed += 1
            else:
                report.failures.append(f"{rule.id}: should not match but did: {_shown(text)}")
        for text in ex.todo_match:
            if rule_fires(policy, rule, text):
                report.failures.append(f"{rule.id}: todo_match now matches (move it to `match`): {_shown(text)}")
            else:
                report.todos.append(f"{rule.id}: known miss: {_shown(text)}")
        for text in ex.todo_no_match:
            if not rule_fires(policy, rule, text):
                report.failures.append(f"{rule.id}: todo_no_match no longer matches (move it to `no_match`): "
                                       f"{_shown(text)}")
            else:
                report.todos.append(f"{rule.id}: known false alarm: {_shown(text)}")
    return report
