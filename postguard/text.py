"""One normaliser, one offset map.

Rules match against a normalised copy of the text: NFKC (full-width `１３８` -> `138`), invisible
characters removed, spaces and dashes inside digit runs removed (`138 1234 5678` -> `13812345678`),
traditional Chinese mapped to simplified, character for character. Every match is mapped back so that
`original[start:end]` is the evidence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex

try:
    from postguard._native import CharMap, han_and_latin_words
except ImportError:  # built without a C compiler: the standard library does the same, more slowly
    CharMap = han_and_latin_words = None

# zero-width and other invisible characters that evade keyword matching when slipped inside words
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# a space, dash or dot between digit groups of a phone- or ID-like run (at least 7 digits in all)
_DIGIT_RUN = regex.compile(r"(?<![\d])\+?\d{1,6}(?:[ \-.\u00a0]\d{1,6}){1,5}(?!\d)")
_DATE_LIKE = regex.compile(r"\d{4}[-.](0?[1-9]|1[0-2])[-.](0?[1-9]|[12]\d|3[01])")
_SEPARATED_DIGITS = re.compile(r"\d[ \-.\u00a0]\d")  # cheap test before the digit-run search (stdlib: faster)
_CJK = regex.compile(r"\p{Han}")
# ideographs in Unicode since 1.1, all of the Han script: the stdlib finds one of them (in nearly every Chinese
# post) several times faster than `regex` finds \p{Han}, which is searched only where none is found
_COMMON_HAN = re.compile("[\u4e00-\u9fa5]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@lru_cache(maxsize=1)
def _char_table() -> dict[int, str]:
    """One-to-one character table: full-width forms, dashes, traditional -> simplified."""
    table: dict[int, str] = {}
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    for ch in _DASHES:
        table[ord(ch)] = "-"
    table.update(_traditional_table())
    return table


T2S_DATA = Path(__file__).resolve().parent / "data" / "t2s.txt"


def _traditional_table() -> dict[int, str]:
    """Traditional -> simplified, one character to one, from the table shipped in postguard/data/
    (generated from OpenCC by build_traditional_table; a test keeps the two in step)."""
    pairs = T2S_DATA.read_text(encoding="utf-8")
    return {ord(pairs[i]): pairs[i + 1] for i in range(0, len(pairs) - 1, 2)}


def build_traditional_table() -> str:
    """Regenerate postguard/data/t2s.txt from OpenCC: pairs of (traditional, simplified) characters,
    keeping only one-to-one conversions so that offsets survive. Needs the `opencc` package."""
    import opencc

    converter = opencc.OpenCC("t2s")
    chars = [chr(cp) for cp in range(0x4E00, 0x9FFF + 1)]
    # newline-separated so that phrase tables cannot join neighbours
    converted = converter.convert("\n".join(chars)).split("\n")
    return "".join(src + dst for src, dst in zip(chars, converted, strict=True) if dst != src and len(dst) == 1)


@dataclass(frozen=True)
class Normalised:
    """The normalised text and, per normalised character, the original character it came from (each comes
    from exactly one: a deleted character maps to none, an NFKC expansion's characters all to theirs)."""

    original: str
    text: str
    starts: tuple[int, ...] | None  # None = identity mapping (same length, same positions)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text to the original text."""
        if self.starts is None:
            return start, end
        if start >= len(self.starts):
            return len(self.original), len(self.original)
        o_start = self.starts[start]
        o_end = self.starts[end - 1] + 1 if end > start else o_start
        return o_start, o_end


@lru_cache(maxsize=1)
def _mappable() -> re.Pattern[str]:
    """One character class of every character the table changes. The stdlib `re` compiles it to a
    bitmap, so scanning for it beats str.translate with a 20,000-entry table several times over."""
    keys = "".join(sorted(chr(k) for k in _char_table()))
    return re.compile("[" + re.escape(keys) + "]")


@lru_cache(maxsize=1)
def _native_map() -> Any:
    return CharMap(_char_table()) if CharMap is not None else None


def _map_chars(text: str) -> str:
    """Apply the one-to-one table (full-width forms, dashes, traditional -> simplified)."""
    native = _native_map()
    if native is not None:
        return str(native.map(text))
    table = _char_table()
    return _mappable().sub(lambda m: table[ord(m.group())], text)


@lru_cache(maxsize=8192)
def _nfkc(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).translate(_char_table())


def normalise(text: str) -> Normalised:
    mapped = _map_chars(text)
    deletions = _deletions(mapped)
    needs_nfkc = not unicodedata.is_normalized("NFKC", mapped)
    if not deletions and not needs_nfkc:
        return Normalised(text, mapped, None)
    # most characters stay as they are: only deleted ones and those NFKC changes are handled one by one
    changed = set(deletions)
    if needs_nfkc:  # each distinct character once: a post repeats most of its characters
        for ch in set(mapped):
            if not ch.isascii() and _nfkc(ch) != ch:
                i = mapped.find(ch)
                while i >= 0:
                    changed.add(i)
                    i = mapped.find(ch, i + 1)
    out: list[str] = []
    starts: list[int] = []
    pos = 0
    for i in sorted(changed):
        out.append(mapped[pos:i])
        starts.extend(range(pos, i))
        if i not in deletions:
            piece = _nfkc(mapped[i])
            out.append(piece)
            starts.extend([i] * len(piece))
        pos = i + 1
    out.append(mapped[pos:])
    starts.extend(range(pos, len(mapped)))
    return Normalised(text, "".join(out), tuple(starts))


_INVISIBLE_RE = re.compile("[" + _INVISIBLE + "]")


def _deletions(text: str) -> set[int]:
    dead: set[int] = {m.start() for m in _INVISIBLE_RE.finditer(text)}
    if not _SEPARATED_DIGITS.search(text):
        return dead
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        digits = sum(c.isdigit() for c in run)
        if digits < 7 or _DATE_LIKE.fullmatch(run):
            continue
        for j, c in enumerate(run):
            if c in " -.\u00a0" and not c.isdigit():
                dead.add(m.start() + j)
    return dead


def lower_for_keywords(text: str) -> str:
    """Lower-case Latin letters without changing the length (keyword search runs on this)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def languages(text: str) -> tuple[str, ...]:
    """Which of zh/en a text contains enough of to be worth scanning with that language's rules."""
    langs: list[str] = []
    if not text.isascii() and (_COMMON_HAN.search(text) or _CJK.search(text)):
        langs.append("zh")
    if _LATIN_WORD.search(text):
        langs.append("en")
    return tuple(langs)


# the stdlib engine with explicit ranges counts ~4x faster than \p{Han} and findall (this runs per post)
_HAN_RUNS = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
_LATIN_WORDS = re.compile("[A-Za-z]{2,}")


def main_language(text: str) -> str:
    """The language a post is mostly written in: zh if Chinese characters outnumber Latin words."""
    if han_and_latin_words is not None:
        han, words = han_and_latin_words(text)
    else:
        han = len(text) - len(_HAN_RUNS.sub("", text))
        words = _LATIN_WORDS.subn("", text)[1]
    return "zh" if han >= max(2, words) else "en"



def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    last_nl = text.rfind("\n", 0, offset)
    return line, offset - last_nl
