"""The safe version of a post: text changes proposed from findings, and image redaction.

Pure functions of their input. A rule's `fix` (see docs/policies.md) says what to do; rules without one
fall back by category:

- identifiability: the evidence becomes a neutral placeholder (`[已隐去]` / `[removed]`); an exact age
  becomes a range (`56岁` -> `50多岁`);
- conflict_of_interest: a disclosure line (`广告` / `#ad`) is proposed at the start of the post;
- advertising_claims: the sentence holding the claim is marked for deletion, with the reason;
- anything else: no automatic change; the rule's advice is passed on as a note for the author.

Every proposed edit is a `Change` with offsets into the original text, so a person can accept or reject
each one (`apply_changes`). Changes never overlap: overlapping proposals are merged into one.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from postguard.model import Finding, PostResult
from postguard.policy.model import Policy

PLACEHOLDER = {"zh": "[已隐去]", "en": "[removed]"}
DISCLOSURE = {"zh": "广告", "en": "#ad"}
# platforms whose audience reads a Chinese disclosure, and those that use the #ad convention
_ZH_PLATFORMS = frozenset({"wechat", "weibo", "douyin", "xiaohongshu"})
_EN_PLATFORMS = frozenset({"x", "twitter", "instagram", "facebook"})
REDACT_CATEGORIES: tuple[str, ...] = ("identifiability",)

# kinds of change, in the order a reader should review them
KINDS: tuple[str, ...] = ("remove", "replace", "generalise", "disclose", "delete")

# The hundred-odd most common surnames: enough to recognise `18床王建国` as bed number + name without
# guessing at every pair of Chinese characters after an identifier.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康"
)
_NAME_AFTER = regex.compile(
    rf"[{_SURNAMES}](?:[\p{{Han}}]{{1,2}}?)(?=$|[\s，。、；：！？,.;:!?（）()“”\"'…]|的|说|今天|昨天|明天|出院|入院|住院|术后|家属|患者|病人)"
)
_AGE_ZH = regex.compile(r"(?<!\d)(\d{1,3})\s*(?:周岁|岁)")
_AGE_EN = regex.compile(
    r"(?i)(?<![\dA-Za-z])(?:(?:aged?|age:?)\s*(\d{1,3})|(\d{1,3})\s*(?:-|\s)?(?:years?|yrs?)[- ]old"
    r"|(\d{1,3})\s*y/?o)(?![A-Za-z])"
)
_SENTENCE_END = "。！？!?\n；;"
# a label that only makes sense with the value after it: removed together with the value
_LABEL_BEFORE = regex.compile(
    r"(?i)(?:(?:联系)?电话|手机(?:号)?|联系方式|微信(?:号)?|住院号|病历号|门诊号|身份证(?:号)?|tel|phone|mobile|call|ID)"
    r"\s*(?:号码)?\s*[:：#]?\s*$"
)


@dataclass(frozen=True)
class Change:
    """One proposed edit: replace original[start:end] (== before) with `after`."""

    id: str
    rule: str
    category: str
    kind: str  # remove | replace | generalise | disclose | delete
    start: int
    end: int
    before: str
    after: str
    reason: str
    rules: tuple[str, ...] = ()  # every rule merged into this change (the first is `rule`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "rule": self.rule, "rules": list(self.rules or (self.rule,)),
            "category": self.category, "kind": self.kind, "start": self.start, "end": self.end,
            "before": self.before, "after": self.after, "reason": self.reason,
        }


@dataclass(frozen=True)
class Note:
    """A finding with no automatic change: what the author should do instead."""

    rule: str
    category: str
    evidence: str
    text: str
    where: str = "text"  # text | image | metadata

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "category": self.category, "evidence": self.evidence, "text": self.text,
                "where": self.where}


@dataclass(frozen=True)
class FixResult:
    original: str
    text: str  # with every change applied
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"original": self.original, "text": self.text, "changes": [c.to_dict() for c in self.changes],
                "notes": [n.to_dict() for n in self.notes]}


# ---------------------------------------------------------------------------------------------------
# text


def _text_in(texts: dict[str, str] | None, lang: str) -> str | None:
    if not texts:
        return None
    return texts.get(lang) or texts.get("*") or next(iter(texts.values()), None)


def _reason(f: Finding, lang: str) -> str:
    msg = f.messages.get(lang) or f.message
    advice = f.advices.get(lang) or f.advice
    return f"{msg} {advice}".strip() if advice and advice != msg else msg


def age_range(evidence: str, lang: str) -> str | None:
    """`56岁` -> `50多岁`, `aged 56` -> `in their 50s`; 90 and over (HIPAA Safe Harbor) -> `90岁以上` /
    `over 89`. None when the evidence holds no age."""
    m = _AGE_ZH.search(evidence)
    if m:
        age = int(m.group(1))
        new = "90岁以上" if age >= 90 else ("不到10岁" if age < 10 else f"{age // 10 * 10}多岁")
        return evidence[: m.start()] + new + evidence[m.end():]
    m = _AGE_EN.search(evidence)
    if m:
        age = int(next(g for g in m.groups() if g))
        decade = age // 10 * 10
        if m.group(1):  # "aged 56" -> "aged 50-59"
            new, span = ("over 89" if age >= 90 else "under 10" if age < 10 else f"{decade}-{decade + 9}"), m.span(1)
        elif m.group(2):  # "72-year-old man" keeps its shape: "70-something-year-old man"
            new = ("90-plus-year-old" if age >= 90 else "under-10-year-old" if age < 10
                   else f"{decade}-something-year-old")
            span = m.span()
        else:  # "56 yo" -> "in their 50s"
            new, span = ("over 89" if age >= 90 else "under 10" if age < 10 else f"in their {decade}s"), m.span()
        return evidence[: span[0]] + new + evidence[span[1]:]
    return None


def _name_after(text: str, end: int) -> int:
    """If a Chinese name directly follows an identifier (`18床王建国`), the end of that name, else `end`."""
    if end <= 0 or end >= len(text) or not regex.match(r"\p{Han}|\d", text[end - 1]):
        return end
    m = _NAME_AFTER.match(text, end)
    return m.end() if m else end


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from after the previous terminator to its own terminator."""
    def ends_at(i: int) -> bool:  # "." ends a sentence only before a space or the end (not in 2.5 mg)
        ch = text[i]
        return ch in _SENTENCE_END or (ch == "." and (i + 1 == len(text) or text[i + 1].isspace()))

    s = start
    while s > 0 and not ends_at(s - 1):
        s -= 1
    e = end
    while e < len(text) and not ends_at(e):
        e += 1
    if e < len(text) and text[e] != "\n":
        e += 1  # take the terminator with the sentence
    while s < start and text[s] in " \t":
        s += 1
    return s, e


def _disclosure(f: Finding, text_lang: str, platform: str | None) -> str:
    lang = text_lang
    if platform in _ZH_PLATFORMS:
        lang = "zh"
    elif platform in _EN_PLATFORMS:
        lang = "en"
    return _text_in((f.fix or {}).get("replacement"), lang) or DISCLOSURE[lang]


@dataclass
class _Proposal:
    rule: str
    category: str
    kind: str
    start: int
    end: int
    after: str
    reason: str
    rules: list[str]
    declared: bool = True  # the rule's own fix (preferred over a category fallback for the same span)


def _propose(f: Finding, text: str, text_lang: str, lang: str) -> _Proposal | Note | None:
    """What to do about one text finding: a proposal, a note, or None (a disclosure, handled apart)."""
    loc = f.location
    assert loc.start is not None and loc.end is not None
    start, end = loc.start, loc.end
    fix = f.fix or {}
    action = fix.get("action")
    reason = _reason(f, lang)

    def note(extra: str | None = None) -> Note:
        return Note(f.rule, f.category, f.evidence, extra or (f.advices.get(lang) or f.advice or reason))

    if action == "suggest":
        return note(_text_in(fix.get("suggestion"), lang))
    if action == "disclose":
        return None
    if action == "remove":
        if f.category == "identifiability":
            end = _name_after(text, end)
            label = _LABEL_BEFORE.search(text[max(0, start - 12):start])
            if label:
                start -= len(label.group())
        return _Proposal(f.rule, f.category, "remove", start, end, "", reason, [f.rule])
    if action in ("replace", "generalise"):
        replacement = _text_in(fix.get("replacement"), text_lang) or ""
        if "{age_range}" in replacement:
            replacement = replacement.replace("{age_range}", age_range(text[start:end], text_lang) or "")
        if f.category == "identifiability":
            end = _name_after(text, end)
        return _Proposal(f.rule, f.category, action, start, end, replacement, reason, [f.rule])
    # no fix in the rule: fall back by category
    if f.category == "identifiability":
        ranged = age_range(text[start:end], text_lang)
        if ranged is not None:
            return _Proposal(f.rule, f.category, "generalise", start, end, ranged, reason, [f.rule], False)
        end = _name_after(text, end)
        return _Proposal(f.rule, f.category, "replace", start, end, PLACEHOLDER[text_lang], reason, [f.rule],
                         False)
    if f.category == "conflict_of_interest":
        return None  # a disclosure line
    if f.category == "advertising_claims":
        s, e = _sentence(text, start, end)
        return _Proposal(f.rule, f.category, "delete", s, e, "", reason, [f.rule], False)
    return note()


def fix_text(result: PostResult, lang: str | None = None, *, platform: str | None = None) -> FixResult:
    """Propose changes for the text findings of `result` and apply them all.

    Replacement texts follow the post's language (result.language); reasons and notes are in `lang`
    (the reader's language; default the post's). `platform` (default the post's) picks the disclosure
    convention: 广告 on Chinese platforms, #ad on X / Instagram / Facebook.
    """
    text = result.post.text
    text_lang = result.language if result.language in PLACEHOLDER else "en"
    lang = lang if lang in PLACEHOLDER else text_lang
    platform = (platform or result.post.platform or "").lower() or None
    proposals: list[_Proposal] = []
    notes: list[Note] = []
    disclose: Finding | None = None
    disclose_rules: list[str] = []
    for f in result.findings:
        loc = f.location
        in_text = (loc.kind == "text" and loc.start is not None and loc.end is not None
                   and 0 <= loc.start <= loc.end <= len(text))
        action = (f.fix or {}).get("action")
        if not in_text and f.category == "conflict_of_interest" and action in (None, "disclose"):
            p: _Proposal | Note | None = None  # a code or link in a picture still needs the disclosure
        elif not in_text:
            if f.category in REDACT_CATEGORIES and loc.kind == "image":
                continue  # identifiers in pictures are covered by redact_image
            where = "metadata" if loc.kind == "metadata" else "image" if loc.kind == "image" else "text"
            if loc.kind == "metadata":
                text_note = {"zh": "图片元数据会在安全版本中全部去除。",
                             "en": "Image metadata is stripped from the safe version."}[lang]
            else:
                text_note = _text_in((f.fix or {}).get("suggestion"), lang) or f.advices.get(lang) or f.advice
            notes.append(Note(f.rule, f.category, f.evidence, text_note, where))
            continue
        else:
            p = _propose(f, text, text_lang, lang)
        if p is None:
            if disclose is None:
                disclose = f
            disclose_rules.append(f.rule)
        elif isinstance(p, Note):
            notes.append(p)
        else:
            proposals.append(p)

    merged = _merge(proposals)
    changes: list[Change] = []
    if disclose is not None and not _has_disclosure(text, _disclosure(disclose, text_lang, platform)):
        line = _disclosure(disclose, text_lang, platform)
        changes.append(Change("c1", disclose.rule, disclose.category, "disclose", 0, 0, "", line + "\n",
                              _reason(disclose, lang), tuple(dict.fromkeys(disclose_rules))))
    for i, p in enumerate(merged):
        if not p.after:
            lo = merged[i - 1].end if i else 0
            hi = merged[i + 1].start if i + 1 < len(merged) else len(text)
            start, end = _absorb(text, p.start, p.end)
            p.start, p.end = max(start, lo), min(end, hi)
        changes.append(Change(f"c{len(changes) + 1}", p.rule, p.category, p.kind, p.start, p.end,
                              text[p.start:p.end], p.after, p.reason, tuple(dict.fromkeys(p.rules))))
    return FixResult(text, apply_changes(text, changes), changes, notes)


def fix_result(result: PostResult, policy: Policy, lang: str | None = None, *, platform: str | None = None,
               rounds: int = 3) -> FixResult:
    """fix_text, then scan the fixed text again: a replacement can put a new context word next to
    something that was harmless before (`一位住院患者，56岁`). New findings in unchanged parts of the text
    are mapped back to the original and fixed too, up to `rounds` times. Changes stay relative to the
    original, so each one can still be accepted or rejected."""
    from dataclasses import replace as dc_replace

    from postguard.engine import scan_post

    out = fix_text(result, lang, platform=platform)
    for _ in range(rounds):
        if not out.changes:
            return out
        origin = _origin_map(result.post.text, out.changes)
        again = scan_post(dc_replace(result.post, text=out.text, images=(), errors=()), policy)
        known = {(f.rule, f.location.start, f.location.end) for f in result.findings}
        extra: list[Finding] = []
        for f in again.findings:
            loc = f.location
            if loc.kind != "text" or loc.start is None or loc.end is None or loc.end <= loc.start:
                continue
            start, end = origin[loc.start], origin[loc.end - 1]
            if start is None or end is None or end + 1 - start != loc.end - loc.start:
                continue  # inside a replacement we wrote: nothing in the original to change
            if (f.rule, start, end + 1) in known:
                continue
            extra.append(dc_replace(f, location=dc_replace(loc, start=start, end=end + 1)))
        if not extra:
            return out
        result = dc_replace(result, findings=result.findings + tuple(extra))
        out = fix_text(result, lang, platform=platform)
    return out


def _origin_map(text: str, changes: Sequence[Change]) -> list[int | None]:
    """For each character of the fixed text, its index in the original (None inside a replacement)."""
    origin: list[int | None] = []
    pos = 0
    for c in sorted(changes, key=lambda c: (c.start, c.end)):
        origin.extend(range(pos, c.start))
        origin.extend([None] * len(c.after))
        pos = c.end
    origin.extend(range(pos, len(text)))
    return origin


def _has_disclosure(text: str, line: str) -> bool:
    return text.lstrip().lower().startswith(line.lower())


def _merge(proposals: list[_Proposal]) -> list[_Proposal]:
    """Overlapping proposals become one: the union of their spans, with the first one's replacement.

    Priority when spans overlap: the wider proposal (a deleted sentence swallows an identifier in it).
    """
    proposals.sort(key=lambda p: (p.start, -(p.end - p.start), not p.declared))
    out: list[_Proposal] = []
    for p in proposals:
        last = out[-1] if out else None
        if last is not None and p.start < last.end or (last is not None and p.start == last.end == p.end):
            assert last is not None
            if p.end > last.end:
                last.end = p.end
            if p.rule not in last.rules:
                last.rules.append(p.rule)
                if p.reason not in last.reason:
                    last.reason = f"{last.reason} / {p.reason}"
            continue
        out.append(p)
    return out


def apply_changes(text: str, changes: Iterable[Change], accepted_ids: Iterable[str] | None = None) -> str:
    """`text` with the accepted changes applied (all of them when accepted_ids is None).

    A plain splice, so the page's script can do exactly the same: changes refer to `text` (the
    original) and do not overlap, as fix_text makes them. Raises ValueError for a change that does not fit.
    """
    wanted = None if accepted_ids is None else set(accepted_ids)
    chosen = sorted((c for c in changes if wanted is None or c.id in wanted), key=lambda c: (c.start, c.end))
    parts: list[str] = []
    pos = 0
    for c in chosen:
        if c.start < pos or c.end > len(text) or text[c.start:c.end] != c.before:
            raise ValueError(f"change {c.id} ({c.rule}) does not fit the text at {c.start}-{c.end}")
        parts.append(text[pos:c.start])
        parts.append(c.after)
        pos = c.end
    parts.append(text[pos:])
    return "".join(parts)


_CUT_PUNCT = "，、；：,;:"
_STOP_PUNCT = "，。、；：！？,;:.!?\n"


def _absorb(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a deletion so it leaves no doubled space or dangling comma behind (`电话13800000000，` ->
    ``, `call 555-0100 now` -> `call now`)."""
    if end < len(text) and text[end] in _CUT_PUNCT and (start == 0 or text[start - 1] in _STOP_PUNCT + " "):
        end += 1
    elif start > 0 and text[start - 1] in _CUT_PUNCT and (end == len(text) or text[end] in _STOP_PUNCT):
        start -= 1
    if start > 0 and end < len(text) and text[start - 1] == " " and text[end] == " ":
        end += 1
    elif end == len(text) and start > 0 and text[start - 1] == " ":
        start -= 1
    return start, end


# ---------------------------------------------------------------------------------------------------
# images

Box = tuple[int, int, int, int]
_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


@dataclass(frozen=True)
class RedactResult:
    path: str
    boxes: list[Box]  # the filled boxes (padded), in original oriented pixels
    format: str
    width: int
    height: int


def redaction_boxes(findings: Iterable[Finding], image: str, categories: Sequence[str] = REDACT_CATEGORIES,
                    ) -> list[Box]:
    """Boxes of findings of these categories located in `image` (matched by path)."""
    return [f.location.bbox for f in findings
            if f.location.kind == "image" and f.location.image == image and f.location.bbox
            and f.category in categories]


def redact_image(path: str | os.PathLike[str], findings: Iterable[Finding], out_path: str | os.PathLike[str], *,
                 categories: Sequence[str] = REDACT_CATEGORIES, pad: int = 4, image_key: str | None = None,
                 ) -> RedactResult:
    """Fill the boxes of identifying text with solid black and save a clean copy to `out_path`.

    The copy is re-encoded from pixel data only: no EXIF (GPS, camera serial, dates), no XMP, no ICC
    profile, no PNG text chunks. EXIF orientation is applied first, because boxes are in oriented pixels
    and the orientation tag goes with the rest. `image_key` is the path findings name the image by
    (default `path`). The format follows out_path's suffix (PNG when unknown). Raises OSError or
    ValueError (from Pillow) for unreadable input.
    """
    from PIL import Image, ImageDraw, ImageOps

    key = image_key if image_key is not None else str(path)
    with Image.open(path) as src:
        src.seek(0)
        oriented = ImageOps.exif_transpose(src)
        has_alpha = oriented.mode in ("RGBA", "LA") or (oriented.mode == "P" and "transparency" in oriented.info)
        fmt = _SAVE_FORMATS.get(Path(out_path).suffix.lower(), "PNG")
        mode = "RGBA" if has_alpha and fmt != "JPEG" else "RGB"
        pixels = oriented.convert(mode)
        # a brand-new image from raw pixels carries no info dict at all: nothing can leak through
        clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    width, height = clean.size
    draw = ImageDraw.Draw(clean)
    filled: list[Box] = []
    for x, y, w, h in redaction_boxes(findings, key, categories):
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(width, x + w + pad), min(height, y + h + pad)
        if x1 <= x0 or y1 <= y0:
            continue
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(0, 0, 0, 255) if mode == "RGBA" else (0, 0, 0))
        filled.append((x0, y0, x1 - x0, y1 - y0))
    save_kw: dict[str, Any] = {"quality": 92} if fmt in ("JPEG", "WEBP") else {}
    buf = io.BytesIO()
    clean.save(buf, fmt, **save_kw)
    Path(out_path).write_bytes(buf.getvalue())
    return RedactResult(str(out_path), filled, fmt, width, height)


def redacted_name(name: str) -> str:
    """The file name for a redacted copy: same stem, a format we write (`scan.heic` -> `scan.png`)."""
    p = Path(name)
    suffix = p.suffix.lower() if p.suffix.lower() in _SAVE_FORMATS else ".png"
    return p.stem + suffix
