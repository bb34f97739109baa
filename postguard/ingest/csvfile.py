"""Generic CSV of posts: one row per post, columns named by options or found by common names.

Also home to the small pieces every tabular/JSON reader shares: column defaults, date normalisation,
image-list splitting and resolution.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postguard.ingest.paths import media_file
from postguard.model import InputError, Post

if TYPE_CHECKING:
    from postguard.ingest.exports import ReaderOptions

# Column names tried in order when the user names none (compared case-insensitively).
TEXT_KEYS = ("text", "content", "正文", "微博正文", "caption", "post", "body", "message", "内容")
ID_KEYS = ("id", "post_id", "微博id")
DATE_KEYS = ("published_at", "date", "created_at", "日期", "发布时间", "timestamp", "time")
ACCOUNT_KEYS = ("account", "author", "screen_name", "username", "user", "账号", "用户昵称")
IMAGES_KEYS = ("images", "image", "media", "pictures", "图片", "图片路径")
PLATFORM_KEYS = ("platform", "平台")
URL_KEYS = ("url", "link", "permalink", "链接")

_IMAGE_SPLIT = re.compile(r"[,;\s]+")
_REMOTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def pick_key(keys: Iterable[str], explicit: str | None, defaults: Sequence[str]) -> str | None:
    """The column/field to use: the explicit one if present, else the first default present."""
    by_lower: dict[str, str] = {}
    for k in keys:
        by_lower.setdefault(k.strip().lower(), k)
    if explicit is not None:
        return by_lower.get(explicit.strip().lower())
    for name in defaults:
        if name.lower() in by_lower:
            return by_lower[name.lower()]
    return None


# ---------------------------------------------------------------------------------------- dates

_YMD = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?")
_EPOCH = re.compile(r"\d{9,10}(?:\.\d+)?|\d{12,13}")


def from_epoch(seconds: float) -> str | None:
    """Unix time (seconds, or milliseconds when too big for seconds) as ISO 8601 UTC."""
    if seconds > 1e11:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def normalise_date(value: Any) -> str | None:
    """A date/time as ISO 8601 (`2024-03-01`, `2024-03-01T09:30:00`, `...+08:00`), or None.

    Accepts ISO forms (with `/` or `.` too, `Z` or offsets), `2024年3月1日 9:30`, Unix seconds or
    milliseconds, and Twitter's `Wed Oct 10 20:19:24 +0000 2018`.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return from_epoch(float(value))
    s = str(value).strip()
    if not s:
        return None
    if _EPOCH.fullmatch(s):
        return from_epoch(float(s))
    m = _YMD.fullmatch(s) or _CN.fullmatch(s)
    if m:
        g = m.groups()
        try:
            if g[3] is None:
                return date(int(g[0]), int(g[1]), int(g[2])).isoformat()
            micro = int((g[6] or "0").ljust(6, "0")) if len(g) > 6 else 0
            tz = _tz(g[7]) if len(g) > 7 else None
            dt = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5] or 0), micro, tz)
        except ValueError:
            return None
        return dt.isoformat()
    try:
        return datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y").isoformat()
    except ValueError:
        return None


def _tz(text: str | None) -> timezone | None:
    if not text:
        return None
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


# ---------------------------------------------------------------------------------------- images


def split_images(value: Any) -> list[str]:
    """An images cell/field as a list of references: a JSON list, or text split on `,` `;` space."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p for p in _IMAGE_SPLIT.split(str(value).strip()) if p]


def resolve_images(
    root: Path, refs: Iterable[str], where: str
) -> tuple[list[str], list[InputError], list[str]]:
    """(local paths that exist, errors for refused/missing ones, remote URLs left unread)."""
    paths: list[str] = []
    errors: list[InputError] = []
    remote: list[str] = []
    for ref in refs:
        if _REMOTE.match(ref):
            remote.append(ref)  # a URL is not fetched: scanning never touches the network
            continue
        path, err = media_file(root, ref, where, "paths are relative to the file that lists them")
        if path:
            paths.append(path)
        if err:
            errors.append(err)
    return paths, errors, remote


# ---------------------------------------------------------------------------------------- rows


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); Chinese spreadsheets saved by Excel are often GB18030 instead."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


@dataclass(frozen=True)
class Row:
    line: int  # the line the row starts on (1-based; the header is line 1)
    values: dict[str, str]


def read_rows(path: Path) -> tuple[list[str], Iterator[Row | InputError]] | InputError:
    """Header and rows of a CSV file; a row with the wrong number of fields becomes an InputError."""
    name = os.fspath(path)
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        return InputError(name, f"cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError:
        return InputError(name, "not UTF-8 or GB18030 text; save the file as UTF-8 CSV")
    first_line = text.split("\n", 1)[0]
    # the header rarely holds free text, so the most frequent candidate there is the delimiter
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return InputError(f"{name}:1", "empty file: expected a header row naming the columns")
    except csv.Error as exc:
        return InputError(f"{name}:1", f"header is not valid CSV ({exc})")
    header = [h.strip() for h in header]
    return header, _rows(reader, header, name)


def _rows(reader: Any, header: list[str], name: str) -> Iterator[Row | InputError]:
    previous = reader.line_num
    while True:
        start = previous + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield InputError(f"{name}:{start}", f"not valid CSV ({exc}); check the quoting")
            previous = reader.line_num
            continue
        previous = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) > len(header) and not any(cell.strip() for cell in row[len(header) :]):
            row = row[: len(header)]  # trailing delimiters, as some spreadsheet tools write
        if len(row) != len(header):
            yield InputError(
                f"{name}:{start}",
                f"row has {len(row)} fields but the header has {len(header)}; "
                "quote fields that contain the delimiter or a line break",
            )
            continue
        yield Row(start, dict(zip(header, row, strict=False)))


# ---------------------------------------------------------------------------------------- reader


def read(path: Path, options: ReaderOptions) -> Iterator[Post | InputError]:
    """Posts from a generic CSV file (UTF-8 or GB18030, `,` `;` or tab separated)."""
    opened = read_rows(path)
    if isinstance(opened, InputError):
        yield opened
        return
    header, rows = opened
    name = os.fspath(path)
    text_col = pick_key(header, options.text_column, TEXT_KEYS)
    if text_col is None:
        wanted = f"column {options.text_column!r}" if options.text_column else "text column"
        yield InputError(
            f"{name}:1",
            f"no {wanted} among {', '.join(header)}; name the post text column with --text-column",
        )
        return
    missing = [
        (flag, col)
        for flag, col in (
            ("--id-column", options.id_column),
            ("--date-column", options.date_column),
            ("--account-column", options.account_column),
            ("--images-column", options.images_column),
        )
        if col is not None and pick_key(header, col, ()) is None
    ]
    for flag, col in missing:
        yield InputError(f"{name}:1", f"{flag} {col!r} is not a column here ({', '.join(header)}); ignored")
    cols = {
        "id": pick_key(header, options.id_column, ID_KEYS),
        "date": pick_key(header, options.date_column, DATE_KEYS),
        "account": pick_key(header, options.account_column, ACCOUNT_KEYS),
        "images": pick_key(header, options.images_column, IMAGES_KEYS),
        "platform": pick_key(header, None, PLATFORM_KEYS),
        "url": pick_key(header, None, URL_KEYS),
    }
    seen: set[str] = set()
    for row in rows:
        if isinstance(row, InputError):
            yield row
            continue
        yield from row_to_post(
            row.values,
            cols,
            text_col,
            path.parent,
            f"{name}:{row.line}",
            name,
            options,
            f"{path.stem}-{row.line}",
            seen,
        )


def row_to_post(
    values: dict[str, Any],
    cols: dict[str, str | None],
    text_col: str,
    root: Path,
    where: str,
    source_path: str,
    options: ReaderOptions,
    fallback_id: str,
    seen: set[str],
) -> Iterator[Post | InputError]:
    """One record (CSV row or JSON object) as a Post; shared by the CSV and JSON-array readers."""

    def get(key: str | None) -> Any:
        return values.get(key) if key is not None else None

    text = get(text_col)
    if text is not None and not isinstance(text, str):
        yield InputError(where, f"{text_col!r} is not text; record skipped")
        return
    text = text or ""
    refs = split_images(get(cols["images"]))
    if not text.strip() and not refs:
        yield InputError(where, f"no text in {text_col!r} and no images; record skipped")
        return
    images, errors, remote = resolve_images(root, refs, where)
    raw_date = get(cols["date"])
    published = normalise_date(raw_date)
    if raw_date not in (None, "") and published is None:
        errors.append(InputError(where, f"date {raw_date!r} not understood; use ISO 8601 such as 2024-03-01"))
    raw_id = get(cols["id"])
    post_id = unique_id(str(raw_id).strip() if raw_id not in (None, "") else fallback_id, seen)
    account = get(cols["account"])
    platform = get(cols["platform"])
    url = get(cols["url"])
    yield Post(
        id=post_id,
        text=text,
        images=tuple(images),
        account=str(account).strip() if account not in (None, "") else options.account,
        platform=str(platform).strip() if platform not in (None, "") else None,
        published_at=published,
        url=str(url).strip() if url not in (None, "") else None,
        source=where,
        source_path=source_path,
        meta={"remote_images": remote} if remote else {},
        errors=tuple(errors),
    )


def unique_id(candidate: str, seen: set[str]) -> str:
    """`candidate`, or `candidate-2`, `-3`... if an earlier post in this file had it."""
    out, n = candidate, 1
    while out in seen:
        n += 1
        out = f"{candidate}-{n}"
    seen.add(out)
    return out
