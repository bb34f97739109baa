"""Compile a Policy for scanning: one keyword automaton for all rules, one automaton of the literals regex
prefilters need, and rule lookups per segment kind."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import ahocorasick

from postguard.policy.model import Matcher, Policy, Rule, WordWindow
from postguard.policy.prefilter import Clause, clause_score, required_literals, start_literals
from postguard.statistical import TextModel

try:
    from postguard._native import Literals
except ImportError:  # built without a C compiler: the automaton path finds the same clauses
    Literals = None

MAX_CLAUSES = 3  # prefilter clauses kept per regex: the first few skip the most


@lru_cache(maxsize=65536)
def is_latin_word(word: str) -> bool:
    """Latin-script keywords match whole words only (`ass` must not match `assessment`)."""
    return any(c.isascii() and c.isalnum() for c in word)


class NativeWords:
    """What the engine uses of an ahocorasick.Automaton (`iter`, the same matches in the same order), over
    postguard._native.Literals: about twice as fast on a post, where the C core is built."""

    __slots__ = ("iter",)

    def __init__(self, values: dict[str, Any]) -> None:
        # iter(text, lo=0, hi=len(text)) -> [(last index, value)] of every word found within text[lo:hi], by
        # end, the longest first
        self.iter = Literals(list(values), [()] * len(values), 0, values=list(values.values())).occurrences


def word_index(values: dict[str, Any]) -> Any:
    """Finds every word of `values` in a text, overlapping ones too, with its value: NativeWords where the
    C core is built, else an Aho-Corasick automaton."""
    if Literals is not None:
        return NativeWords(values)
    automaton = ahocorasick.Automaton()
    for word, value in values.items():
        automaton.add_word(word, value)
    if values:
        automaton.make_automaton()
    return automaton


@lru_cache(maxsize=4096)
def word_automaton(words: tuple[str, ...]) -> Any:
    """One small word index per word list: a context window is scanned once, not once per word."""
    return word_index({w: (len(w), is_latin_word(w), w) for w in words})


@lru_cache(maxsize=4096)
def start_index(source: str, flags: int) -> Any:
    """An index of the words every match of a pattern starts with (their lengths as values), or None where
    a match can start anywhere: a window or post-level pattern is then tried only where one of them occurs
    instead of at every position (a long alternation of words costs ~100 µs a search otherwise)."""
    words = start_literals(source, flags)
    return word_index({w: len(w) for w in words}) if words else None


def forget_word_indexes() -> None:
    """Empty the caches of word_automaton and start_index (after `Literals` changes, as in the tests)."""
    word_automaton.cache_clear()
    start_index.cache_clear()


@dataclass(frozen=True)
class Window:
    """A context window ready to scan: its words' automaton (or None) and its patterns."""

    automaton: Any
    spec: WordWindow
    before: int
    after: int
    sentence: bool = False
    outside_match: bool = False

    @cached_property  # compiled on first use: most windows' patterns are never needed by one short check
    def patterns(self) -> tuple[tuple[Any, Any], ...]:
        """Each pattern with its start_index."""
        return tuple(zip(self.spec.patterns, (start_index(s, f) for s, f in self.spec.pattern_sources),
                         strict=True))


def _window(w: WordWindow) -> Window:
    return Window(word_automaton(w.words) if w.words else None, w, w.before, w.after, w.sentence, w.outside_match)


@dataclass(frozen=True)
class Exclusion:
    """All `exclude` windows of a rule (and matcher) in one: a hit is checked against every exclusion
    word in a single pass over the widest window, each word within its own window's reach. (A dense post
    checks a few dozen exclusion windows; one pass each instead of one per window.)"""

    automaton: Any  # value: (length, whole-word?, ((before, after, outside_match), ...) of the word's windows)
    before: int  # the widest reach
    after: int
    separate: tuple[Window, ...]  # regex patterns, and windows with their own bounds: checked one at a time


def _exclusion(windows: tuple[WordWindow, ...]) -> Exclusion | None:
    if not windows:
        return None
    # every window's words in one index, each with the reaches of its windows: (before, after, whether a word
    # inside the match itself does not count); only sentence-bound windows are scanned on their own
    spans: dict[str, list[tuple[int, int, bool]]] = {}
    for w in windows:
        if w.sentence:
            continue
        for word in w.words:
            spans.setdefault(word, []).append((w.before, w.after, w.outside_match))
    automaton = None
    if spans:
        automaton = word_index({word: (len(word), is_latin_word(word), tuple(dict.fromkeys(reach)))
                                for word, reach in spans.items()})
    separate = tuple(_window(w) if w.sentence else Window(None, w, w.before, w.after, False, w.outside_match)
                     for w in windows if w.sentence or w.pattern_sources)
    merged = [w for w in windows if not w.sentence]
    return Exclusion(automaton, max((w.before for w in merged), default=0), max((w.after for w in merged), default=0),
                     separate)


Context = tuple[tuple[Window, ...], Exclusion | None]
PlanEntry = tuple[int, int, Matcher, frozenset[int]]  # rule index, matcher index, matcher, clause ids


@dataclass(frozen=True)
class RegexPlan:
    """The regex matchers for one (segment kind, languages), indexed by their most selective prefilter
    clause, so a segment visits only the matchers whose key clause it satisfies instead of all of them."""

    entries: list[PlanEntry]
    unfiltered: tuple[int, ...]  # entries without a prefilter: always run
    by_key: dict[int, tuple[int, ...]]  # key clause id -> entries
    keys: frozenset[int]
    # per entry, how many clauses it needs and their ids, packed as native int32 for postguard._native.all_met
    needs: bytes
    # per entry, the native_literals group of its start words (-1: none), whose positions Literals.scan gives
    start_groups: tuple[int, ...]
    # per entry, what postguard._native.regex_spans needs: (matcher, start group, min_digits, group)
    runs: tuple[tuple[Matcher, int, int, int | str | None], ...] = ()

    def candidates(self, satisfied: set[int]) -> list[int]:
        """Indexes (in rule order) of the entries whose key clause is satisfied, plus the unfiltered."""
        found = list(self.unfiltered)
        for cid in satisfied.intersection(self.keys):
            found.extend(self.by_key[cid])
        found.sort()
        return found


@dataclass
class CompiledPolicy:
    # word_index over every keyword, where native_literals is None (with the C core, its scan() finds the
    # keywords: None here); value = (length, whole-word?, targets ((rule index, matcher index, validator), ...))
    automaton: Any
    # ahocorasick.Automaton over every prefilter literal, where native_literals is None; value = ids of the
    # clauses it satisfies. Only which literals occur matters, not where, so the engine collects them
    # without a Python loop per hit.
    literals: Any
    rules: list[Rule]
    # the same literals for postguard._native (None where it is not built): it marks the satisfied clauses
    # in one pass in C, which is several times faster than collecting them from the automaton in Python;
    # the keywords are in it too, so that the same pass finds them (as `automaton` would)
    native_literals: Any
    # (rule index, matcher index) -> ids of the clauses a segment must satisfy before the regex runs, the
    # most selective first
    prefilters: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    # (rule index, matcher index) -> the native_literals group that reports where its start words occur
    start_groups: dict[tuple[int, int], int] = field(default_factory=dict)
    # (segment kind, languages) -> the regex matchers that apply; a pattern is compiled the first time it
    # passes its prefilter, so a one-post check compiles only what it needs
    regex_plan: dict[tuple[str, tuple[str, ...]], RegexPlan] = field(default_factory=dict)
    combinations: list[int] = field(default_factory=list)
    has_keywords: bool = False
    has_literals: bool = False
    # (rule index, matcher index) -> its require windows and its exclusions (the rule's and the matcher's
    # own), built on first use: one short check needs the context of a handful of rules, not of all
    _context: dict[tuple[int, int], Context] = field(default_factory=dict)
    _rule_context: dict[int, Context] = field(default_factory=dict)
    # post-level matchers (`unless`, `requires`), each distinct one once: many rules share a disclosure
    # list, and a post needs it looked for only once. Per rule: (requires ids, unless ids) into this list.
    post_matchers: list[Matcher] = field(default_factory=list)
    post_checks: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    _applicable: dict[tuple[str, tuple[str, ...]], frozenset[int]] = field(default_factory=dict)
    # statistical checks: (rule index, matcher index, model, threshold) of every `model` matcher, and the
    # rules that have one (their findings stand only where no other rule of their category fired)
    models: list[tuple[int, int, TextModel, float]] = field(default_factory=list)
    statistical_rules: frozenset[int] = frozenset()
    model_of: dict[tuple[int, int], TextModel] = field(default_factory=dict)
    _model_plan: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, int, TextModel, float], ...]] = field(
        default_factory=dict)

    def applicable(self, kind: str, langs: tuple[str, ...]) -> frozenset[int]:
        """Indexes of the rules that read this segment kind in one of these languages."""
        key = (kind, langs)
        found = self._applicable.get(key)
        if found is None:
            found = self._applicable[key] = frozenset(
                i for i, r in enumerate(self.rules) if rule_applies(r, kind, langs))
        return found

    def context(self, ri: int, mi: int) -> Context:
        """The require windows and the exclusion a hit of this rule's matcher is checked against."""
        key = (ri, mi)
        found = self._context.get(key)
        if found is None:
            rule = self.rules[ri]
            m = rule.matchers[mi]
            if m.require or m.exclude:
                found = (tuple(_window(w) for w in rule.require + m.require), _exclusion(rule.exclude + m.exclude))
            else:
                found = self._rule_context.get(ri)
                if found is None:
                    found = self._rule_context[ri] = (tuple(_window(w) for w in rule.require),
                                                      _exclusion(rule.exclude))
            self._context[key] = found
        return found

    def model_matchers(self, kind: str, langs: tuple[str, ...]) -> tuple[tuple[int, int, TextModel, float], ...]:
        """The statistical checks that read this segment kind in one of these languages."""
        key = (kind, langs)
        found = self._model_plan.get(key)
        if found is None:
            found = self._model_plan[key] = tuple(
                m for m in self.models if rule_applies(self.rules[m[0]], kind, langs))
        return found

    def regex_matchers(self, kind: str, langs: tuple[str, ...]) -> RegexPlan:
        key = (kind, langs)
        plan = self.regex_plan.get(key)
        if plan is None:
            entries: list[PlanEntry] = []
            unfiltered: list[int] = []
            by_key: dict[int, list[int]] = {}
            for ri, r in enumerate(self.rules):
                if kind not in r.segments or not _langs_apply(r, langs):
                    continue
                for mi, m in enumerate(r.matchers):
                    if m.kind != "regex":
                        continue
                    ids = self.prefilters.get((ri, mi), ())
                    if ids:
                        by_key.setdefault(ids[0], []).append(len(entries))
                    else:
                        unfiltered.append(len(entries))
                    entries.append((ri, mi, m, frozenset(ids)))
            start_groups = tuple(self.start_groups.get((ri, mi), -1) for ri, mi, _m, _n in entries)
            # a regex needs its clauses met and, with start words, one of them present (their group's flag)
            needs = [self.prefilters.get((ri, mi), ()) + ((group,) if group >= 0 else ())
                     for (ri, mi, _m, _n), group in zip(entries, start_groups, strict=True)]
            plan = self.regex_plan[key] = RegexPlan(
                entries, tuple(unfiltered), {k: tuple(v) for k, v in by_key.items()}, frozenset(by_key),
                pack_needs(needs), start_groups,
                tuple((m, group, m.min_digits or 0, m.group) for (_ri, _mi, m, _n), group in zip(entries, start_groups,
                                                                                                 strict=True)))
        return plan


def pack_needs(needs: list[tuple[int, ...]]) -> bytes:
    """Entries of clause ids in postguard._native.all_met's form: per entry its length, then its ids."""
    return array("i", [x for ids in needs for x in (len(ids), *ids)]).tobytes()


def _langs_apply(rule: Rule, langs: tuple[str, ...]) -> bool:
    return any(lang in rule.languages for lang in langs)


def rule_applies(rule: Rule, kind: str, langs: tuple[str, ...]) -> bool:
    return kind in rule.segments and _langs_apply(rule, langs)


def prefilter_clauses(matcher: Matcher, rule: Rule | None = None) -> tuple[Clause, ...]:
    """What a segment must contain before this regex is worth running: the clauses derived from the
    pattern, the rule's own `trigger` words, and the words of every `require` window of the rule and
    the matcher (a hit without one of them in the segment is dropped anyway), the most selective first.
    Even a clause of single letters or punctuation is worth keeping when there is nothing better:
    finding literals is cheap."""
    if matcher.prefilter is not None and rule is not None:
        return matcher.prefilter  # ranked when the pack was parsed
    derived = matcher.required
    clauses = set(derived if derived is not None else required_literals(matcher.source, matcher.flags))
    if matcher.triggers:
        clauses.add(frozenset(matcher.triggers))
    for window in (rule.require if rule is not None else ()) + matcher.require:
        if window.words and not window.pattern_sources:  # a pattern could be satisfied without the words
            clauses.add(frozenset(window.words))
    ranked = sorted(clauses, key=lambda c: (-clause_score(c), len(c), sorted(c)))
    return tuple(ranked[:MAX_CLAUSES])


def unselective_regexes(policy: Policy) -> list[tuple[Rule, int]]:
    """Regex matchers with no prefilter better than single characters and no `min_digits`: they run on
    nearly every post, so `policy check` points them out."""
    found = []
    for rule in policy.rules:
        for mi, m in enumerate(rule.matchers):
            if m.kind == "regex" and not m.min_digits and all(
                    clause_score(c) < 2 for c in prefilter_clauses(m, rule)):
                found.append((rule, mi))
    return found


def compile_policy(policy: Policy) -> CompiledPolicy:
    keywords: dict[str, list[tuple[int, int, str | None]]] = {}
    satisfies: dict[str, set[int]] = {}  # literal -> ids of the clauses it satisfies
    clause_ids: dict[Clause, int] = {}
    prefilters: dict[tuple[int, int], tuple[int, ...]] = {}
    for ri, rule in enumerate(policy.rules):
        for mi, m in enumerate(rule.matchers):
            for kw in m.keywords:
                keywords.setdefault(kw, []).append((ri, mi, m.validator))
            if m.kind != "regex":
                continue
            ids: list[int] = []
            for clause in prefilter_clauses(m, rule):  # most selective first: the first is the plan's key
                cid = clause_ids.setdefault(clause, len(clause_ids))
                ids.append(cid)
                for literal in clause:
                    satisfies.setdefault(literal, set()).add(cid)
            prefilters[(ri, mi)] = tuple(ids)
    keyword_values = {kw: (len(kw), is_latin_word(kw), tuple(targets)) for kw, targets in keywords.items()}
    automaton = literals = native_literals = None
    start_groups: dict[tuple[int, int], int] = {}
    if Literals is not None:
        # the clauses' literals (in any order: a word marks all its groups), and each regex's start words as a
        # group of its own whose positions count
        groups_of = {literal: list(ids) for literal, ids in satisfies.items()}
        for ri, rule in enumerate(policy.rules):
            for mi, m in enumerate(rule.matchers):
                if m.kind != "regex":
                    continue
                words = m.start_words if m.start_words is not None else start_literals(m.source, m.flags)
                if words:
                    group = start_groups[(ri, mi)] = len(clause_ids) + len(start_groups)
                    for word in words:
                        groups_of.setdefault(word, []).append(group)
        # the keywords join them, with their values: one pass over a post finds both (scan()'s third part)
        for kw in keyword_values:
            groups_of.setdefault(kw, [])
        native_literals = Literals(list(groups_of), list(groups_of.values()), len(clause_ids) + len(start_groups),
                                   len(clause_ids), values=[keyword_values.get(word) for word in groups_of])
    else:
        automaton = word_index(keyword_values)
        literals = ahocorasick.Automaton()
        for literal, clause_set in satisfies.items():
            literals.add_word(literal, frozenset(clause_set))
        if satisfies:
            literals.make_automaton()
    compiled = CompiledPolicy(automaton, literals, policy.rules, native_literals, prefilters, start_groups,
                              has_keywords=bool(keywords), has_literals=bool(satisfies))
    compiled.combinations = [i for i, r in enumerate(policy.rules) if r.combine is not None]
    distinct: dict[Matcher, int] = {}

    def post_ids(matchers: tuple[Matcher, ...]) -> tuple[int, ...]:
        return tuple(distinct.setdefault(m, len(distinct)) for m in matchers)

    compiled.post_checks = [(post_ids(r.post_require), post_ids(r.unless)) for r in policy.rules]
    compiled.post_matchers = list(distinct)
    compiled.models = [(ri, mi, *_text_model(r, m)) for ri, r in enumerate(policy.rules)
                       for mi, m in enumerate(r.matchers) if m.kind == "model"]
    compiled.statistical_rules = frozenset(ri for ri, _mi, _m, _t in compiled.models)
    compiled.model_of = {(ri, mi): m for ri, mi, m, _t in compiled.models}
    return compiled


def _text_model(rule: Rule, matcher: Matcher) -> tuple[TextModel, float]:
    """The model a `model` matcher names, and its threshold (the matcher's own, else the file's)."""
    from postguard.policy.loader import PolicyError
    from postguard.statistical import ModelError, load_models

    try:
        model = load_models(matcher.source).get(matcher.model)
    except ModelError as exc:
        raise PolicyError(rule.source, None, rule.id, f"{matcher.source}: {exc}") from None
    if model is None:
        raise PolicyError(rule.source, None, rule.id, f"{matcher.source} has no model {matcher.model!r}; "
                                                      "regenerate it with tools/train_model.py")
    return model, matcher.threshold or model.threshold
