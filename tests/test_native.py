"""postguard._native, the optional C core: it must give exactly what the pure-Python path gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import regex

from postguard import engine
from postguard import text as normaliser
from postguard.engine import prepare
from postguard.model import Segment
from postguard.policy import compiler
from postguard.policy.loader import load_policy

REPO = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def native():
    """The C module. It is optional only where no C compiler can build it."""
    try:
        from postguard import _native
    except ImportError:
        if shutil.which("cc") or shutil.which("gcc"):
            pytest.fail("a C compiler is here but postguard._native is not built: run `pip install -e .` again")
        pytest.skip("no C compiler on this machine: postguard runs its pure-Python path")
    return _native


def corpus_texts() -> list[str]:
    return [json.loads(line)["text"] for path in sorted((REPO / "fixtures/corpus").glob("*.jsonl"))
            for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_literals_mark_the_groups_of_every_word_that_occurs(native):
    words = ["in", "a", "中文", "ab", "abc", "c"]
    literals = native.Literals(words, [[0], [1], [2], [3], [3, 4], [5]], 7)
    assert literals.scan("xabc 中文")[0] == bytes([0, 1, 1, 1, 1, 1, 0])  # overlapping words all count
    flags, starts, found = literals.scan("")
    assert (flags, found) == (bytes(7), [])
    assert all(native.group_starts(starts, group) is None for group in range(-1, 9))
    assert literals.scan("中")[0] == bytes(7)  # a prefix of a word is not the word
    assert literals.scan("ab")[0] == bytes([0, 1, 0, 1, 0, 0, 0])  # "abc" runs past the end
    needs = compiler.pack_needs([(3, 4), (0,), (), (1, 3)])
    flags = literals.scan("abc")[0]
    assert native.all_met(flags, needs) == [0, 2, 3]
    with pytest.raises(ValueError, match="out of range"):
        native.all_met(flags, compiler.pack_needs([(9,)]))
    with pytest.raises(ValueError, match="not a packed list"):
        native.all_met(flags, compiler.pack_needs([(1, 2)])[:8])


def test_literals_report_where_the_words_of_recorded_groups_start(native):
    literals = native.Literals(["ab", "b", "abc", "x"], [[0], [1], [1], [2]], 3, 1)  # groups 1, 2 recorded
    flags, starts, found = literals.scan("abcab xb")
    assert flags == bytes([1, 1, 1])
    # each start once ("abc" and "b" overlap), ascending; group 0 is not recorded, group 3 does not exist
    assert [native.group_starts(starts, group) for group in range(4)] == [None, [0, 1, 4, 7], [6], None]
    flags, starts, found = literals.scan("bx ab")  # groups recorded in another order than their numbers
    assert [native.group_starts(starts, group) for group in range(3)] == [None, [0, 4], [1]]
    with pytest.raises(ValueError, match="not the start positions"):
        native.group_starts(starts[:8], 1)  # cut short: its records are gone
    with pytest.raises(ValueError, match="not the start positions"):
        native.group_starts(b"", 1)
    assert found == []  # no values: no word is reported


def test_a_scan_also_reports_the_words_that_have_a_value_as_occurrences_does(native):
    words = ["ab", "abc", "中文", "x", "b"]
    values = [None, "ABC", "ZW", "X", None]  # "ab" and "b" only mark groups
    literals = native.Literals(words, [[0], [], [], [], [1]], 2, 1, values=values)
    text = "xabc 中文 abx" * 40  # longer than the first buffer of occurrences
    flags, starts, found = literals.scan(text)
    assert flags == bytes([1, 1])
    assert found == [(last, value) for last, value in literals.occurrences(text) if value is not None]
    assert found[:4] == [(0, "X"), (3, "ABC"), (6, "ZW"), (10, "X")]  # by end, the longest first


@pytest.mark.parametrize("args, problem", [
    ((["a", ""], [[0], [0]], 1), "non-empty"),
    ((["a"], [[0], [0]], 1), "one group list per word"),
    ((["a"], [[3]], 2), "out of range"),
])
def test_literals_refuse_inconsistent_input(native, args, problem):
    with pytest.raises(ValueError, match=problem):
        native.Literals(*args)


def python_path(monkeypatch) -> compiler.CompiledPolicy:
    """The default policy compiled as on a machine without the C core."""
    policy = load_policy()
    monkeypatch.setattr(compiler, "Literals", None)
    compiler.forget_word_indexes()
    try:
        return compiler.compile_policy(policy)
    finally:
        monkeypatch.undo()
        compiler.forget_word_indexes()


def test_the_c_core_runs_the_same_regexes_and_finds_the_same_spans_on_every_labelled_post(native, monkeypatch):
    """Prefilter, start words, min_digits and the match loop together: the spans every regex matches."""
    compiled = load_policy().compiled
    assert compiled.native_literals is not None and compiled.literals is None
    fallback = python_path(monkeypatch)
    assert fallback.native_literals is None and not isinstance(fallback.automaton, compiler.NativeWords)
    texts = corpus_texts()
    assert len(texts) > 20_000
    differ, spans = [], 0
    for text in texts:
        prep = prepare([Segment("text", text)])[0]
        langs = engine._segment_langs(prep)
        found = engine._regex_spans(compiled, compiled.regex_matchers("text", langs), prep)
        if found != engine._regex_spans(fallback, fallback.regex_matchers("text", langs), prep):
            differ.append(text)
        spans += len(found)
    assert differ == []
    assert spans > 20_000  # the comparison covered real matches, not only empty lists


def test_regex_spans_follows_start_positions_groups_and_digit_runs(native):
    class Matcher:  # what regex_spans reads of a matcher
        def __init__(self, source):
            self.pattern = regex.compile(source)

    runs = (
        (Matcher(r"ab+"), 0, 0, None),          # tried only where group 0's start words are
        (Matcher(r"(x)?(b)"), -1, 0, 1),        # the span of group 1, left out where unset
        (Matcher(r"\d+"), -1, 4, None),         # needs a run of four digits
        (Matcher(r"a"), 5, 0, None),            # start group 5 absent: not run
        (Matcher(r"(?P<ev>b+)"), -1, 0, "ev"),  # a named group
    )
    text = "abb xb ab 123"
    start_words = native.Literals(["ab", "bb"], [[0], [0]], 6, 0)  # groups 0-5 recorded
    starts = start_words.scan(text)[1]
    assert native.group_starts(starts, 0) == [0, 1, 7]
    assert native.regex_spans(text, [0, 1, 2, 3, 4], starts, runs) == [
        (0, 0, 3), (0, 7, 9), (1, 4, 5), (4, 1, 3), (4, 5, 6), (4, 8, 9)]
    none = start_words.scan("")[1]
    assert native.regex_spans(text + "4", [0, 2], none, runs) == [(2, 10, 14)]
    with pytest.raises(IndexError):
        native.regex_spans(text, [9], none, runs)
    with pytest.raises(TypeError):
        native.regex_spans(text, [0], none, ((1, 2),))
    with pytest.raises(TypeError):
        native.regex_spans(text, [0], {0: [0]}, runs)  # starts as scan() packs them, nothing else
    with pytest.raises(ValueError, match="not the start positions"):
        native.regex_spans(text, [0], starts[:12], runs)


def test_the_c_word_index_reports_what_the_automaton_reports_in_the_same_order(native, monkeypatch):
    fallback = python_path(monkeypatch)
    words = compiler.NativeWords(dict(fallback.automaton.items()))  # every keyword, as the C core indexes it
    for text in corpus_texts()[::7]:
        lower = prepare([Segment("text", text)])[0].lower
        assert words.iter(lower) == list(fallback.automaton.iter(lower)), text
        lo, hi = len(lower) // 4, len(lower) // 2  # a context window: matches wholly inside it
        assert words.iter(lower, lo, hi) == list(fallback.automaton.iter(lower, lo, hi)), text


def test_the_one_pass_finds_the_keywords_the_keyword_automaton_finds(native, monkeypatch):
    compiled = load_policy().compiled
    assert compiled.automaton is None  # the C core's one pass replaces it
    fallback = python_path(monkeypatch)
    for text in corpus_texts()[::7]:
        lower = prepare([Segment("text", text)])[0].lower
        assert compiled.native_literals.scan(lower)[2] == list(fallback.automaton.iter(lower)), text


def test_a_scan_finds_the_same_with_and_without_the_c_core(native, monkeypatch):
    texts = corpus_texts()[::5]

    def findings(policy):
        found = []
        for text in texts:
            fs, signals = engine.scan_segments([Segment("text", text)], policy)
            found.append([(f.rule, f.evidence, f.why, f.location) for f in fs + signals])
        return found

    with_core = findings(load_policy())
    monkeypatch.setattr(compiler, "Literals", None)  # context windows too are compiled without it
    monkeypatch.setattr(normaliser, "CharMap", None)
    monkeypatch.setattr(normaliser, "han_and_latin_words", None)
    compiler.forget_word_indexes()
    normaliser._native_map.cache_clear()
    policy = load_policy()
    assert policy.compiled.native_literals is None
    without = findings(policy)
    compiler.forget_word_indexes()
    normaliser._native_map.cache_clear()
    assert with_core == without


# full-width forms and space, dashes, traditional characters, NFKC-only forms, invisible characters, a
# separated phone number, characters beyond the BMP (a Han extension B one among them), mixed scripts
AWKWARD = [
    "１３８ １２３４ ５６７８ 電話 ｈｅｌｌｏ—world　①② ﬁ … ㎏ 𠀀𡈽 \u200bx\u00ad y",
    "臺灣醫院的醫師與病人說：「別擔心」－ＯＫ", "ǅ ß İ Ⅻ ｶﾞ ＡＢ a b ab 1a2b", "", "😀 emoji only",
]


def test_text_preparation_is_the_same_with_and_without_the_c_core(native, monkeypatch):
    texts = corpus_texts()[::3] + AWKWARD
    texts += [t.upper() for t in texts]
    prepared = [(normaliser.normalise(t), normaliser.main_language(t)) for t in texts]
    assert normaliser._native_map() is not None
    monkeypatch.setattr(normaliser, "CharMap", None)
    monkeypatch.setattr(normaliser, "han_and_latin_words", None)
    normaliser._native_map.cache_clear()
    try:
        assert [(normaliser.normalise(t), normaliser.main_language(t)) for t in texts] == prepared
    finally:
        normaliser._native_map.cache_clear()


def test_the_char_map_replaces_only_what_its_table_holds(native):
    char_map = native.CharMap({ord("a"): "b", 0x20000: "x", ord("電"): "电"})
    assert char_map.map("a電c𠀀") == "b电cx"
    unchanged = "nothing to edit 中文"
    assert char_map.map(unchanged) is unchanged
    assert native.CharMap({}).map("abc") == "abc"
    with pytest.raises(ValueError, match="single characters"):
        native.CharMap({ord("a"): "bc"})
    assert native.han_and_latin_words("ab c 中文x 𠀀 Ｈｉ") == (3, 1)  # full-width letters are not ASCII
