"""Derive a regex's prefilter from the pattern itself: literals that every match must contain.

The result is a conjunction of clauses; each clause is a set of lower-cased strings of which at least
one occurs in any text the pattern can match (in the spirit of RE2's and Code Search's prefilters).
A regex then runs only on a segment where every clause is satisfied, so a pattern that needs both
"patient" and "number" is skipped on the many posts that contain only one of them. The derivation is
conservative: whatever it cannot reason about (classes such as \\w, optional parts, negative
lookarounds, back-references) contributes nothing, so a prefilter never hides a real match.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# the standard library's own regex parser (private modules, named sre_* before Python 3.11)
try:
    _c: Any = importlib.import_module("re._constants")
    _p: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _c = importlib.import_module("sre_constants")
    _p = importlib.import_module("sre_parse")

Clause = frozenset[str]

MAX_EXACT = 64  # strings in an exact set before we give up enumerating
# start words in one set: more than MAX_EXACT, since a long alternation of words (a window's list of
# diagnoses) is better tried at its words' few occurrences than at every position of the text
MAX_STARTS = 1024
MAX_LENGTH = 24  # characters in one exact string
MAX_CLASS = 12  # characters a class may stand for and still be enumerated
# syntax of the `regex` module that the standard parser lacks; the prefilter never needs what they mean
_REGEX_ONLY = re.compile(r"\\[pP]\{[^}]*\}|\\[pP][A-Za-z]")
_PARSE_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | ({_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set())


@dataclass(frozen=True)
class _Info:
    exact: frozenset[str] | None  # every string the part can match, when few; None when unknown
    clauses: tuple[Clause, ...] = ()  # necessary conditions besides `exact`


_UNKNOWN = _Info(None)
_EMPTY = _Info(frozenset({""}))


def _char(code: int) -> str | None:
    """The lower-cased character, or None when case folding could make it match something else."""
    ch = chr(code)
    if not ch.isascii() and ch.lower() != ch.upper():
        return None
    return ch.lower()


def _as_clause(exact: frozenset[str] | None) -> Clause | None:
    if not exact or "" in exact:
        return None
    return frozenset(exact)


_COMMON_PUNCTUATION = frozenset(" ,.:;!?'\"()[]-/#&*+=_\n\t，。：；！？、（）")


def _weight(literal: str) -> int:
    """How selective a literal is: CJK characters count double (a 2-character word is rare enough), and so
    does a lone symbol such as @ or ¥, which few posts contain."""
    if len(literal) == 1 and not literal.isalnum() and literal not in _COMMON_PUNCTUATION:
        return 2
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in literal)


@lru_cache(maxsize=8192)
def clause_score(clause: Clause) -> int:
    """The weight of the clause's least selective literal (cached: compiling ranks each clause often)."""
    return min(_weight(s) for s in clause)


def _best(info: _Info) -> Clause | None:
    candidates = list(info.clauses)
    exact = _as_clause(info.exact)
    if exact is not None:
        candidates.append(exact)
    if not candidates:
        return None
    return max(candidates, key=lambda c: (clause_score(c), -len(c)))


def _class(items: list[Any]) -> _Info:
    chars: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            ch = _char(av)
            if ch is None:
                return _UNKNOWN
            chars.add(ch)
        elif op is _c.RANGE:
            lo, hi = av
            if hi - lo >= MAX_CLASS:
                return _UNKNOWN
            for code in range(lo, hi + 1):
                ch = _char(code)
                if ch is None:
                    return _UNKNOWN
                chars.add(ch)
        else:  # NEGATE, CATEGORY (\d, \w, ...): too many characters to enumerate
            return _UNKNOWN
        if len(chars) > MAX_CLASS:
            return _UNKNOWN
    return _Info(frozenset(chars))


def _product(a: frozenset[str], b: frozenset[str], limit: int = MAX_EXACT) -> frozenset[str] | None:
    if len(a) * len(b) > limit:
        return None
    out = frozenset(x + y for x in a for y in b)
    if any(len(s) > MAX_LENGTH for s in out):
        return None
    return out


def _sequence(items: Any) -> _Info:
    clauses: list[Clause] = []
    exact: frozenset[str] | None = frozenset({""})
    whole = True  # False once part of the sequence could not be enumerated
    for op, av in items:
        info = _node(op, av)
        clauses.extend(info.clauses)
        joined = _product(exact, info.exact) if exact is not None and info.exact is not None else None
        if joined is not None:
            exact = joined
            continue
        flushed = _as_clause(exact)
        if flushed is not None:
            clauses.append(flushed)
        whole = False
        exact = info.exact
    if whole:
        return _Info(exact, tuple(clauses))
    flushed = _as_clause(exact)
    if flushed is not None:
        clauses.append(flushed)
    return _Info(None, tuple(clauses))


def _node(op: Any, av: Any) -> _Info:
    if op is _c.LITERAL:
        ch = _char(av)
        return _UNKNOWN if ch is None else _Info(frozenset({ch}))
    if op is _c.IN:
        return _class(av)
    if op is _c.AT:
        return _EMPTY
    if op is _c.SUBPATTERN:
        return _sequence(av[-1])
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(av)
    if op is _c.BRANCH:
        branches = [_sequence(b) for b in av[1]]
        if all(b.exact is not None for b in branches):
            union = frozenset().union(*(b.exact for b in branches if b.exact is not None))
            if len(union) <= MAX_EXACT:
                return _Info(union)
        per_branch = [_best(b) for b in branches]
        if any(c is None for c in per_branch):
            return _UNKNOWN
        return _Info(None, (frozenset().union(*(c for c in per_branch if c is not None)),))
    if op in _REPEATS:
        low, high, body = av
        if low == 0:
            return _UNKNOWN
        info = _sequence(body)
        if low == high == 1:
            return info
        exact = None
        if info.exact is not None and low == high:
            exact = frozenset({""})
            for _ in range(low):
                exact = _product(exact, info.exact) if exact is not None else None
        best = _best(info)
        return _Info(exact, info.clauses + ((best,) if best is not None and exact is None else ()))
    if op is _c.ASSERT:  # a positive lookaround's text is in the segment too
        needed = _best(_sequence(av[1]))
        return _Info(frozenset({""}), (needed,) if needed is not None else ())
    if op is _c.ASSERT_NOT:
        return _EMPTY
    return _UNKNOWN  # ANY, NOT_LITERAL, group references, conditionals


@lru_cache(maxsize=4096)
def required_literals(source: str, flags: int = 0) -> tuple[Clause, ...]:
    """Clauses every match of the pattern satisfies (empty when nothing useful can be derived)."""
    try:
        tree = _p.parse(_REGEX_ONLY.sub(r"\\w", source), flags & _PARSE_FLAGS)
    except (re.error, ValueError, TypeError, OverflowError, RecursionError):
        return ()  # syntax only the `regex` module knows: no derived prefilter, the pattern still runs
    info = _sequence(tree)
    found = list(info.clauses)
    exact = _as_clause(info.exact)
    if exact is not None:
        found.append(exact)
    # weaker clauses (supersets of another) say nothing more
    unique = sorted(set(found), key=lambda c: (-clause_score(c), len(c)))
    return tuple(c for c in unique if not any(o < c for o in unique))


def _starts(items: Any) -> frozenset[str] | None:
    """Lower-cased strings one of which begins every match of the sequence; None when unknown."""
    items = list(items)
    prefix: frozenset[str] = frozenset({""})
    for index, (op, av) in enumerate(items):
        if op is _c.AT or op is _c.ASSERT or op is _c.ASSERT_NOT:
            continue  # consumes nothing: the match still starts at the next part
        exact = _node(op, av).exact
        if exact is not None and "" not in exact:
            joined = _product(prefix, exact)
            if joined is None:
                break
            prefix = joined
            continue  # literal text: what follows it lengthens the start words
        if op in _REPEATS and av[0] == 0:  # optional: the match starts as the part does, or as the rest does
            body, rest = _starts(av[2]), _starts(items[index + 1:])
            inner = None if body is None or rest is None or len(body | rest) > MAX_STARTS else body | rest
        else:
            inner = _part_starts(op, av)
        joined = None if inner is None else _product(prefix, inner, MAX_STARTS)
        if joined is not None:
            prefix = joined
        break  # anything else ends the start words
    return prefix if "" not in prefix else None


def _part_starts(op: Any, av: Any) -> frozenset[str] | None:
    if op is _c.SUBPATTERN:
        return _starts(av[-1])
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _starts(av)
    if op is _c.BRANCH:
        branches = [_starts(b) for b in av[1]]
        if any(b is None for b in branches):
            return None
        union = frozenset().union(*(b for b in branches if b is not None))
        return union if len(union) <= MAX_STARTS else None
    if op in _REPEATS and av[0] >= 1:
        return _starts(av[2])
    return None


@lru_cache(maxsize=4096)
def start_literals(source: str, flags: int = 0) -> frozenset[str] | None:
    """Lower-cased strings one of which every match of the pattern starts with (None when that cannot be
    derived): the engine then tries the pattern only where one of them occurs, instead of scanning the
    whole text for a place to start."""
    try:
        tree = _p.parse(_REGEX_ONLY.sub(r"\\w", source), flags & _PARSE_FLAGS)
    except (re.error, ValueError, TypeError, OverflowError, RecursionError):
        return None
    return _starts(tree)
