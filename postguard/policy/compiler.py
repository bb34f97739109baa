"""Compile a Policy for scanning: one keyword automaton for all rules, rule lookups per segment kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import ahocorasick

from postguard.policy.model import Matcher, Policy, Rule, WordWindow


@lru_cache(maxsize=65536)
def is_latin_word(word: str) -> bool:
    """Latin-script keywords match whole words only (`ass` must not match `assessment`)."""
    return any(c.isascii() and c.isalnum() for c in word)


@lru_cache(maxsize=4096)
def word_automaton(words: tuple[str, ...]) -> Any:
    """One small automaton per word list: a context window is scanned once, not once per word."""
    automaton = ahocorasick.Automaton()
    for w in words:
        automaton.add_word(w, (len(w), is_latin_word(w), w))
    automaton.make_automaton()
    return automaton


@dataclass(frozen=True)
class Window:
    """A context window ready to scan: its words' automaton (or None) and compiled patterns."""

    automaton: Any
    patterns: tuple[Any, ...]
    before: int
    after: int


def _window(w: WordWindow) -> Window:
    return Window(word_automaton(w.words) if w.words else None, w.patterns, w.before, w.after)


@dataclass
class CompiledPolicy:
    # ahocorasick.Automaton over every keyword and trigger word; value = (length, whole-word?,
    # keyword targets ((rule index, matcher index, validator), ...), trigger targets frozenset((ri, mi)))
    automaton: Any
    rules: list[Rule]
    # (segment kind, languages) -> [(rule index, matcher index, matcher)] for regex matchers; a pattern is
    # compiled the first time it passes its prefilter, so a one-post check compiles only what it needs
    regex_plan: dict[tuple[str, tuple[str, ...]], list[tuple[int, int, Matcher]]] = field(default_factory=dict)
    combinations: list[int] = field(default_factory=list)
    has_keywords: bool = False
    context: list[tuple[tuple[Window, ...], tuple[Window, ...]]] = field(default_factory=list)  # per rule
    _applicable: dict[tuple[str, tuple[str, ...]], frozenset[int]] = field(default_factory=dict)

    def applicable(self, kind: str, langs: tuple[str, ...]) -> frozenset[int]:
        """Indexes of the rules that read this segment kind in one of these languages."""
        key = (kind, langs)
        found = self._applicable.get(key)
        if found is None:
            found = self._applicable[key] = frozenset(
                i for i, r in enumerate(self.rules) if rule_applies(r, kind, langs))
        return found

    def regex_matchers(self, kind: str, langs: tuple[str, ...]) -> list[tuple[int, int, Matcher]]:
        key = (kind, langs)
        plan = self.regex_plan.get(key)
        if plan is None:
            plan = [
                (ri, mi, m)
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
    keywords: dict[str, list[tuple[int, int, str | None]]] = {}
    triggers: dict[str, set[tuple[int, int]]] = {}
    for ri, rule in enumerate(policy.rules):
        for mi, m in enumerate(rule.matchers):
            for kw in m.keywords:
                keywords.setdefault(kw, []).append((ri, mi, m.validator))
            for kw in m.triggers:  # regex prefilters share the one automaton
                triggers.setdefault(kw, set()).add((ri, mi))
    for kw in keywords.keys() | triggers.keys():
        automaton.add_word(kw, (len(kw), is_latin_word(kw), tuple(keywords.get(kw, ())),
                                frozenset(triggers.get(kw, ()))))
    compiled = CompiledPolicy(automaton, policy.rules, has_keywords=bool(keywords or triggers))
    if compiled.has_keywords:
        automaton.make_automaton()
    compiled.combinations = [i for i, r in enumerate(policy.rules) if r.combine is not None]
    compiled.context = [(tuple(_window(w) for w in r.require), tuple(_window(w) for w in r.exclude))
                        for r in policy.rules]
    return compiled
