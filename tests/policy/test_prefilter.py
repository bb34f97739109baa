"""Prefilters derived from a regex's literals: what they find, and that they never hide a real match."""

from __future__ import annotations

import pytest

from postguard.engine import scan_segments
from postguard.model import Segment
from postguard.policy.compiler import prefilter_clauses
from postguard.policy.loader import load_policy
from postguard.policy.model import compiled_regex
from postguard.policy.prefilter import required_literals, start_literals
from postguard.text import lower_for_keywords, normalise


def test_a_sequence_needs_each_of_its_literal_parts():
    clauses = required_literals(r"(?:患者|病人)\s*\d+\s*床")
    assert frozenset({"患者", "病人"}) in clauses
    assert frozenset({"床"}) in clauses


def test_literals_are_lower_cased_so_they_can_be_found_in_the_lower_cased_text():
    assert required_literals(r"(?i:Patient)\s+ID") == (frozenset({"patient"}), frozenset({"id"}))


def test_an_alternation_needs_one_literal_from_each_branch():
    # each branch gives its most selective clause: "code" (4 letters) rather than use/enter
    assert required_literals(r"(?:use|enter)\s+code|promo\s*\d+") == (frozenset({"code", "promo"}),)
    assert required_literals(r"patient|\d+") == ()  # a branch with no literal: nothing is required


def test_optional_parts_and_negative_lookarounds_require_nothing():
    assert required_literals(r"(?:Dr\.?\s*)?(?<!not )sponsored") == (frozenset({"sponsored"}),)
    assert required_literals(r"colou?r") == (frozenset({"colo"}), frozenset({"r"}))  # "u" is optional
    assert required_literals(r"\d{3,}") == ()


def test_a_positive_lookbehind_is_required_text_too():
    assert frozenset({"bed"}) in required_literals(r"(?<=bed\s)\d+")


def test_small_classes_are_enumerated_and_large_ones_are_not():
    assert required_literals(r"[零一]号床") == (frozenset({"零号床", "一号床"}),)
    assert required_literals(r"\w+床") == (frozenset({"床"}),)


def test_syntax_only_the_regex_module_knows_still_gives_the_literals_around_it():
    assert required_literals(r"\p{Han}{2}某某") == (frozenset({"某某"}),)
    assert required_literals(r"(?<name>x") == ()  # unparsable: no prefilter, the pattern still runs


def test_own_triggers_are_kept_beside_derived_clauses_most_selective_first():
    from postguard.policy.model import Matcher

    matcher = Matcher("regex", 0, r"\d+\s?[MF]\b.{0,20}(?:admitted|seen)", triggers=("admit", "seen"))
    assert prefilter_clauses(matcher) == (
        frozenset({"admit", "seen"}), frozenset({"admitted", "seen"}), frozenset({"m", "f"}))
    assert prefilter_clauses(Matcher("regex", 0, r"\d+\s?[MF],")) == (frozenset({"m,", "f,"}),)
    assert len(prefilter_clauses(Matcher("regex", 0, r"ab\d+cd\d+ef\d+gh\d+ij"))) == 3  # at most MAX_CLAUSES


@pytest.fixture(scope="module")
def builtin():
    return load_policy()


def test_every_builtin_regex_that_matches_an_example_satisfies_its_prefilter(builtin):
    """Soundness on real patterns: wherever a regex matches, each derived clause is in the text. (A rule's
    own `trigger` words are a condition the author chose, not something the pattern implies.)"""
    checked = 0
    for rule in builtin.rules:
        examples = [t for group in (rule.examples.match, rule.examples.no_match) for _kind, t in group]
        for matcher in (m for m in rule.matchers if m.kind == "regex"):
            clauses = required_literals(matcher.source, matcher.flags)
            for text in examples:
                norm = normalise(text).text
                if matcher.pattern.search(norm) is None:
                    continue
                lower = lower_for_keywords(norm)
                for clause in clauses:
                    assert any(lit in lower for lit in clause), (rule.id, matcher.source, clause, text)
                checked += 1
    assert checked > 400


@pytest.mark.parametrize("pattern, starts", [
    (r"(?<![\w])(?:cure|heal)s?\b", {"cure", "heal"}),  # lookarounds and anchors take no room
    (r"(?:患者|病人)\s*\d+\s*床", {"患者", "病人"}),
    (r"[是的]\s*(?P<ev>王\p{Han})", {"是", "的"}),
    (r"(?i:Dr)\.?\s+\w+", {"dr"}),  # lower-cased, as in the text the engine searches
    (r"(?:ab|cd)(?:e|f)x", {"abex", "abfx", "cdex", "cdfx"}),  # as long as the start is known
    (r"(?:bed|room)+\s\d", {"bed", "room"}),  # a repeat starts as its body does
    (r"(?:Dr\.?\s*)?(?<!not )sponsored", {"dr", "sponsored"}),  # an optional part, or what follows it
    (r"(?:有|一位)?(?:新手)?家(?:长|属)", {"有", "一位", "新手", "家长", "家属"}),
])
def test_start_words_begin_every_match(pattern, starts):
    assert start_literals(pattern) == frozenset(starts)


@pytest.mark.parametrize("pattern", [
    r"\d+\s*床", r"(?:Mr\.?)?\s*Smith", r"(?:abc|\w+)x", r"(?<=bed\s)\d+|x", r"(?:ab)?\d",
])
def test_no_start_words_where_a_match_could_start_anywhere(pattern):
    assert start_literals(pattern) is None


def test_every_builtin_regex_that_matches_an_example_starts_with_one_of_its_start_words(builtin):
    checked = 0
    for rule in builtin.rules:
        examples = [t for group in (rule.examples.match, rule.examples.no_match) for _kind, t in group]
        for matcher in (m for m in rule.matchers if m.kind == "regex" and m.start_words):
            assert matcher.start_words == start_literals(matcher.source, matcher.flags)  # as parsed and cached
            for text in examples:
                norm = normalise(text).text
                lower = lower_for_keywords(norm)
                for m in matcher.pattern.finditer(norm):
                    assert any(lower.startswith(w, m.start()) for w in matcher.start_words), (rule.id, text)
                    checked += 1
    assert checked > 400


def test_a_long_alternation_of_words_starts_with_its_words():
    words = [f"w{i}x" for i in range(300)]  # beyond what required_literals enumerates
    assert start_literals("(?:" + "|".join(words) + r")(?![a-z])") == frozenset(words)
    assert start_literals("(?:" + "|".join(words) + r"|\d)") is None


def test_every_builtin_context_and_post_level_pattern_match_starts_with_one_of_its_start_words(builtin):
    # the engine tries these only where a start word occurs (compiler.start_index): on every rule's examples
    # (each rule's joined into one text), every match must begin with one
    sources = set()
    for rule in builtin.rules:
        windows = [w for m in rule.matchers for w in m.require + m.exclude] + list(rule.require + rule.exclude)
        sources.update(source for w in windows for source in w.pattern_sources)
        sources.update((m.source, m.flags) for m in rule.unless + rule.post_require if m.kind == "regex")
    texts = [normalise("\n".join(t for group in (r.examples.match, r.examples.no_match) for _kind, t in group)).text
             for r in builtin.rules]
    checked = with_starts = 0
    for source, flags in sorted(sources):
        starts = start_literals(source, flags)
        if starts is None:
            continue
        with_starts += 1
        pattern = compiled_regex(source, flags)
        for norm in texts:
            lower = lower_for_keywords(norm)
            for m in pattern.finditer(norm):
                assert any(lower.startswith(w, m.start()) for w in starts), (source[:60], m.group())
                checked += 1
    assert with_starts > 40 and checked > 1000, (with_starts, checked)


def test_a_gated_regex_still_finds_what_it_found_before(builtin):
    findings, _ = scan_segments([Segment("text", "住院号：20231234，18床王某某")], builtin)
    assert {"id-medical-record-number", "id-bed-number"} <= {f.rule for f in findings}


def test_ignorecase_is_dropped_only_where_case_cannot_matter():
    import re

    import regex

    from postguard.policy.model import case_matters, compiled_regex

    assert regex.IGNORECASE == re.IGNORECASE
    assert not case_matters(r"(?P<ev>(?:患者|病人)\s*\d+\s*床)")
    assert not case_matters(r"\p{Han}{2}某某")
    for source in (r"mg", r"[A-Z]床", r"\p{Lu}床", r"(.)\1", r"\x41床", r"(?i:床)"):
        assert case_matters(source), source
    assert not compiled_regex(r"\d+床", regex.IGNORECASE).flags & regex.IGNORECASE
    assert compiled_regex(r"\d+mg", regex.IGNORECASE).search("20MG")
    assert compiled_regex(r"\p{Lu}", regex.IGNORECASE).search("a")  # a property with case keeps the flag


def test_the_words_of_a_require_window_are_a_prefilter_too():
    from postguard.policy.model import Matcher, Rule, WordWindow

    matcher = Matcher("regex", 0, r"\d+\s?[MF],", require=(WordWindow(("admitted", "seen")),))
    rule = Rule("r", "identifiability", "low", {"en": "m"}, {"en": "a"}, (),
                require=(WordWindow(("ward", "bay")), WordWindow(("x",), (("bed", 0),))))
    clauses = prefilter_clauses(matcher, rule)
    assert frozenset({"admitted", "seen"}) in clauses and frozenset({"ward", "bay"}) in clauses
    assert frozenset({"x"}) not in clauses  # that window can be met by its pattern instead
