"""The HTML risk report: one self-contained file, safe to open and to pass on.

Header and overview are rendered by jinja2 (autoescaped). The posts travel as JSON inside a
`<script type="application/json">` and are drawn 50 at a time by the inline script with `textContent`
only, so 5,000 posts open quickly and no post content is ever parsed as HTML. A strict
Content-Security-Policy (script allowed by the sha256 of the one inline script, images only from
`data:`) means nothing is fetched from any network, even if escaping were wrong somewhere.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import jinja2
from markupsafe import Markup

from postguard.mask import MASKED_CATEGORIES, mask_spans, mask_value
from postguard.model import CATEGORIES, RISK_LEVELS, SEVERITIES, Finding, ImageResult, Location, PostResult
from postguard.report import ReportOptions, ScanRun, i18n
from postguard.report.assets import inline_assets

TEMPLATES = Path(__file__).with_name("templates")
PAGE_SIZE = 50
# Categories whose evidence is an identifier, masked with --mask. Claims such as "100% cure" stay
# readable: masking them would hide the problem without protecting anyone.
_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)
_SAFE_THUMB = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]*$")
_CHART_BINS = 24
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?")


def render(run: ScanRun, out: TextIO, options: ReportOptions) -> None:
    """Write the whole report for `run` to `out` (consumes run.results() once)."""
    collected = collect(run.results(), options)
    out.write(render_html(run, collected, options))


# ---------------------------------------------------------------------------------------------------
# collecting: PostResults -> compact, already-masked dictionaries (the only thing kept in memory)


@dataclass
class Collected:
    """Everything the report needs, gathered while the results stream past."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)  # interned messages, advice, why
    refs: list[list[list[str | None]]] = field(default_factory=list)  # interned reference lists
    suppressed: list[dict[str, Any]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    # account -> [(date, number of findings)] for the chart over time
    timeline: dict[str, list[tuple[_dt.date, int]]] = field(default_factory=dict)
    _string_ids: dict[str, int] = field(default_factory=dict)
    _ref_ids: dict[tuple[tuple[str, str | None], ...], int] = field(default_factory=dict)

    def intern(self, text: str) -> int:
        """Messages and advice repeat across thousands of findings: store each once."""
        idx = self._string_ids.get(text)
        if idx is None:
            idx = self._string_ids[text] = len(self.strings)
            self.strings.append(text)
        return idx

    def intern_refs(self, refs: tuple[tuple[str, str | None], ...]) -> int:
        idx = self._ref_ids.get(refs)
        if idx is None:
            idx = self._ref_ids[refs] = len(self.refs)
            self.refs.append([[title, url] for title, url in refs])
        return idx


def collect(results: Iterable[PostResult], options: ReportOptions) -> Collected:
    c = Collected()
    for order, result in enumerate(results):
        c.languages.append(result.language)
        c.posts.append(_post_entry(c, order, result, options.mask))
        date = _parse_date(result.post.published_at)
        if date is not None and result.findings:
            c.timeline.setdefault(result.post.account or "", []).append((date, len(result.findings)))
    # worst first; ties keep the input order
    c.posts.sort(key=lambda p: (-p["sc"], -RISK_LEVELS.index(p["l"]), p["o"]))
    return c


def _post_entry(c: Collected, order: int, result: PostResult, mask: bool) -> dict[str, Any]:
    post = result.post
    lang = result.language
    text = post.text
    image_index = {img.path: i for i, img in enumerate(result.images)}
    all_findings = [*result.findings, *(s.finding for s in result.suppressed)]
    if mask:
        text = mask_spans(text, _spans(all_findings, "text", None, len(text)))
    images = [_image_entry(img, all_findings, mask) for img in result.images]
    entry: dict[str, Any] = {
        "o": order,
        "i": post.id,
        "a": post.account or "",
        "p": post.platform or "",
        "d": short_date(post.published_at),
        "src": post.source,
        "u": post.url if post.url and _SAFE_URL.match(post.url) else None,
        "l": result.risk.level if result.risk.level in RISK_LEVELS else "none",
        "sc": int(result.risk.score),
        "lg": lang,
        "x": text,
        "f": [_finding_entry(c, f, lang, text, images, image_index, mask) for f in result.findings],
        "im": images,
        "er": [str(e) for e in (*post.errors, *result.errors)],
    }
    for s in result.suppressed:
        f = s.finding
        c.suppressed.append(
            {
                "post": post.id,
                "rule": f.rule,
                "category": f.category,
                "severity": f.severity,
                "evidence": _display_evidence(f, text, images, image_index, mask),
                "reason": s.reason,
                "origin": s.origin,
            }
        )
    return entry


def short_date(value: str | None) -> str:
    """`2024-03-05T21:14:00+08:00` -> `2024-03-05 21:14`: readable, and sorts like the original."""
    if not value:
        return ""
    m = _ISO_DATE.match(value)
    if not m:
        return value
    return m.group(1) + (" " + m.group(2) if m.group(2) else "")


def _spans(findings: list[Finding], kind: str, image: str | None, length: int) -> list[tuple[int, int]]:
    """Spans to mask: identifier findings located in this text (post body, or one image's OCR text)."""
    out = []
    for f in findings:
        loc = f.location
        span = _span(loc, length)
        if f.category not in MASKED_CATEGORIES or span is None or loc.kind != kind:
            continue
        if kind == "text" or loc.image == image:
            out.append(span)
    return out


def _span(loc: Location, length: int) -> tuple[int, int] | None:
    """The location's [start, end) if it lies inside a text of `length` characters."""
    if loc.start is None or loc.end is None or not 0 <= loc.start < loc.end <= length:
        return None
    return loc.start, loc.end


def _utf16_span(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """Offsets are in code points; JavaScript strings index UTF-16 units, so emoji and other
    characters outside the BMP count twice there."""
    if text.isascii() or all(ord(ch) < 0x10000 for ch in text[: span[1]]):
        return span
    start = len(text[: span[0]].encode("utf-16-le")) // 2
    end = start + len(text[span[0] : span[1]].encode("utf-16-le")) // 2
    return start, end


def _image_entry(img: ImageResult, findings: list[Finding], mask: bool) -> dict[str, Any]:
    ocr = img.ocr_text or ""
    if mask:
        ocr = mask_spans(ocr, _spans(findings, "image", img.path, len(ocr)))
    thumb = img.thumbnail if img.thumbnail and _SAFE_THUMB.match(img.thumbnail) else None
    return {
        "p": img.path,
        "st": img.status,
        "d": img.detail,
        "w": img.width,
        "h": img.height,
        "t": thumb,
        "x": ocr,
    }


def _display_evidence(
    f: Finding, text: str, images: list[dict[str, Any]], image_index: dict[str, int], mask: bool
) -> str:
    """The evidence as the reader sees it: with masking on, the masked slice it highlights."""
    if not mask or f.category not in MASKED_CATEGORIES:
        return f.evidence
    loc = f.location
    source = text if loc.kind == "text" else None
    if loc.kind == "image" and loc.image in image_index:
        source = images[image_index[loc.image]]["x"]
    span = _span(loc, len(source)) if source is not None else None
    if source is not None and span is not None:
        return source[span[0] : span[1]]
    return mask_value(f.evidence)


def _finding_entry(
    c: Collected,
    f: Finding,
    lang: str,
    text: str,
    images: list[dict[str, Any]],
    image_index: dict[str, int],
    mask: bool,
) -> dict[str, Any]:
    loc = f.location
    refs = tuple((r.title, r.url if r.url and _SAFE_URL.match(r.url) else None) for r in f.references)
    entry: dict[str, Any] = {
        "r": f.rule,
        "c": f.category,
        "v": f.severity if f.severity in SEVERITIES else "low",
        # the rule's words in the post's own language where the rule provides them
        "m": c.intern(f.messages.get(lang) or f.message),
        "a": c.intern(f.advices.get(lang) or f.advice),
        # `why` may quote the raw evidence ("11-digit mobile 138..."): mask it there too
        "w": c.intern(_scrub(f.why, f, mask)),
        "rf": c.intern_refs(refs),
        "e": _display_evidence(f, text, images, image_index, mask),
        "k": loc.kind,
    }
    span = _span(loc, len(text))
    if loc.kind == "text" and span is not None:
        entry["s"], entry["n"] = _utf16_span(text, span)
    if loc.image is not None and loc.image in image_index:
        entry["g"] = image_index[loc.image]
        ocr = images[entry["g"]]["x"]
        span = _span(loc, len(ocr))
        if loc.kind == "image" and span is not None:
            entry["s"], entry["n"] = _utf16_span(ocr, span)
    elif loc.image is not None:
        entry["gp"] = loc.image
    if loc.bbox:
        entry["b"] = list(loc.bbox)
    if loc.field:
        entry["fl"] = loc.field
    if loc.line is not None:
        entry["ln"] = loc.line
    return entry


def _scrub(text: str, f: Finding, mask: bool) -> str:
    if not mask or f.category not in MASKED_CATEGORIES or not f.evidence:
        return text
    return text.replace(f.evidence, mask_value(f.evidence))


def _parse_date(value: str | None) -> _dt.date | None:
    if not value or len(value) < 10:
        return None
    try:
        return _dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------
# rendering


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every {{ }} is escaped; only the JSON and our own CSS/JS are Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    """The inline CSS, the inline script, and the script's CSP hash."""
    return inline_assets(TEMPLATES / "report.css", TEMPLATES / "report.js")


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` can end it or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _tool_version() -> str:
    try:
        from postguard import __version__

        return str(__version__)
    except ImportError:  # a broken import elsewhere must not stop the report from rendering
        return "dev"


def render_html(run: ScanRun, c: Collected, options: ReportOptions) -> str:
    lang = i18n.choose_language(options.lang, c.languages)
    t = i18n.strings(lang)
    css, js, script_hash = _assets()
    summary = run.summary
    version = _tool_version()
    labels = {
        "cat": i18n.CATEGORY_LABELS[lang],
        "tag": i18n.CATEGORY_TAGS[lang],
        "sev": i18n.SEVERITY_LABELS[lang],
        "lvl": i18n.LEVEL_LABELS[lang],
    }
    data = {
        "lang": lang,
        "pageSize": PAGE_SIZE,
        "t": t,
        "labels": labels,
        "categories": list(CATEGORIES),
        "severities": list(SEVERITIES),
        "levels": list(RISK_LEVELS),
        "s": c.strings,
        "refs": c.refs,
        "posts": c.posts,
    }
    accounts = sorted(a for a in {p["a"] for p in c.posts})
    context = {
        "lang": lang,
        "t": t,
        "labels": labels,
        "css": Markup(css),
        "js": Markup(js),
        "csp": (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src '{script_hash}'; base-uri 'none'; form-action 'none'"
        ),
        "data_json": Markup(script_json(data)),
        "generated": run.started_at,
        "version": version,
        "packs": run.policy.packs,
        "rule_count": len(run.policy.rules),
        "summary": summary,
        "n_posts": len(c.posts),
        "n_images": sum(len(p["im"]) for p in c.posts),
        "n_findings": sum(len(p["f"]) for p in c.posts),
        "n_accounts": len([a for a in accounts if a]),
        "span": _time_span(c.posts),
        "categories": _bars(CATEGORIES, _count(c.posts, "c")),
        "severities": _bars(tuple(reversed(SEVERITIES)), _count(c.posts, "v")),
        "levels": _stack(c.posts),
        "accounts": _account_rows(c),
        "account_options": accounts,
        "compliant": sum(1 for p in c.posts if not p["f"]),
        "suppressed": c.suppressed,
        "input_errors": [str(e) for e in run.input_errors],
        "mask": options.mask,
    }
    return _env().get_template("report.html.j2").render(**context)


def _count(posts: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in posts:
        for f in p["f"]:
            out[f[key]] = out.get(f[key], 0) + 1
    return out


def _bars(keys: Iterable[str], counts: dict[str, int]) -> list[dict[str, Any]]:
    top = max(counts.values(), default=0) or 1
    return [{"key": k, "n": counts.get(k, 0), "pct": round(100 * counts.get(k, 0) / top, 1)} for k in keys]


def _stack(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Segments of one stacked bar: the share of posts at each risk level, worst on the left."""
    counts = {lvl: 0 for lvl in RISK_LEVELS}
    for p in posts:
        counts[p["l"]] += 1
    total = len(posts) or 1
    out, x = [], 0.0
    for lvl in reversed(RISK_LEVELS):
        width = 100 * counts[lvl] / total
        out.append({"key": lvl, "n": counts[lvl], "x": round(x, 3), "w": round(width, 3)})
        x += width
    return out


def _time_span(posts: list[dict[str, Any]]) -> tuple[str, str] | None:
    dates = [p["d"] for p in posts if p["d"]]
    return (min(dates), max(dates)) if dates else None


def _account_rows(c: Collected) -> list[dict[str, Any]]:
    """One row per account with a small bar chart of findings over the whole report's time span."""
    rows: dict[str, dict[str, Any]] = {}
    for p in c.posts:
        row = rows.setdefault(p["a"], {"account": p["a"], "posts": 0, "flagged": 0, "findings": 0,
                                       "worst": "none"})
        row["posts"] += 1
        row["flagged"] += bool(p["f"])
        row["findings"] += len(p["f"])
        if RISK_LEVELS.index(p["l"]) > RISK_LEVELS.index(row["worst"]):
            row["worst"] = p["l"]
    if not any(rows):
        return []  # no accounts at all: a per-account table would say nothing
    all_dates = [d for series in c.timeline.values() for d, _ in series]
    first, last = (min(all_dates), max(all_dates)) if all_dates else (None, None)
    days = (last - first).days + 1 if first and last else 1
    nbins = max(1, min(_CHART_BINS, days))
    binned: dict[str, list[int]] = {}
    for account, series in c.timeline.items():
        bins = [0] * nbins
        for d, n in series:
            bins[min(nbins - 1, (d - first).days * nbins // days)] += n  # type: ignore[operator]
        binned[account] = bins
    top = max((max(b) for b in binned.values()), default=0) or 1
    out = []
    for account in sorted(rows, key=lambda a: (-RISK_LEVELS.index(rows[a]["worst"]), a)):
        row = rows[account]
        bins = binned.get(account, [0] * nbins)
        width = 120 / nbins
        row["bars"] = [
            {
                "x": round(i * width, 2),
                "w": round(max(width - 1, 0.5), 2),
                "h": round(22 * n / top, 2),
                "n": n,
                "label": _bin_label(first, days, nbins, i),
            }
            for i, n in enumerate(bins)
        ]
        out.append(row)
    return out


def _bin_label(first: _dt.date | None, days: int, nbins: int, i: int) -> str:
    if first is None:
        return ""
    start = first + _dt.timedelta(days=-(-i * days // nbins))
    end = first + _dt.timedelta(days=-(-(i + 1) * days // nbins) - 1)
    return start.isoformat() if start >= end else f"{start.isoformat()} – {end.isoformat()}"
