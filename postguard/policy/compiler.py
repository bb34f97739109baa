"""Compile a Policy for scanning: one keyword automaton for all rules, rule lookups per segment kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import ahocorasick

from postguard.policy.model import Matcher, Policy, Rule


@lru_cache(maxsize=65536)
def is_latin_word(word: str) -> bool:
    """Latin-script keywords match whole words only (`ass` must not match `assessment`)."""
    return any(c.isascii() and c.isalnum() for c in word)


@dataclass
class CompiledPolicy:
    automaton: Any  # ahocorasick.Automaton; value = list of (rule index, matcher index, keyword, is_trigger)
    rules: list[Rule]
    # (segment kind, languages) -> [(rule index, matcher index, matcher, compiled pattern)] for regex matchers
    regex_plan: dict[tuple[str, tuple[str, ...]], list[tuple[int, int, Matcher, Any]]] = field(default_factory=dict)
    combinations: list[int] = field(default_factory=list)
    has_keywords: bool = False

    def regex_matchers(self, kind: str, langs: tuple[str, ...]) -> list[tuple[int, int, Matcher, Any]]:
        key = (kind, langs)
        plan = self.regex_plan.get(key)
        if plan is None:
            plan = [
                (ri, mi, m, m.pattern)
                for ri, r in enumerate(self.rules)
                if kind in r.segments and _langs_apply(r, langs)
                for mi, m in enumerate(r.matchers)
                if m.kind == "regex"
            ]
            self.regex_plan[key] = plan
        return plan


def _langs_apply(rule: Rule, langs: tuple[str, ...]) -> bool:
    return any(lang in rule.languages for lang in langs)


def rule_applies(rule: Rule, kind: str, langs: tuple[str, ...]) -> bool:
    return kind in rule.segments and _langs_apply(rule, langs)


def compile_policy(policy: Policy) -> CompiledPolicy:
    automaton = ahocorasick.Automaton()
    entries: dict[str, list[tuple[int, int, str, bool]]] = {}
    for ri, rule in enumerate(policy.rules):
        for mi, m in enumerate(rule.matchers):
            for kw in m.keywords:
                entries.setdefault(kw, []).append((ri, mi, kw, False))
            for kw in m.triggers:  # regex prefilters share the one automaton
                entries.setdefault(kw, []).append((ri, mi, kw, True))
    for kw, targets in entries.items():
        automaton.add_word(kw, targets)
    if entries:
        automaton.make_automaton()
    compiled = CompiledPolicy(automaton, policy.rules, has_keywords=bool(entries))
    compiled.combinations = [i for i, r in enumerate(policy.rules) if r.combine is not None]
    return compiled
