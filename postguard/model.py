"""The data that flows through postguard: frozen dataclasses, no behaviour beyond conversions.

Post -> Segments -> Findings -> PostResult -> ScanResult. Every stage is a pure function of its
input, so a post can be scanned in any process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "identifiability",
    "unprofessional",
    "conflict_of_interest",
    "diagnostic_advice",
    "advertising_claims",
)
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
RISK_LEVELS: tuple[str, ...] = ("none", "low", "medium", "high", "critical")
SEGMENT_KINDS: tuple[str, ...] = ("text", "ocr", "metadata", "alt")
LANGUAGES: tuple[str, ...] = ("zh", "en")


def severity_rank(severity: str) -> int:
    """0 for low ... 3 for critical; -1 for anything else (used for sorting, worst first)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


@dataclass(frozen=True)
class InputError:
    """Something that could not be read. `source` names the file (and line or position)."""

    source: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "message": self.message}

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(frozen=True)
class Suppression:
    """A reason to hide one rule's findings (front matter, inline comment, config or baseline)."""

    rule: str
    reason: str
    match: str | None = None  # only findings whose evidence contains this text
    origin: str = ""  # where the suppression was declared, e.g. "front matter", "config:.postguard.yml:12"


@dataclass(frozen=True)
class Post:
    """One publishable unit."""

    id: str
    text: str
    images: tuple[str, ...] = ()  # paths (absolute, or relative to the working directory)
    account: str | None = None
    platform: str | None = None
    published_at: str | None = None
    url: str | None = None
    source: str = ""  # "path[:line]" it was read from
    source_path: str | None = None  # the file itself, for suppressions by path and baselines
    text_line_offset: int = 0  # lines before the text in the source file (front matter), for line numbers
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    suppressions: tuple[Suppression, ...] = ()
    errors: tuple[InputError, ...] = ()  # problems found while reading this post (a missing image, say)


@dataclass(frozen=True)
class Location:
    kind: str  # "text" | "image" | "metadata" | "alt"
    start: int | None = None
    end: int | None = None
    line: int | None = None
    column: int | None = None
    image: str | None = None
    bbox: tuple[int, int, int, int] | None = None  # x, y, w, h in original-image pixels
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "metadata":
            out["image"] = self.image
            out["field"] = self.field
            return out
        if self.image is not None:
            out["image"] = self.image
        out["start"] = self.start
        out["end"] = self.end
        if self.kind == "image":
            out["bbox"] = list(self.bbox) if self.bbox else None
        else:
            out["line"] = self.line
            out["column"] = self.column
        return out


@dataclass(frozen=True)
class Reference:
    title: str
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class Finding:
    rule: str
    category: str
    severity: str
    message: str
    advice: str
    references: tuple[Reference, ...]
    evidence: str
    location: Location
    why: str
    tags: tuple[str, ...] = ()
    # both languages where the rule provides them: {"en": ..., "zh": ...}
    messages: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    advices: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    fix: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "message": self.message,
            "advice": self.advice,
            "references": [r.to_dict() for r in self.references],
            "evidence": self.evidence,
            "location": self.location.to_dict(),
            "why": self.why,
        }


@dataclass(frozen=True)
class SuppressedFinding:
    finding: Finding
    reason: str
    origin: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = self.finding.to_dict()
        out["suppressed_reason"] = self.reason
        out["suppressed_by"] = self.origin
        return out


@dataclass(frozen=True)
class Segment:
    """A piece of text to scan, and how to map an offset back to where it came from.

    kind "text": the post body; offsets are into `post.text`.
    kind "ocr": the OCR text of one image; `boxes[i]` is the word box (x, y, w, h, original pixels)
      of character i (None for the spaces/newlines the assembler inserted).
    kind "metadata": one EXIF field of one image (`field`), the value as text.
    """

    kind: str
    text: str
    image: str | None = None
    field: str | None = None
    boxes: tuple[tuple[int, int, int, int] | None, ...] | None = None
    line_offset: int = 0  # added to line numbers (front matter above the body)


@dataclass(frozen=True)
class ImageResult:
    path: str
    status: str  # "scanned" | "not_scanned" | "error"
    ocr_text: str = ""
    detail: str | None = None
    width: int | None = None
    height: int | None = None
    thumbnail: str | None = field(default=None, compare=False)  # data: URI, only for the HTML report

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "ocr_text": self.ocr_text, "detail": self.detail}


@dataclass(frozen=True)
class Risk:
    score: int
    level: str

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level}


@dataclass(frozen=True)
class PostResult:
    post: Post
    findings: tuple[Finding, ...]
    risk: Risk
    suppressed: tuple[SuppressedFinding, ...] = ()
    errors: tuple[InputError, ...] = ()
    images: tuple[ImageResult, ...] = ()
    language: str = "en"  # the post's main language, for messages
    unused_suppressions: tuple[Suppression, ...] = ()  # declared for this post but matched nothing

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    def to_dict(self) -> dict[str, Any]:
        p = self.post
        return {
            "id": p.id,
            "source": p.source,
            "account": p.account,
            "platform": p.platform,
            "published_at": p.published_at,
            "url": p.url,
            "text": p.text,
            "images": [i.to_dict() for i in self.images],
            "risk": self.risk.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "suppressed": [s.to_dict() for s in self.suppressed],
            "errors": [e.to_dict() for e in self.errors],
        }


@dataclass
class Summary:
    """Running totals, updated as results stream past (not frozen on purpose)."""

    posts: int = 0
    flagged: int = 0
    images: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    by_level: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0
    errors: int = 0
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    first_date: str | None = None
    last_date: str | None = None

    def add(self, result: PostResult) -> None:
        self.posts += 1
        self.images += len(result.post.images)
        if result.flagged:
            self.flagged += 1
        for f in result.findings:
            self.by_category[f.category] = self.by_category.get(f.category, 0) + 1
            self.by_severity[f.severity] = self.by_severity.get(f.severity, 0) + 1
        self.by_level[result.risk.level] = self.by_level.get(result.risk.level, 0) + 1
        self.suppressed += len(result.suppressed)
        self.errors += len(result.errors)
        account = result.post.account or ""
        row = self.accounts.setdefault(
            account, {"posts": 0, "flagged": 0, "findings": 0, "worst": "none", "errors": 0}
        )
        row["posts"] += 1
        row["flagged"] += int(result.flagged)
        row["findings"] += len(result.findings)
        row["errors"] += len(result.errors)
        if RISK_LEVELS.index(result.risk.level) > RISK_LEVELS.index(row["worst"]):
            row["worst"] = result.risk.level
        date = result.post.published_at
        if date:
            if self.first_date is None or date < self.first_date:
                self.first_date = date
            if self.last_date is None or date > self.last_date:
                self.last_date = date

    def to_dict(self, input_errors: int = 0) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "flagged": self.flagged,
            "images": self.images,
            "by_category": dict(self.by_category),
            "by_severity": dict(self.by_severity),
            "by_level": dict(self.by_level),
            "suppressed": self.suppressed,
            "errors": self.errors + input_errors,
            "accounts": {k or "(none)": dict(v) for k, v in self.accounts.items()},
            "time_span": [self.first_date, self.last_date],
        }
