"""Partial masking of identifiers for reports that leave the team: `138****5678`, `J*** S***`."""

from __future__ import annotations

from collections.abc import Iterable

import regex

# Only identifiers are masked: a forbidden claim ("100% cure") must stay readable in a masked report.
MASKED_CATEGORIES = frozenset({"identifiability"})

_DIGITISH = regex.compile(r"[0-9Xx]")
_LATIN_WORD = regex.compile(r"[A-Za-z][A-Za-z'\-]*")
_CJK = regex.compile(r"\p{Han}")


def mask_value(value: str) -> str:
    """Mask one piece of evidence so it still reads as what it was, but no longer identifies.

    Long digit strings keep their first 3 (or 4 for 15+ digits) and last 4 characters; Latin words keep
    their initial; runs of Chinese characters keep the first (the surname); the rest becomes `*`.
    """
    digits = [i for i, ch in enumerate(value) if _DIGITISH.match(ch)]
    if len(digits) >= 7:
        # ID numbers keep 4+4, phone-length numbers 3+4, shorter record numbers only 2+2
        head, tail = (4, 4) if len(digits) >= 15 else (3, 4) if len(digits) >= 11 else (2, 2)
        hidden = set(digits[head:-tail])
        return "".join("*" if i in hidden else ch for i, ch in enumerate(value))
    out = list(value)
    if len(digits) >= 1:
        for i in digits[1:]:
            out[i] = "*"
    for m in _LATIN_WORD.finditer(value):
        for i in range(m.start() + 1, m.end()):
            out[i] = "*"
    run_start = None
    for i, ch in enumerate(value + " "):
        if i < len(value) and _CJK.match(ch):
            if run_start is None:
                run_start = i
            elif i - run_start >= 1:
                out[i] = "*"
        else:
            run_start = None
    return "".join(out)


def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Mask each [start, end) span of `text` with mask_value (overlapping spans are merged)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    pos = 0
    for start, end in merged:
        parts.append(text[pos:start])
        parts.append(mask_value(text[start:end]))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
