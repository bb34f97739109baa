"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Valid against the OASIS schema and shaped for GitHub's subset: rule metadata with help and
security-severity, one result per finding with a physical location, our own line-independent
partialFingerprints (postguard.baseline.fingerprint), suppressed findings with their reason, and
input errors as tool execution notifications. SARIF leaves the machine, so evidence is masked unless
`options.extra["unmasked"] is True`.

The helpers in the second half (masking, paths, text regions, levels) are shared with the junit and
github formats so that all CI outputs agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, TextIO
from urllib.parse import quote

from postguard.baseline import fingerprint, portable_path
from postguard.mask import MASKED_CATEGORIES, mask_value
from postguard.model import Finding, InputError, Post, PostResult, Reference
from postguard.policy.model import Rule
from postguard.report import ReportOptions, ScanRun

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "postguardFinding/v1"
DEFAULT_INFORMATION_URI = "https://pypi.org/project/postguard/"

# GitHub sorts security alerts by this score: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4 low
SECURITY_SEVERITY: dict[str, str] = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}


def render(run: ScanRun, out: TextIO, options: ReportOptions) -> None:
    mask = should_mask(options)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for rule in run.policy.rules:
        if rule.report and rule.id not in index:
            index[rule.id] = len(rules)
            rules.append(_rule_descriptor(rule))

    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for post_result in run.results():
        post = post_result.post
        masker = Masker(post_result, mask)
        for finding in post_result.findings:
            results.append(_result(post, finding, _rule_index(finding, index, rules), masker))
        for suppressed in post_result.suppressed:
            result = _result(post, suppressed.finding, _rule_index(suppressed.finding, index, rules), masker)
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": suppressed.reason}
            ]
            results.append(result)
        notifications.extend(_notification(e) for e in post_result.errors)
    # run.input_errors is complete only once the results have been consumed
    notifications.extend(_notification(e) for e in run.input_errors)

    invocation: dict[str, Any] = {
        "executionSuccessful": not notifications,
        "toolExecutionNotifications": notifications,
    }
    started = _utc(run.started_at)
    if started:
        invocation["startTimeUtc"] = started
    invocation["endTimeUtc"] = _utc(datetime.now(timezone.utc).isoformat())

    version = tool_version()
    summary = run.summary
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "postguard",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": information_uri(),
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "packs": [p.name for p in run.policy.packs],
                    "summary": {
                        "posts": summary.posts,
                        "flagged": summary.flagged,
                        "by_category": dict(summary.by_category),
                        "by_severity": dict(summary.by_severity),
                        "suppressed": summary.suppressed,
                        "errors": summary.errors + len(run.input_errors),
                    },
                    "masked": mask,
                },
            }
        ],
    }
    json.dump(doc, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _rule_index(finding: Finding, index: dict[str, int], rules: list[dict[str, Any]]) -> int:
    """Index of the finding's rule, adding a descriptor built from the finding if the policy lacks it."""
    if finding.rule not in index:
        index[finding.rule] = len(rules)
        rules.append(_descriptor_from_finding(finding))
    return index[finding.rule]


def _pascal(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_id) if part)


def _help(
    rule_id: str, messages: dict[str, str], advices: dict[str, str], references: tuple[Reference, ...]
) -> dict[str, str]:
    """help.text and help.markdown: what it means, what to do (each language), the guidance it enforces."""
    text: list[str] = []
    md: list[str] = []
    for lang in _langs(messages, advices):
        message, advice = messages.get(lang, ""), advices.get(lang, "")
        if message:
            text.append(message)
            md.append(f"**{_md(message)}**")
        if advice:
            text.append(advice)
            md.append(_md(advice))
    if references:
        text.append(
            "References:\n" + "\n".join(f"- {r.title}" + (f": {r.url}" if r.url else "") for r in references)
        )
        md.append(
            "References:\n\n"
            + "\n".join(
                f"- [{_md(r.title)}]({r.url.replace(')', '%29').replace(' ', '%20')})"
                if r.url
                else f"- {_md(r.title)}"
                for r in references
            )
        )
    return {"text": "\n\n".join(text) or rule_id, "markdown": "\n\n".join(md) or rule_id}


def _langs(*maps: dict[str, str]) -> list[str]:
    # English first (GitHub's UI is English), then Chinese, then anything else
    seen = {k for m in maps for k in m}
    return [k for k in ("en", "zh") if k in seen] + sorted(seen - {"en", "zh"})


def _md(text: str) -> str:
    """Escape the characters that would turn plain text into markdown structure."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def _descriptor(
    rule_id: str, category: str, severity: str, tags: Sequence[str], short: str, full: str,
    messages: dict[str, str], advices: dict[str, str], references: tuple[Reference, ...],
) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": _pascal(rule_id) or rule_id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": _help(rule_id, messages, advices, references),
        "defaultConfiguration": {"level": sarif_level(severity)},
        "properties": {
            "tags": [category, *(t for t in tags if t != category)],
            "security-severity": SECURITY_SEVERITY.get(severity, "5.5"),
            "severity": severity,
            "category": category,
        },
    }
    url = next((r.url for r in references if r.url), None)
    if url:
        descriptor["helpUri"] = url
    return descriptor


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    short = rule.message("en") or rule.id
    full = rule.description or " ".join(_sentence(x, ".") for x in (short, rule.advice("en")) if x)
    return _descriptor(rule.id, rule.category, rule.severity, rule.tags, short, full,
                       rule.messages, rule.advices, rule.references)


def _descriptor_from_finding(finding: Finding) -> dict[str, Any]:
    """For a finding whose rule is not in the policy (e.g. results replayed from elsewhere)."""
    messages = finding.messages or {"en": finding.message}
    advices = finding.advices or {"en": finding.advice}
    short = messages.get("en") or finding.message or finding.rule
    full = " ".join(_sentence(x, ".") for x in (finding.message, finding.advice) if x) or finding.rule
    return _descriptor(finding.rule, finding.category, finding.severity, (), short, full,
                       messages, advices, finding.references)


def _result(post: Post, finding: Finding, rule_index: int, masker: Masker) -> dict[str, Any]:
    loc = finding.location
    properties: dict[str, Any] = {
        "category": finding.category,
        "severity": finding.severity,
        "post": post.id,
        "why": masker(finding.why),
    }
    if post.account:
        properties["account"] = post.account
    if finding.tags:
        properties["tags"] = list(finding.tags)

    physical: dict[str, Any]
    location: dict[str, Any] = {}
    if loc.kind in ("image", "metadata") and loc.image:
        physical = {"artifactLocation": {"uri": uri(artifact_path(loc.image))}}
        extra: dict[str, Any] = {"kind": loc.kind}
        if loc.kind == "image":
            if loc.bbox:
                extra["bbox"] = list(loc.bbox)
            if loc.start is not None:
                extra["ocrStart"], extra["ocrEnd"] = loc.start, loc.end
        else:
            extra["field"] = loc.field
        location["properties"] = extra
    else:
        physical = {"artifactLocation": {"uri": uri(post_artifact(post))}}
        region = text_region(post, finding)
        if region:
            physical["region"] = region
    location["physicalLocation"] = physical

    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": sarif_level(finding.severity),
        "message": {"text": finding_text(finding, masker)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(post, finding)},
        "properties": properties,
    }
    if loc.kind in ("image", "metadata") and loc.image:
        # the post that published the image, so a reviewer can find the text around it
        result["relatedLocations"] = [
            {
                "id": 1,
                "physicalLocation": {"artifactLocation": {"uri": uri(post_artifact(post))}},
                "message": {"text": f"post {post.id}"},
            }
        ]
    return result


def _notification(error: InputError) -> dict[str, Any]:
    path, line = split_source(error.source)
    notification: dict[str, Any] = {"level": "error", "message": {"text": str(error)}}
    if path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri(artifact_path(path))}}
        if line:
            physical["region"] = {"startLine": line}
        notification["locations"] = [{"physicalLocation": physical}]
    return notification


def _utc(stamp: str) -> str | None:
    """ISO 8601 -> SARIF's UTC form (`...Z`); None if it cannot be parsed."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive stamps are local time
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- shared by the CI formats (sarif, junit, github) -------------------------------------------

LEVELS: dict[str, str] = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SOURCE_LINE = re.compile(r"^(.*?):(\d+)$")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def sarif_level(severity: str) -> str:
    return LEVELS.get(severity, "warning")


def should_mask(options: ReportOptions) -> bool:
    """CI reports leave the machine: masked unless the user explicitly asked for raw identifiers."""
    return options.extra.get("unmasked") is not True


class Masker:
    """Masks one post's identifiers wherever a report quotes them.

    The identifiers are the evidence of its identifiability findings (suppressed ones included); they
    are masked in every text of that post (messages, `why`, other findings' evidence), so a phone
    number inside an unprofessional quote is hidden too. Other evidence (a cure claim, say) is not an
    identifier and stays readable.
    """

    def __init__(self, result: PostResult, enabled: bool) -> None:
        raw: set[str] = set()
        if enabled:
            findings = list(result.findings) + [s.finding for s in result.suppressed]
            raw = {f.evidence for f in findings if f.category in MASKED_CATEGORIES and f.evidence.strip()}
        # longest first, so an ID number is masked whole before a shorter identifier inside it
        self._pairs = [(r, mask_value(r)) for r in sorted(raw, key=len, reverse=True)]

    def __call__(self, text: str) -> str:
        for raw, masked in self._pairs:
            if raw in text:
                text = text.replace(raw, masked)
        return text


def finding_text(finding: Finding, masker: Masker) -> str:
    """One message in the finding's own language: what was found, the (masked) evidence, what to do."""
    message = masker(finding.message).strip() or finding.rule
    advice = masker(finding.advice).strip()
    evidence = masker(finding.evidence)
    if _HAN.search(message):
        parts = [
            _sentence(message, "。"),
            f"证据：“{evidence}”。" if evidence else "",
            _sentence(advice, "。"),
        ]
        return "".join(p for p in parts if p)
    parts = [_sentence(message, "."), f"Evidence: “{evidence}”." if evidence else "", _sentence(advice, ".")]
    return " ".join(p for p in parts if p)


def _sentence(text: str, stop: str) -> str:
    return text if not text or text[-1] in ".。!！?？:：”\"'）)" else text + stop


def split_source(source: str) -> tuple[str, int | None]:
    """ "path:12" -> ("path", 12); "path" -> ("path", None)."""
    m = _SOURCE_LINE.match(source or "")
    if m and m.group(1):
        return m.group(1), int(m.group(2))
    return source or "", None


def artifact_path(path: str) -> str:
    """A file as CI tools want it: relative to the working directory, forward slashes."""
    return portable_path(path)


def post_artifact(post: Post) -> str:
    if post.source_path:
        return artifact_path(post.source_path)
    path, _ = split_source(post.source)
    return artifact_path(path) if path else post.id


def uri(path: str) -> str:
    """A relative path as a URI reference (spaces, CJK and '%' percent-encoded); absolute as file://."""
    encoded = quote(path, safe="/-._~")
    return f"file://{encoded}" if path.startswith("/") else encoded


def text_region(post: Post, finding: Finding) -> dict[str, int] | None:
    """startLine/startColumn/endLine/endColumn (end exclusive) of a text finding, or None.

    The end comes from the matched span of the post text (or the evidence if the offsets are missing);
    a finding without a line falls back to the post's own line in its source file.
    """
    loc = finding.location
    if loc.line is None or loc.line < 1:
        _, line = split_source(post.source)
        return {"startLine": line} if line else None
    region = {"startLine": loc.line}
    if loc.column is None or loc.column < 1:
        return region
    region["startColumn"] = loc.column
    if loc.start is not None and loc.end is not None and 0 <= loc.start <= loc.end <= len(post.text):
        span = post.text[loc.start : loc.end]
    else:
        span = finding.evidence
    if not span:
        return region
    breaks = span.count("\n")
    if breaks:
        region["endLine"] = loc.line + breaks
        region["endColumn"] = len(span.rsplit("\n", 1)[1]) + 1
    else:
        region["endLine"] = loc.line
        region["endColumn"] = loc.column + len(span)
    return region


def tool_version() -> str:
    from importlib import metadata

    import postguard

    version: object = getattr(postguard, "__version__", None)
    if isinstance(version, str) and version:
        return version
    try:
        return metadata.version("postguard")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def information_uri() -> str:
    """The project's home page from the package metadata (Project-URL / Home-page), else PyPI."""
    from importlib import metadata

    try:
        meta = metadata.metadata("postguard")
    except metadata.PackageNotFoundError:
        return DEFAULT_INFORMATION_URI
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() in ("homepage", "home", "repository", "source") and url.strip():
            return url.strip()
    for home in meta.get_all("Home-page") or []:
        if str(home).strip():
            return str(home).strip()
    return DEFAULT_INFORMATION_URI
