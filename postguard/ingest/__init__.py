"""Inputs -> Posts. Each shape has a reader `read(path) -> Iterator[Post | InputError]`.

This module reads drafts (`.txt`, `.md` with YAML front matter), JSON Lines, image files and folders, and
hands platform exports (X, Instagram, Facebook, weibo-crawler CSV, CSV, JSON arrays) to
postguard.ingest.exports. Nothing here raises for bad input: an InputError is yielded and reading goes on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import regex

from postguard.model import InputError, Post, Suppression

MAX_TEXT_BYTES = 5 * 1024 * 1024  # a post file larger than this is not a post
MAX_JSONL_LINE = 1024 * 1024
TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif"}
FRONT_MATTER_KEYS = {"id", "platform", "account", "published_at", "url", "images", "postguard", "title", "date"}
_MD_IMAGE = regex.compile(r"!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<src>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_IMAGE = regex.compile(r"<img\s[^>]*src=[\"'](?P<src>[^\"']+)[\"']", regex.IGNORECASE)
_DISABLE = regex.compile(r"<!--\s*postguard-disable\s+(?P<rule>[^\s:]+)\s*(?::\s*(?P<reason>.*?))?\s*-->", regex.S)
_CONTROL = regex.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class ReadError(Exception):
    """One-line reason a file could not be read."""


def decode(data: bytes) -> str:
    """Decode post text: UTF-8 (with or without BOM), UTF-16 with BOM, then GB18030; else ReadError."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError("starts with a UTF-16 mark but is not valid UTF-16; re-save it as UTF-8") from None
    if b"\x00" in data:
        raise ReadError("binary file, not text; give postguard .txt, .md, .jsonl or image files")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text[:4096])) > 8:
            raise ReadError("binary file, not text; give postguard .txt, .md, .jsonl or image files")
        return text
    raise ReadError("cannot decode as UTF-8, UTF-16 or GB18030; re-save the file as UTF-8")


def _read_text_file(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ReadError(f"file is {size / 1e6:.1f} MB; posts over {MAX_TEXT_BYTES // 2**20} MB are not "
                            "scanned (split it, or use JSON Lines with one post per line)")
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror}") from None
    return decode(data)


def _shown(path: Path) -> str:
    """Paths as the user would write them: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _image_refs(body: str) -> list[tuple[str, str]]:
    refs = [(m["src"], m["alt"]) for m in _MD_IMAGE.finditer(body)]
    refs += [(m["src"], "") for m in _HTML_IMAGE.finditer(body)]
    return refs


def _resolve_image(base: Path, src: str) -> Path | None:
    if "://" in src or src.startswith("data:"):
        return None  # remote images are not fetched
    return (base / src).resolve() if not os.path.isabs(src) else Path(src)


def _split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter YAML or None, body, number of lines before the body)."""
    if not text.startswith("---"):
        return None, text, 0
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text, 0
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 1
    return None, text, 0


def _suppressions_from(value: Any, source: str) -> tuple[list[Suppression], list[InputError]]:
    sups: list[Suppression] = []
    errors: list[InputError] = []
    if not isinstance(value, dict) or set(value) - {"ignore"}:
        return sups, [InputError(source, "front matter `postguard:` takes only `ignore: [{rule, reason}]`")]
    for item in value.get("ignore") or []:
        if not isinstance(item, dict) or not item.get("rule"):
            errors.append(InputError(source, "each postguard.ignore entry needs `rule` and `reason`"))
        elif not str(item.get("reason") or "").strip():
            errors.append(InputError(source, f"ignore of {item['rule']} has no reason; add `reason: ...` "
                                             "(a suppression without a reason is not applied)"))
        else:
            match = item.get("match")
            sups.append(Suppression(str(item["rule"]), str(item["reason"]),
                                    str(match) if match is not None else None, "front matter"))
    return sups, errors


def read_draft(path: Path, account: str | None = None) -> Iterator[Post | InputError]:
    """A `.txt` or `.md` draft: one post. Markdown may carry YAML front matter and image references."""
    shown = _shown(path)
    try:
        text = _read_text_file(path)
    except ReadError as exc:
        yield InputError(shown, str(exc))
        return
    if not text.strip():
        yield InputError(shown, "empty file: nothing to scan")
        return
    meta: dict[str, Any] = {}
    body, offset = text, 0
    errors: list[InputError] = []
    sups: list[Suppression] = []
    images: list[str] = []
    if path.suffix.lower() in (".md", ".markdown"):
        fm, body, offset = _split_front_matter(text)
        if fm is not None:
            import yaml

            try:
                loaded = yaml.safe_load(fm) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = f":{mark.line + 2}" if mark is not None else ""
                yield InputError(f"{shown}{line}", "invalid YAML front matter; fix it or remove the --- block")
                return
            if not isinstance(loaded, dict):
                yield InputError(shown, "front matter must be a mapping of key: value")
                return
            meta = loaded
            if "postguard" in meta:
                s, e = _suppressions_from(meta["postguard"], shown)
                sups += s
                errors += e
        for m in _DISABLE.finditer(body):
            lineno = body.count("\n", 0, m.start()) + 1 + offset
            if not (m["reason"] or "").strip():
                errors.append(InputError(f"{shown}:{lineno}", f"postguard-disable {m['rule']} has no reason; "
                                         "write <!-- postguard-disable RULE: reason --> (not applied)"))
            else:
                sups.append(Suppression(m["rule"], m["reason"].strip(), None, f"inline comment line {lineno}"))
        declared = meta.get("images") or []
        if isinstance(declared, str):
            declared = [declared]
        refs = [str(d) for d in declared] + [src for src, _alt in _image_refs(body)]
        for src in refs:
            resolved = _resolve_image(path.parent, src)
            if resolved is None:
                continue
            if not resolved.is_file():
                errors.append(InputError(shown, f"image {src} not found; fix the path (relative to the post)"))
                continue
            img = _shown(resolved)
            if img not in images:
                images.append(img)
    return_id = str(meta.get("id") or shown)
    yield Post(
        id=return_id,
        text=body,
        images=tuple(images),
        account=_opt(meta.get("account")) or account,
        platform=_opt(meta.get("platform")),
        published_at=_opt(meta.get("published_at") or meta.get("date")),
        url=_opt(meta.get("url")),
        source=shown,
        source_path=shown,
        text_line_offset=offset,
        meta=meta,
        suppressions=tuple(sups),
        errors=tuple(errors),
    )


def _opt(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def read_jsonl(path: Path) -> Iterator[Post | InputError]:
    """JSON Lines (the contract): one object per line; a bad line is an error, the rest is read."""
    shown = _shown(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the `with` below; the open itself may fail
    except OSError as exc:
        yield InputError(shown, f"cannot read: {exc.strerror}")
        return
    any_line = False
    with fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{shown}:{lineno}"
            if len(raw) > MAX_JSONL_LINE:
                yield InputError(where, f"line is {len(raw) // 1024} KB; posts over 1 MB are not scanned")
                continue
            if not raw.strip():
                continue
            any_line = True
            try:
                obj = json.loads(decode(raw) if lineno > 1 else decode(raw.lstrip(b"\xef\xbb\xbf")))
            except (ReadError, json.JSONDecodeError) as exc:
                yield InputError(where, f"invalid JSON ({getattr(exc, 'msg', exc)}); fix or remove this line")
                continue
            yield from _post_from_object(obj, path, where, lineno)
    if not any_line:
        yield InputError(shown, "empty file: no JSON lines to scan")


def _post_from_object(obj: Any, path: Path, where: str, index: int) -> Iterator[Post | InputError]:
    if not isinstance(obj, dict):
        yield InputError(where, "each line must be a JSON object with `id` and `text`")
        return
    text = obj.get("text", "")
    if not isinstance(text, str):
        yield InputError(where, "`text` must be a string")
        return
    images: list[str] = []
    errors: list[InputError] = []
    raw_images = obj.get("images") or []
    if isinstance(raw_images, str):
        raw_images = [raw_images]
    for src in raw_images:
        resolved = _resolve_image(path.parent, str(src))
        if resolved is None:
            continue
        if resolved.is_file():
            images.append(_shown(resolved))
        else:
            errors.append(InputError(where, f"image {src} not found (paths are relative to the .jsonl file)"))
    if not text.strip() and not images:
        yield InputError(where, "post has no text and no images")
        return
    yield Post(
        id=str(obj.get("id") or f"{_shown(path)}:{index}"),
        text=text,
        images=tuple(images),
        account=_opt(obj.get("account")),
        platform=_opt(obj.get("platform")),
        published_at=_opt(obj.get("published_at")),
        url=_opt(obj.get("url")),
        source=where,
        source_path=_shown(path),
        meta={k: v for k, v in obj.items() if k not in ("text",)},
        errors=tuple(errors),
    )


def read_image_file(path: Path, account: str | None = None) -> Iterator[Post | InputError]:
    shown = _shown(path)
    yield Post(id=shown, text="", images=(shown,), account=account, source=shown, source_path=shown)


def _export_reader(path: Path) -> Any:
    """The platform-export reader for this path, if it is one."""
    try:
        from postguard.ingest import exports
    except ImportError:  # pragma: no cover - during development
        return None
    name = exports.detect_export(path)
    if name is None:
        return None
    return lambda p: exports.EXPORT_READERS[name](p, exports.ReaderOptions())


def read_path(path: Path, *, input_format: str | None = None, options: Any = None) -> Iterator[Post | InputError]:
    """Any path the user names: a file, a folder, or `-` is handled by the caller."""
    if input_format:
        from postguard.ingest import exports

        if input_format == "jsonl":
            yield from read_jsonl(path)
        elif input_format in ("txt", "md", "draft"):
            yield from read_draft(path)
        elif input_format in exports.EXPORT_READERS:
            yield from exports.EXPORT_READERS[input_format](path, options or exports.ReaderOptions())
        else:
            yield InputError(str(path), f"unknown input format {input_format!r}")
        return
    if not path.exists():
        yield InputError(_shown(path), "no such file or folder; check the path")
        return
    export = _export_reader(path)
    if export is not None:
        yield from export(path)
        return
    if path.is_dir():
        yield from read_directory(path)
        return
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from read_jsonl(path)
    elif suffix in IMAGE_SUFFIXES:
        yield from read_image_file(path)
    else:
        # anything else is read as a plain-text draft (decoding catches binary files)
        yield from read_draft(path)


def read_directory(root: Path) -> Iterator[Post | InputError]:
    """A folder, recursively: one post per draft file, JSON Lines, exports; images not referenced by a
    draft become posts of their own. The account defaults to the folder a draft sits in."""
    files: list[Path] = []
    export_dirs: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        if here != root and _export_reader(here) is not None:
            export_dirs.append(here)
            dirnames[:] = []
            continue
        files.extend(here / f for f in sorted(filenames) if not f.startswith("."))
    # posts first, then the images no post referenced (each becomes a post of its own)
    referenced: set[str] = set()
    found = 0

    def note(items: Iterator[Post | InputError]) -> Iterator[Post | InputError]:
        nonlocal found
        found += 1
        for item in items:
            if isinstance(item, Post):
                referenced.update(str(Path(i).resolve()) for i in item.images)
            yield item

    images: list[Path] = []
    for f in files:
        suffix = f.suffix.lower()
        account = f.parent.name if f.parent != root or root.name else None
        if suffix in TEXT_SUFFIXES:
            yield from note(read_draft(f, account=account))
        elif suffix == ".jsonl":
            yield from note(read_jsonl(f))
        elif suffix in IMAGE_SUFFIXES:
            images.append(f)
        else:
            export = _export_reader(f)
            if export is not None:
                yield from note(export(f))
    for d in export_dirs:
        yield from note(_export_reader(d)(d))
    for f in images:
        if str(f.resolve()) not in referenced:
            account = f.parent.name if f.parent != root or root.name else None
            yield from note(read_image_file(f, account=account))
    if not found:
        yield InputError(_shown(root), "no posts found (looked for .txt, .md, .jsonl, images and exports)")


def read_stdin_text(data: bytes, name: str = "-") -> Post | InputError:
    try:
        text = decode(data)
    except ReadError as exc:
        return InputError("<stdin>", str(exc))
    if not text.strip():
        return InputError("<stdin>", "empty input: nothing to scan")
    return Post(id=name, text=text, source="<stdin>")


def read_paths(paths: Iterable[str | Path], **kwargs: Any) -> Iterator[Post | InputError]:
    for p in paths:
        yield from read_path(Path(p), **kwargs)
