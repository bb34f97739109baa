"""A JSON file holding an array of post objects (the JSONL contract's fields), and the forgiving
array parser that the export readers share.

Exports are large and sometimes damaged (a download cut short, a hand edit). `iter_array` decodes
one element at a time, so every entry before the damage is read, and after a malformed entry it
looks for the next entry that starts at the same indentation (exports are pretty-printed) and goes on.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postguard.ingest.csvfile import (
    ACCOUNT_KEYS,
    DATE_KEYS,
    ID_KEYS,
    IMAGES_KEYS,
    PLATFORM_KEYS,
    TEXT_KEYS,
    URL_KEYS,
    pick_key,
    row_to_post,
)
from postguard.model import InputError, Post

if TYPE_CHECKING:
    from postguard.ingest.exports import ReaderOptions

_WS = re.compile(r"\s*")


@dataclass(frozen=True)
class Entry:
    number: int  # 1-based position in the array
    line: int  # line the entry starts on
    value: Any


def read_text(path: Path) -> str | InputError:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return InputError(os.fspath(path), f"cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return InputError(os.fspath(path), f"not UTF-8 text (byte {exc.start}); re-download the export")


def iter_array(text: str, name: str, start: int = 0) -> Iterator[Entry | InputError]:
    """The elements of the JSON array beginning at `text[start:]` (after whitespace).

    Errors name `name:line` and the entry; decoding carries on after a damaged entry when a later
    one can be found, and a truncated file yields everything before the cut plus one error.
    """
    decoder = json.JSONDecoder()
    end = len(text)
    line, line_pos = 1, 0

    def line_at(pos: int) -> int:
        nonlocal line, line_pos
        if pos >= line_pos:
            line += text.count("\n", line_pos, pos)
        else:  # resync can step back a little; rare, so count from the top
            line = 1 + text.count("\n", 0, pos)
        line_pos = pos
        return line

    pos = _skip(text, start)
    if pos >= end or text[pos] != "[":
        yield InputError(f"{name}:{line_at(pos)}", "expected a JSON array ('[' ... ']'); nothing read")
        return
    pos = _skip(text, pos + 1)
    if pos < end and text[pos] == "]":
        return
    number = 0
    while True:
        number += 1
        entry_start = pos
        if pos >= end:
            yield InputError(
                f"{name}:{line_at(pos)}",
                f"file ends before the array is closed (truncated?); {number - 1} entries read",
            )
            return
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            resumed = _resync(text, entry_start, exc.pos)
            if resumed is None and (_skip(text, exc.pos) >= end or not text.rstrip().endswith("]")):
                message = f"file ends in the middle of entry {number} (truncated?); re-download the export"
            else:
                message = f"entry {number} is not valid JSON ({exc.msg}, column {exc.colno}); entry skipped"
            yield InputError(f"{name}:{exc.lineno}", message)
            if resumed is None:
                return
            pos = resumed
            continue
        yield Entry(number, line_at(entry_start), value)
        pos = _skip(text, pos)
        if pos < end and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < end and text[pos] == "]":
            return
        if pos >= end:
            yield InputError(
                f"{name}:{line_at(pos)}",
                f"file ends before the array is closed (truncated?); {number} entries read",
            )
            return
        yield InputError(f"{name}:{line_at(pos)}", f"expected ',' or ']' after entry {number}")
        resumed = _resync(text, entry_start, pos)
        if resumed is None:
            return
        pos = resumed


def _skip(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m else pos


def _resync(text: str, entry_start: int, error_pos: int) -> int | None:
    """Start of the next entry indented like the damaged one, after the error; None if none."""
    line_start = text.rfind("\n", 0, entry_start) + 1
    indent = text[line_start:entry_start]
    if indent.strip():  # entries not on their own lines: no safe way to find the next one
        return None
    m = re.compile(r"\n" + re.escape(indent) + r"(?=[{\[])").search(text, max(error_pos, entry_start + 1))
    return m.end() if m else None


# ---------------------------------------------------------------------------------------- reader


def read(path: Path, options: ReaderOptions) -> Iterator[Post | InputError]:
    """Posts from a JSON array of objects with `id`, `text`, `images`, `account`, `published_at`..."""
    name = os.fspath(path)
    text = read_text(path)
    if isinstance(text, InputError):
        yield text
        return
    seen: set[str] = set()
    for item in iter_array(text, name):
        if isinstance(item, InputError):
            yield item
            continue
        where = f"{name}:entry {item.number}"
        obj = item.value
        if not isinstance(obj, dict):
            yield InputError(where, f"expected an object with 'text', found {type(obj).__name__}; skipped")
            continue
        keys = list(obj)
        text_key = pick_key(keys, options.text_column, TEXT_KEYS)
        if text_key is None:
            yield InputError(where, "no 'text' field; name it with --text-column; skipped")
            continue
        cols = {
            "id": pick_key(keys, options.id_column, ID_KEYS),
            "date": pick_key(keys, options.date_column, DATE_KEYS),
            "account": pick_key(keys, options.account_column, ACCOUNT_KEYS),
            "images": pick_key(keys, options.images_column, IMAGES_KEYS),
            "platform": pick_key(keys, None, PLATFORM_KEYS),
            "url": pick_key(keys, None, URL_KEYS),
        }
        yield from row_to_post(
            obj, cols, text_key, path.parent, where, name, options, f"{path.stem}-{item.number}", seen
        )
