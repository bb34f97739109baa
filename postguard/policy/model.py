"""Compiled policy: packs of rules, ready for the engine. Built by postguard.policy.loader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from postguard.model import Reference

_COMPILED: dict[tuple[str, int], Any] = {}
_IGNORECASE = re.IGNORECASE  # the same bit in the `regex` module
# pieces of a pattern that match the same text whatever the case flag: class escapes, script and category
# properties that have no case (\p{Lu} does: under IGNORECASE it matches lower case too), group names
_CASELESS_SYNTAX = re.compile(
    r"\\[pP]\{(?:Han|Hani|L|N|Nd|P|S|Z)\}|\\[dDsSwWbBnrtfAZ]|\(\?P?<[A-Za-z_][A-Za-z0-9_]*>")


def case_matters(source: str) -> bool:
    """Whether IGNORECASE can change what the pattern matches: it cannot when, apart from caseless syntax,
    the pattern has no character with case (and no escape that could stand for one, or back-reference)."""
    rest = _CASELESS_SYNTAX.sub("", source)
    return any(c.lower() != c.upper() for c in rest) or re.search(r"\\\d", rest) is not None


def compiled_regex(source: str, flags: int) -> Any:
    """Compile once per process, on first use: a run that never needs a pattern never pays for it.

    IGNORECASE is dropped where it cannot change a match (a pattern of Chinese and punctuation): the
    `regex` module runs such a pattern about a quarter faster without it."""
    key = (source, flags)
    pattern = _COMPILED.get(key)
    if pattern is None:
        import regex

        if flags & _IGNORECASE and not case_matters(source):
            flags &= ~_IGNORECASE
        pattern = _COMPILED[key] = regex.compile(source, flags)
    return pattern


@dataclass(frozen=True)
class Matcher:
    """One way a rule can match: a regular expression or a keyword list, optionally validated, or a
    statistical model (postguard.statistical) read from a model file."""

    kind: str  # "regex" | "keywords" | "model"
    flags: int = 0  # regex flags
    source: str = ""  # the pattern as written, or "keywords"
    keywords: tuple[str, ...] = ()
    validator: str | None = None  # name in postguard.policy.validators.VALIDATORS
    group: str | int | None = None  # take evidence from this group of the regex
    # cheap prefilters for a regex: it only runs on a segment containing one of these words (substring,
    # any case) and/or a run of at least `min_digits` digits
    triggers: tuple[str, ...] = ()
    min_digits: int = 0
    # literals every match contains (postguard.policy.prefilter), derived when the pack is parsed so that
    # the parsed-pack cache keeps them; None: not derived yet
    required: tuple[frozenset[str], ...] | None = None
    # context windows of this matcher alone, checked besides the rule's own
    require: tuple[WordWindow, ...] = ()
    exclude: tuple[WordWindow, ...] = ()
    # kind "model": `source` is the model file (absolute path), `model` the model's name in it, and
    # `threshold` the probability it must reach (0: the threshold the file recommends)
    model: str = ""
    threshold: float = 0.0
    # the clauses the compiler keeps, ranked (postguard.policy.compiler.prefilter_clauses): they depend on the
    # rule's context too, so they are set once the rule is parsed and cached with it; None: not ranked yet
    prefilter: tuple[frozenset[str], ...] | None = None
    # lower-cased words one of which begins every match (postguard.policy.prefilter.start_literals), set when
    # the pack is parsed: the C core then tries the regex only where they occur. Empty: none derived; None:
    # not derived yet
    start_words: frozenset[str] | None = None

    @cached_property  # kept on the instance: the engine asks for it once per segment
    def pattern(self) -> Any:
        return compiled_regex(self.source, self.flags)


@dataclass(frozen=True)
class WordWindow:
    """Words that must (require) or must not (exclude) stand within `before`/`after` characters (and, with
    `sentence`, within the sentence of the match too)."""

    words: tuple[str, ...] = ()
    pattern_sources: tuple[tuple[str, int], ...] = ()  # regexes (source, flags), as an alternative to words
    before: int = 20
    after: int = 20
    sentence: bool = False
    outside_match: bool = False  # words lying wholly inside the match do not count

    @property
    def patterns(self) -> tuple[Any, ...]:
        return tuple(compiled_regex(s, f) for s, f in self.pattern_sources)


@dataclass(frozen=True)
class Combination:
    """Fires when findings carrying at least `min_distinct` distinct tags from `tags` occur in one post
    (and, if `with_tags` is given, at least one finding or signal carrying one of those)."""

    tags: tuple[str, ...]
    min_distinct: int = 2
    with_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleExamples:
    """Each example is (segment kind, text): post text by default, or `{ocr: ...}` / `{metadata: ...}`."""

    match: tuple[tuple[str, str], ...] = ()
    no_match: tuple[tuple[str, str], ...] = ()
    todo_match: tuple[tuple[str, str], ...] = ()  # known misses: recorded, not failing
    todo_no_match: tuple[tuple[str, str], ...] = ()  # known false alarms: recorded, not failing


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    messages: dict[str, str]  # {"en": ..., "zh": ...}; at least one
    advices: dict[str, str]
    references: tuple[Reference, ...]
    languages: tuple[str, ...] = ("zh", "en")
    segments: tuple[str, ...] = ("text", "ocr")
    matchers: tuple[Matcher, ...] = ()
    require: tuple[WordWindow, ...] = ()  # every one must be satisfied
    exclude: tuple[WordWindow, ...] = ()  # none may be satisfied
    unless: tuple[Matcher, ...] = ()  # post-level exceptions: if any matches anywhere, the rule is quiet
    unless_label: str = ""  # how to describe the missing exception in `why`
    post_require: tuple[Matcher, ...] = ()  # post-level conditions: the rule fires only if one matches
    combine: Combination | None = None
    tags: tuple[str, ...] = ()
    report: bool = True  # False: a signal that only feeds combination rules
    fix: dict[str, Any] | None = None
    examples: RuleExamples = field(default_factory=RuleExamples)
    pack: str = ""
    source: str = ""  # "file:line" of the rule's definition
    description: str = ""

    @cached_property
    def finding_fields(self) -> dict[str, dict[str, Any]]:
        """Per language, the fields every finding of this rule shares (filled in by the engine, which copies
        them into each finding: cheaper than gathering them from the rule for every one)."""
        return {}

    def message(self, lang: str) -> str:
        return self.messages.get(lang) or next(iter(self.messages.values()), "")

    def advice(self, lang: str) -> str:
        return self.advices.get(lang) or next(iter(self.advices.values()), "")


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    path: str
    description: str = ""


@dataclass
class Policy:
    packs: list[PackInfo]
    rules: list[Rule]
    # filled by the compiler: a keyword automaton over every rule's keywords, and lookups
    compiled: Any = None

    def rule(self, rule_id: str) -> Rule | None:
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None
