"""GitHub Actions workflow-command annotations: findings appear on the changed lines of a pull request.

    ::error file=posts/a.md,line=7,col=6,endLine=7,endColumn=16,title=zh-phone-number::Patient phone ...

critical/high -> error, medium -> warning, low -> notice; suppressed findings are not annotated (the
summary counts them). Image findings point at the image file without a line. Identifiers are masked
as in SARIF unless `options.extra["unmasked"] is True`. A final ::notice carries the summary.

GitHub shows at most 10 annotations of each level per step (50 per job); the rest are only in the log,
which is why the summary line gives the totals.
"""

from __future__ import annotations

from typing import TextIO

from postguard.model import SEVERITIES, Finding, InputError, PostResult, severity_rank
from postguard.report import ReportOptions, ScanRun
from postguard.report.sarif import (
    Masker,
    artifact_path,
    finding_text,
    post_artifact,
    should_mask,
    split_source,
    text_region,
)

COMMANDS: dict[str, str] = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}


def escape_data(text: str) -> str:
    """The message part of a workflow command (after `::`), as actions/toolkit escapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file=, title=): also `:` and `,`, which would end the value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    props = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render(run: ScanRun, out: TextIO, options: ReportOptions) -> None:
    mask = should_mask(options)
    for result in run.results():
        masker = Masker(result, mask)
        out.writelines(
            _annotation(result, finding, masker) + "\n"
            for finding in sorted(result.findings, key=lambda f: -severity_rank(f.severity))
        )
        out.writelines(_error(error) + "\n" for error in result.errors)
    out.writelines(_error(error) + "\n" for error in run.input_errors)
    out.write(command("notice", _summary(run), title="postguard") + "\n")


def _annotation(result: PostResult, finding: Finding, masker: Masker) -> str:
    name = COMMANDS.get(finding.severity, "warning")
    title = finding.rule
    loc = finding.location
    if loc.kind in ("image", "metadata") and loc.image:
        where = (
            f" [{loc.field}]" if loc.kind == "metadata" else (f" [box {list(loc.bbox)}]" if loc.bbox else "")
        )
        return command(
            name, finding_text(finding, masker) + where, file=artifact_path(loc.image), title=title
        )
    region = text_region(result.post, finding) or {}
    end_column = region.get("endColumn")
    return command(
        name,
        finding_text(finding, masker),
        file=post_artifact(result.post),
        line=region.get("startLine"),
        col=region.get("startColumn"),
        endLine=region.get("endLine"),
        # SARIF's end column is exclusive; GitHub's annotation range includes its last column
        endColumn=end_column - 1 if end_column else None,
        title=title,
    )


def _error(error: InputError) -> str:
    path, line = split_source(error.source)
    return command(
        "error",
        error.message,
        file=artifact_path(path) if path else None,
        line=line,
        title="postguard: input error",
    )


def _summary(run: ScanRun) -> str:
    s = run.summary
    findings = sum(s.by_severity.values())
    by_severity = ", ".join(f"{s.by_severity[k]} {k}" for k in reversed(SEVERITIES) if s.by_severity.get(k))
    errors = s.errors + len(run.input_errors)
    text = f"postguard scanned {s.posts} posts: {s.flagged} flagged, {findings} findings"
    if by_severity:
        text += f" ({by_severity})"
    return text + f", {s.suppressed} suppressed, {errors} errors."
