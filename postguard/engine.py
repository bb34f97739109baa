"""Segments x compiled Policy -> Findings; post-level exceptions; combinations; risk score.

Pure functions of their input: a post can be scanned in any process.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any, NamedTuple

from postguard.model import (
    RISK_LEVELS,
    SEVERITIES,
    Finding,
    ImageResult,
    Location,
    Post,
    PostResult,
    Risk,
    Segment,
    SuppressedFinding,
    Suppression,
    severity_rank,
)
from postguard.policy.compiler import CompiledPolicy, Exclusion, RegexPlan, Window, start_index, word_automaton
from postguard.policy.model import Matcher, Policy, Rule
from postguard.policy.validators import VALIDATORS

try:
    from postguard._native import all_met, group_starts, regex_spans
except ImportError:  # CompiledPolicy.native_literals is None then, and these are not called
    all_met = group_starts = regex_spans = None
from postguard.text import Normalised, languages, line_col, lower_for_keywords, main_language, normalise

_SECOND = itemgetter(1)
# the end of a sentence: Chinese and English stops, a line break; a full stop only before a space, so
# that 2.5mg and e.g. stay inside their sentence
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|\.(?=\s|$)")
_NEW = object.__new__
_SET = object.__setattr__
# builds a Hit from a tuple of its fields: a NamedTuple's own __new__ is a Python function, twice as slow, and
# a dense post makes a few dozen hits
_MAKE = tuple.__new__
_DIGITS = re.compile(r"\d+")  # stdlib: a plain digit scan is faster there
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# how `why` names a validator for people reading a report
VALIDATOR_NAMES = {
    "gb11643": "resident ID (GB 11643 checksum and birth date)", "luhn": "Luhn checksum",
    "cn_mobile": "China mobile number", "cn_landline": "China landline", "nanp_phone": "North American number",
    "uk_phone": "UK number", "in_mobile": "Indian mobile number", "phone": "phone number",
    "age_90_plus": "age 90 or over",
}
SEVERITY_WEIGHT = {"low": 15, "medium": 35, "high": 60, "critical": 90}


class Hit(NamedTuple):
    """A rule matched at [start, end) of a segment's normalised text. (A tuple: a post makes dozens.)"""

    rule_index: int
    matcher_index: int
    segment_index: int
    start: int
    end: int
    why: str


@dataclass
class _Prepared:
    segment: Segment
    norm: Normalised
    lower: str
    langs: tuple[str, ...]
    sentence_ends: list[int] | None = None  # where sentences end, found on first use

    def _ends(self) -> list[int]:
        if self.sentence_ends is None:
            self.sentence_ends = [m.end() for m in _SENTENCE_END.finditer(self.norm.text)]
        return self.sentence_ends

    def sentences(self) -> Iterator[tuple[int, int]]:
        """The spans of the segment's sentences, each with its closing punctuation."""
        lo = 0
        for hi in (*self._ends(), len(self.norm.text)):
            if hi > lo:
                yield lo, hi
            lo = hi

    def sentence_of(self, start: int, end: int) -> tuple[int, int]:
        """The span of the sentence(s) holding [start, end): between the nearest ends of sentence."""
        ends = self._ends()
        i = bisect_right(ends, start)
        lo = ends[i - 1] if i else 0
        j = bisect_left(ends, end)
        hi = ends[j] if j < len(ends) else len(self.norm.text)
        return lo, hi


def _bounded(text: str, start: int, end: int) -> bool:
    """True when [start, end) is not glued to Latin letters or digits on either side."""
    if start > 0 and text[start - 1] in _WORD_CHARS and text[start] in _WORD_CHARS:
        return False
    return not (end < len(text) and text[end] in _WORD_CHARS and text[end - 1] in _WORD_CHARS)


def _window_hit(prep: _Prepared, window: Window, start: int, end: int) -> str | None:
    """The context word (or pattern match) found within the window around [start, end), if any: the span
    `before` characters ahead of the match to `after` past it, within the segment (and its sentence)."""
    lower = prep.lower
    lo = start - window.before if start > window.before else 0
    hi = min(len(lower), end + window.after)
    if window.sentence:
        first, last = prep.sentence_of(start, end)
        lo, hi = max(lo, first), min(hi, last)
    automaton = window.automaton
    if automaton is not None and hi > lo:
        for last, (length, latin, word) in automaton.iter(lower, lo, hi):
            pos = last + 1 - length
            if pos == start and last + 1 == end:  # the match itself is not its own context
                continue
            if window.outside_match and pos >= start and last < end:
                continue
            if not latin or _bounded(lower, pos, last + 1):
                return str(word)
    text = prep.norm.text
    for pattern, starts in window.patterns:
        for m in _matches(pattern, text, None if starts is None else _start_positions(starts, lower, lo, hi), lo, hi):
            if m.span() == (start, end) or (window.outside_match and m.start() >= start and m.end() <= end):
                continue
            return str(m.group())
    return None


def _start_positions(index: Any, lower: str, lo: int, hi: int) -> list[int]:
    """Where the words of a start_index begin within lower[lo:hi], ascending."""
    return sorted({last + 1 - length for last, length in index.iter(lower, lo, hi)})


def _matcher_finds(matcher: Matcher, text: str, lower: str) -> str | None:
    """Post-level use of a matcher (unless / requires): the first thing it finds, or None."""
    if matcher.kind == "keywords":
        for last, (length, latin, word) in word_automaton(matcher.keywords).iter(lower):
            if not latin or _bounded(lower, last + 1 - length, last + 1):
                return str(word)
        return None
    if matcher.triggers and not any(t in lower for t in matcher.triggers):
        return None  # the prefilter says this pattern cannot match here
    starts = start_index(matcher.source, matcher.flags)
    pattern = matcher.pattern
    for m in _matches(pattern, text, None if starts is None else _start_positions(starts, lower, 0, len(lower))):
        value = m.group(matcher.group) if matcher.group is not None else m.group()
        if matcher.validator is None or VALIDATORS[matcher.validator](value):
            return str(m.group())
    return None


def runnable_regexes(
    compiled: CompiledPolicy, prep: _Prepared
) -> Iterator[tuple[int, int, Matcher, list[int] | None]]:
    """(rule index, matcher index, matcher, where its matches can start) of the regexes that apply to this
    segment and pass their prefilter: every clause of literals met, and a digit run as long as `min_digits`.
    _matches(matcher.pattern, text, positions) runs one as the engine does."""
    entries = compiled.regex_matchers(prep.segment.kind, _segment_langs(prep)).entries
    for index, matcher, positions in _regex_runs(compiled, prep):
        ri, mi, _m, _needs = entries[index]
        yield ri, mi, matcher, positions


def _regex_runs(compiled: CompiledPolicy, prep: _Prepared) -> Iterator[tuple[int, Matcher, list[int] | None]]:
    """(plan entry index, matcher) of runnable_regexes, each with where its matches can start (None:
    anywhere). Where the C core gives the positions of a regex's start words, a regex whose start words do
    not occur is not run at all."""
    text = prep.norm.text
    plan = compiled.regex_matchers(prep.segment.kind, _segment_langs(prep))
    entries, start_groups = plan.entries, plan.start_groups
    digit_run = -1
    indexes, starts = _prefiltered(compiled, plan, prep.lower)
    for index in indexes:
        _ri, _mi, matcher, _needs = entries[index]
        positions = None
        if starts is not None and start_groups[index] >= 0:
            positions = group_starts(starts, start_groups[index])
            if positions is None:
                continue  # none of its start words occurs
        if matcher.min_digits:
            if digit_run < 0:
                digit_run = max(map(len, _DIGITS.findall(text)), default=0)
            if digit_run < matcher.min_digits:
                continue
        yield index, matcher, positions


def _prefiltered(
    compiled: CompiledPolicy, plan: RegexPlan, lower: str, scanned: Any = None
) -> tuple[list[int], bytes | None]:
    """Indexes (in rule order) of the plan's entries whose prefilter clauses this text meets, all of them;
    with the C core, also where each regex's start words occur (packed by scan(): read with group_starts
    by start group). `scanned`: what native_literals.scan(lower) gave, where the caller has it."""
    if compiled.native_literals is not None:
        flags, starts, _keywords = scanned if scanned is not None else compiled.native_literals.scan(lower)
        return all_met(flags, plan.needs), starts
    # clauses met by the text (map/itemgetter: no Python-level loop per literal found)
    satisfied: set[int] = set()
    if compiled.has_literals:
        satisfied = satisfied.union(*map(_SECOND, compiled.literals.iter(lower)))
    entries = plan.entries
    return [i for i in plan.candidates(satisfied) if len(entries[i][3]) < 2 or entries[i][3] <= satisfied], None


def _regex_spans(
    compiled: CompiledPolicy, plan: RegexPlan, prep: _Prepared, scanned: Any = None
) -> list[tuple[int, int, int]]:
    """(plan entry index, start, end) of every match of the regexes that run on this segment (of the
    matcher's `group` where it names one), in plan order: the C core's loop where it is built."""
    if compiled.native_literals is not None:
        indexes, starts = _prefiltered(compiled, plan, prep.lower, scanned)
        return regex_spans(prep.norm.text, indexes, starts, plan.runs)  # type: ignore[no-any-return]
    text = prep.norm.text
    found = []
    for index, matcher, positions in _regex_runs(compiled, prep):
        pattern = matcher.pattern
        for m in _matches(pattern, text, positions):
            if matcher.group is not None:
                start, end = m.span(matcher.group)
                if start < 0:
                    continue
            else:
                start, end = m.span()
            if end > start:
                found.append((index, start, end))
    return found


def _matches(
    pattern: Any, text: str, positions: list[int] | None, lo: int | None = None, hi: int | None = None
) -> Iterator[Any]:
    """What pattern.finditer(text, lo, hi) finds; where `positions` (ascending, within [lo, hi)) holds every
    place a match can start, by a match tried at each of them instead of a search of every position."""
    if positions is None:
        return iter(pattern.finditer(text, lo, hi, False, False))  # concurrent=False: see _matches_from
    return _matches_from(pattern, text, positions, hi)


def _matches_from(pattern: Any, text: str, positions: list[int], endpos: int | None = None) -> Iterator[Any]:
    """What pattern.finditer(text, positions[0], endpos) finds, given every place a match can start
    (ascending): a match is tried at each of them, past the end of the previous match."""
    end = 0
    for position in positions:
        if position >= end:
            # match(string, pos, endpos, concurrent=False): the regex module otherwise releases the GIL and
            # takes it back around each call, a quarter of the cost of a short one
            m = pattern.match(text, position, endpos, False)
            if m is not None:
                yield m
                end = max(m.end(), position + 1)


def _segment_langs(prep: _Prepared) -> tuple[str, ...]:
    # text without letters (a bare phone number, an OCR'd ID card) is read by every language's rules
    return prep.langs or ("zh", "en")


def _candidate_hits(compiled: CompiledPolicy, preps: Sequence[_Prepared]) -> list[Hit]:
    hits: list[Hit] = []
    for si, prep in enumerate(preps):
        lower, text = prep.lower, prep.norm.text
        applicable = compiled.applicable(prep.segment.kind, _segment_langs(prep))
        # with the C core, one pass finds the keywords and the regexes' literals and start words
        scanned = None
        if compiled.native_literals is not None:
            scanned = compiled.native_literals.scan(lower)
            keywords = scanned[2]
        else:
            keywords = compiled.automaton.iter(lower) if compiled.has_keywords else ()
        for end_index, (length, latin, targets) in keywords:
            end = end_index + 1
            start = end - length
            if latin and not _bounded(lower, start, end):
                continue
            for ri, mi, validator in targets:
                if ri not in applicable:
                    continue
                if validator and not VALIDATORS[validator](text[start:end]):
                    continue
                hits.append(_MAKE(Hit, (ri, mi, si, start, end, f"keyword “{text[start:end]}”")))
        plan = compiled.regex_matchers(prep.segment.kind, _segment_langs(prep))
        for index, start, end in _regex_spans(compiled, plan, prep, scanned):
            ri, mi, matcher, _needs = plan.entries[index]
            if matcher.validator and not VALIDATORS[matcher.validator](text[start:end]):
                continue
            why = "matches the rule's pattern"
            if matcher.validator:
                why += f" and passes the {VALIDATOR_NAMES.get(matcher.validator, matcher.validator)} check"
            hits.append(_MAKE(Hit, (ri, mi, si, start, end, why)))
        models = compiled.model_matchers(prep.segment.kind, _segment_langs(prep))
        if models:
            hits.extend(_statistical_hits(models, si, lower))
    return hits


def _statistical_hits(models: Sequence[tuple[int, int, Any, float]], si: int, lower: str) -> Iterator[Hit]:
    """A hit on the whole segment for each model whose probability reaches its threshold (the evidence
    narrows to one sentence later, only for the findings that are reported)."""
    logits_of: dict[int, tuple[float, ...]] = {}  # per model file: every model's score, computed together
    for ri, mi, model, threshold in models:
        logits = logits_of.get(id(model.file))
        if logits is None:
            logits = logits_of[id(model.file)] = model.file.text_logits(lower)
        probability = model.probability(logits)
        if probability >= threshold:
            yield Hit(ri, mi, si, 0, len(lower),
                      f"statistical check: probability {probability:.2f} (threshold {threshold:.2f})")


def _apply_context(compiled: CompiledPolicy, hit: Hit, prep: _Prepared) -> Hit | None:
    require, exclusion = compiled.context(hit.rule_index, hit.matcher_index)
    if not require and exclusion is None:
        return hit
    start, end = hit.start, hit.end
    why = hit.why
    for window in require:
        word = _window_hit(prep, window, start, end)
        if word is None:
            return None
        why += f"; near “{word}”"
    if exclusion is not None and _excluded(prep, exclusion, start, end):
        return None
    if not require:
        return hit  # nothing to add to why
    return _MAKE(Hit, (hit.rule_index, hit.matcher_index, hit.segment_index, start, end, why))


def _excluded(prep: _Prepared, exclusion: Exclusion, start: int, end: int) -> bool:
    """Whether an exclusion word (or pattern) stands within its window around [start, end)."""
    lower = prep.lower
    lo = start - exclusion.before if start > exclusion.before else 0
    hi = min(len(lower), end + exclusion.after)
    if exclusion.automaton is not None and hi > lo:
        for last, (length, latin, reaches) in exclusion.automaton.iter(lower, lo, hi):
            stop = last + 1
            pos = stop - length
            if pos == start and stop == end:  # the match itself is not its own context
                continue
            if latin and not _bounded(lower, pos, stop):
                continue
            for before, after, outside in reaches:
                if pos >= start - before and stop <= end + after and not (outside and pos >= start and stop <= end):
                    return True
    for window in exclusion.separate:  # noqa: SIM110 (a loop: any() would build a generator per check)
        if _window_hit(prep, window, start, end) is not None:
            return True
    return False


def _hit_order(h: Hit) -> tuple[int, int, int, int]:
    return (h.rule_index, h.segment_index, h.start, h.start - h.end)


def _checked_hits(compiled: CompiledPolicy, candidates: list[Hit], preps: Sequence[_Prepared]) -> list[Hit]:
    """The candidates (sorted by _hit_order) that pass their context checks, one per rule per overlapping
    region: the earliest, then the longest. A candidate overlapping the last one kept for its rule is
    dropped before its context is checked, and a signal rule (`report: false`) keeps only its first hit,
    which is all that combination rules need."""
    kept: list[Hit] = []
    last: Hit | None = None
    signalled: set[int] = set()
    for hit in candidates:
        ri = hit.rule_index
        if ri in signalled:
            continue
        if last is not None and last.rule_index == ri and last.segment_index == hit.segment_index \
                and hit.start < last.end:
            continue
        checked = _apply_context(compiled, hit, preps[hit.segment_index])
        if checked is not None:
            kept.append(checked)
            last = checked
            if not compiled.rules[ri].report:
                signalled.add(ri)
    return kept


def _location(prep: _Prepared, start: int, end: int) -> Location:
    seg = prep.segment
    if seg.kind == "metadata":
        return Location("metadata", image=seg.image, field=seg.field)
    if seg.kind == "ocr":
        return Location("image", start=start, end=end, image=seg.image, bbox=_union_box(seg, start, end))
    line, column = line_col(seg.text, start)
    location = _NEW(Location)
    _SET(location, "__dict__", {"kind": seg.kind, "start": start, "end": end, "line": line + seg.line_offset,
                                "column": column, "image": seg.image, "bbox": None, "field": None})
    return location


def _union_box(seg: Segment, start: int, end: int) -> tuple[int, int, int, int] | None:
    if not seg.boxes:
        return None
    boxes = [b for b in seg.boxes[start:end] if b is not None]
    if not boxes:
        return None
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def _rule_finding(rule: Rule, evidence: str, location: Location, why: str, lang: str) -> Finding:
    """A finding of `rule`, in the post's language where the rule provides it."""
    shared = rule.finding_fields.get(lang)
    if shared is None:
        shared = rule.finding_fields[lang] = {
            "rule": rule.id, "category": rule.category, "severity": rule.severity, "message": rule.message(lang),
            "advice": rule.advice(lang), "references": rule.references, "tags": rule.tags,
            "messages": rule.messages, "advices": rule.advices, "fix": rule.fix}
    fields = shared.copy()
    fields["evidence"], fields["location"], fields["why"] = evidence, location, why
    finding = _NEW(Finding)
    # a frozen dataclass's __init__ sets every field through object.__setattr__, several times slower
    _SET(finding, "__dict__", fields)
    return finding


def _finding(rule: Rule, prep: _Prepared, start: int, end: int, why: str, lang: str) -> Finding:
    o_start, o_end = prep.norm.span(start, end)
    return _rule_finding(rule, prep.segment.text[o_start:o_end], _location(prep, o_start, o_end), why, lang)


def prepare(segments: Sequence[Segment]) -> list[_Prepared]:
    preps = []
    for seg in segments:
        norm = normalise(seg.text)
        preps.append(_Prepared(seg, norm, lower_for_keywords(norm.text), languages(norm.text)))
    return preps


def scan_segments(
    segments: Sequence[Segment], policy: Policy, lang: str | None = None
) -> tuple[list[Finding], list[Finding]]:
    """Run the policy over a post's segments. Returns (findings, signals): signals are findings of
    rules with `report: false`, which only feed combination rules (kept for tests and explanations)."""
    compiled: CompiledPolicy = policy.compiled
    preps = prepare(segments)
    if lang is None:
        lang = main_language(" ".join(p.norm.text for p in preps if p.segment.kind == "text")) if preps else "en"
    candidates = _candidate_hits(compiled, preps)
    candidates.sort(key=_hit_order)
    return _findings(compiled, _checked_hits(compiled, candidates, preps), preps, lang)


def _findings(
    compiled: CompiledPolicy, hits: list[Hit], preps: Sequence[_Prepared], lang: str
) -> tuple[list[Finding], list[Finding]]:
    """The findings and signals of a post's checked hits: post-level exceptions and conditions, statistical
    findings, combination rules."""
    # post-level exceptions (`unless`) and conditions (`requires`), evaluated once per rule
    post_text = [(p.norm.text, p.lower) for p in preps if p.segment.kind != "metadata"]
    verdict: dict[int, str | None] = {}  # rule index -> None (drop) or extra why
    looked_up: dict[int, str | None] = {}  # post matcher id -> what it found in the post

    def first_found(matcher_ids: tuple[int, ...]) -> str | None:
        for mid in matcher_ids:
            if mid not in looked_up:
                looked_up[mid] = _first_post_match(compiled.post_matchers[mid], post_text)
            if looked_up[mid] is not None:
                return looked_up[mid]
        return None

    def post_check(ri: int) -> str | None:
        if ri in verdict:
            return verdict[ri]
        rule = compiled.rules[ri]
        require_ids, unless_ids = compiled.post_checks[ri]
        extra: str | None = ""
        if require_ids:
            found = first_found(require_ids)
            extra = None if found is None else f"; the post also has “{found}”"
        if extra is not None and unless_ids:
            if first_found(unless_ids) is not None:
                extra = None
            else:
                label = rule.unless_label or "exception this rule allows"
                extra += f"; no {label} found in the post"
        verdict[ri] = extra
        return extra

    findings: list[Finding] = []
    signals: list[Finding] = []
    statistical: list[tuple[Hit, str]] = []
    for hit in hits:
        extra = post_check(hit.rule_index)
        if extra is None:
            continue
        if hit.rule_index in compiled.statistical_rules:
            statistical.append((hit, extra))
            continue
        rule = compiled.rules[hit.rule_index]
        f = _finding(rule, preps[hit.segment_index], hit.start, hit.end, hit.why + extra, lang)
        (findings if rule.report else signals).append(f)
    if statistical:
        _add_statistical_findings(compiled, statistical, preps, lang, findings, signals)

    # most posts hold too few of any combination's tags: a set of the tags present rules those out first
    present = {t for f in findings for t in f.tags}.union(*(f.tags for f in signals))
    for ri in compiled.combinations:
        rule = compiled.rules[ri]
        assert rule.combine is not None
        if len(present.intersection(rule.combine.tags)) < rule.combine.min_distinct:
            continue
        combo = _combine(rule, findings + signals, lang)
        if combo is not None:
            extra = post_check(ri)  # a combination obeys its own `unless` / `requires` too
            if extra is not None:
                findings.append(replace(combo, why=combo.why + extra) if extra else combo)
                present.update(combo.tags)
    findings.sort(key=_finding_order)
    return findings, signals


def _add_statistical_findings(
    compiled: CompiledPolicy, hits: list[tuple[Hit, str]], preps: Sequence[_Prepared], lang: str,
    findings: list[Finding], signals: list[Finding],
) -> None:
    """A statistical check is there for what the written rules miss. Where a written rule of its category
    fired in the post, its finding would only repeat that one: it becomes a signal (for `policy test`).
    Otherwise its evidence narrows from the whole segment to the sentence that weighs most, and `why`
    names the words that weigh most in it (worked out only here: it costs a feature pass per sentence)."""
    covered = {f.category for f in findings}
    for hit, extra in hits:
        rule = compiled.rules[hit.rule_index]
        prep = preps[hit.segment_index]
        if rule.category in covered or not rule.report:
            signals.append(_finding(rule, prep, hit.start, hit.end, hit.why + extra, lang))
            continue
        model = compiled.model_of[(hit.rule_index, hit.matcher_index)]
        start, end, found = model.evidence(prep.lower, prep.sentences())
        words = ", ".join(f"“{f}”" for f, _w in model.strongest(found))
        why = f"{hit.why}; the words that weigh most: {words}{extra}"
        findings.append(_finding(rule, prep, start, end, why, lang))


def _first_post_match(matcher: Matcher, texts: list[tuple[str, str]]) -> str | None:
    for text, lower in texts:
        found = _matcher_finds(matcher, text, lower)
        if found is not None:
            return found
    return None


def _combine(rule: Rule, pool: list[Finding], lang: str) -> Finding | None:
    assert rule.combine is not None
    by_tag: dict[str, Finding] = {}
    for f in pool:
        for t in f.tags:
            if t in rule.combine.tags and t not in by_tag:
                by_tag[t] = f
    if len(by_tag) < rule.combine.min_distinct:
        return None
    anchor = None
    if rule.combine.with_tags:
        anchor = next((f for f in pool if set(f.tags) & set(rule.combine.with_tags)), None)
        if anchor is None:
            return None
    parts = [f"{tag} (“{f.evidence}”)" for tag, f in by_tag.items()]
    why = f"{len(by_tag)} of the signals this rule combines, in one post: " + ", ".join(parts)
    if anchor is not None:
        why += f"; with “{anchor.evidence}”"
    first = min(by_tag.values(), key=_finding_order)
    return _rule_finding(rule, first.evidence, first.location, why, lang)


_KIND_ORDER = {"text": 0, "alt": 1, "image": 2, "metadata": 3}
_SEVERITY_ORDER = {s: -severity_rank(s) for s in SEVERITIES}  # worst first; anything else after low


def _finding_order(f: Finding) -> tuple[int, int, int, str]:
    location = f.location
    return (_KIND_ORDER.get(location.kind, 9), location.start or 0, _SEVERITY_ORDER.get(f.severity, 1), f.rule)


def risk(findings: Sequence[Finding]) -> Risk:
    """Score 0-100: the worst finding's weight plus a quarter of each other finding's, capped.

    The level follows the score, so several independent findings can raise it above the worst severity.
    """
    if not findings:
        return Risk(0, "none")
    weights = sorted((SEVERITY_WEIGHT.get(f.severity, 0) for f in findings), reverse=True)
    score = min(100, weights[0] + sum(w // 4 for w in weights[1:]))
    worst = max(severity_rank(f.severity) for f in findings) + 1  # index into RISK_LEVELS
    by_score = 4 if score >= 85 else 3 if score >= 55 else 2 if score >= 25 else 1
    return Risk(score, RISK_LEVELS[max(worst, by_score)])


def apply_suppressions(
    findings: Sequence[Finding], suppressions: Sequence[Suppression]
) -> tuple[list[Finding], list[SuppressedFinding], set[int]]:
    """Split findings into kept and suppressed; also return the indexes of suppressions that were used."""
    kept: list[Finding] = []
    hidden: list[SuppressedFinding] = []
    used: set[int] = set()
    for f in findings:
        for i, s in enumerate(suppressions):
            if s.rule in (f.rule, "*") and (s.match is None or s.match in f.evidence):
                hidden.append(SuppressedFinding(f, s.reason, s.origin))
                used.add(i)
                break
        else:
            kept.append(f)
    return kept, hidden, used


def text_segments(post: Post) -> list[Segment]:
    return [Segment("text", post.text, line_offset=post.text_line_offset)] if post.text else []


def scan_post(
    post: Post,
    policy: Policy,
    *,
    image_segments: Sequence[Segment] = (),
    images: Sequence[ImageResult] = (),
    extra_suppressions: Sequence[Suppression] = (),
) -> PostResult:
    """Scan one post's text (and any image segments already extracted) with the policy."""
    segments = text_segments(post) + list(image_segments)
    lang = main_language(post.text) if post.text.strip() else "en"
    findings, _signals = scan_segments(segments, policy, lang)
    sups = tuple(post.suppressions) + tuple(extra_suppressions)
    kept, hidden, used = apply_suppressions(findings, sups)
    unused = tuple(s for i, s in enumerate(sups) if i not in used)
    return PostResult(
        post=post,
        findings=tuple(kept),
        risk=risk(kept),
        suppressed=tuple(hidden),
        errors=post.errors,
        images=tuple(images),
        language=lang,
        unused_suppressions=unused,
    )
