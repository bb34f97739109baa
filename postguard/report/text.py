"""Terminal output: flagged posts worst first, each finding with its evidence, message, fix and guidance,
then a one-line summary. Colour only when options.color (the CLI sets it on a TTY)."""

from __future__ import annotations

from typing import TextIO

import click

from postguard.mask import mask_value
from postguard.model import Finding, PostResult, severity_rank
from postguard.report import ReportOptions, ScanRun

COLOURS = {"critical": "magenta", "high": "red", "medium": "yellow", "low": "cyan", "none": "green"}
LABELS = {
    "en": {"fix": "Fix", "why": "Why", "guidance": "Guidance", "suppressed": "suppressed", "errors": "errors",
           "posts": "posts", "flagged": "flagged", "no_findings": "no findings", "findings": "findings",
           "images": "image", "not_scanned": "not scanned"},
    "zh": {"fix": "修改建议", "why": "触发原因", "guidance": "依据", "suppressed": "已忽略", "errors": "错误",
           "posts": "条帖子", "flagged": "条有风险", "no_findings": "未发现问题", "findings": "项发现",
           "images": "图片", "not_scanned": "未扫描"},
}


def _c(text: str, options: ReportOptions, fg: str | None = None, bold: bool = False, dim: bool = False) -> str:
    return click.style(text, fg=fg, bold=bold, dim=dim) if options.color else text


def _where(f: Finding) -> str:
    loc = f.location
    if loc.kind == "metadata":
        return f"{loc.image} [{loc.field}]"
    if loc.kind == "image":
        box = f" box {','.join(map(str, loc.bbox))}" if loc.bbox else ""
        return f"{loc.image} (OCR){box}"
    return f"{loc.line}:{loc.column}"


def render_post(result: PostResult, out: TextIO, options: ReportOptions) -> None:
    lang = options.lang or result.language
    lab = LABELS.get(lang, LABELS["en"])
    post = result.post
    level = result.risk.level
    head = _c(f"{post.source or post.id}", options, bold=True)
    badge = _c(f"[{level.upper()} {result.risk.score}]", options, fg=COLOURS.get(level), bold=True)
    extra = "  ".join(x for x in (post.platform or "", post.account and f"@{post.account}" or "",
                                   post.published_at or "") if x)
    out.write(f"{head}  {badge}  {extra}".rstrip() + "\n")
    if post.id and post.id != post.source and not post.source.startswith("<"):
        out.write(_c(f"  id: {post.id}\n", options, dim=True))
    for f in sorted(result.findings, key=lambda f: -severity_rank(f.severity)):
        evidence = mask_value(f.evidence) if options.mask else f.evidence
        evidence = evidence.replace("\n", " ")
        sev = _c(f"{f.severity:<8}", options, fg=COLOURS.get(f.severity), bold=True)
        out.write(f"  {sev} {f.category:<20} {f.rule}  {_where(f)}  “{evidence}”\n")
        out.write(f"      {f.messages.get(lang) or f.message}\n")
        out.write(f"      {_c(lab['fix'] + ':', options, fg='green')} {f.advices.get(lang) or f.advice}\n")
        out.write(_c(f"      {lab['why']}: {f.why}\n", options, dim=True))
        for ref in f.references:
            url = f" <{ref.url}>" if ref.url else ""
            out.write(_c(f"      {lab['guidance']}: {ref.title}{url}\n", options, dim=True))
    for s in result.suppressed:
        evidence = mask_value(s.finding.evidence) if options.mask else s.finding.evidence
        out.write(_c(f"  {lab['suppressed']}: {s.finding.rule} “{evidence}” ({s.reason})\n", options, dim=True))
    for img in result.images:
        if img.status != "scanned":
            out.write(_c(f"  {lab['images']} {img.path}: {img.status} ({img.detail})\n", options, fg="yellow"))
    for e in result.errors:
        out.write(_c(f"  error: {e}\n", options, fg="red"))
    out.write("\n")


def render(run: ScanRun, out: TextIO, options: ReportOptions) -> None:
    shown: list[PostResult] = []
    for result in run.results():
        if result.findings or result.suppressed or result.errors:
            shown.append(result)  # only posts with something to say are held, to sort them worst first
    shown.sort(key=lambda r: -r.risk.score)
    for result in shown:
        render_post(result, out, options)
    s = run.summary
    lang = options.lang or ("zh" if _mostly_zh(shown) else "en")
    lab = LABELS[lang]
    if len(s.accounts) > 1:
        width = max(len(a or "-") for a in s.accounts)
        for account, row in sorted(s.accounts.items(), key=lambda kv: -kv[1]["flagged"]):
            out.write(f"  {account or '-':<{width}}  {row['posts']:>5} {lab['posts']}  {row['flagged']:>4} "
                      f"{lab['flagged']}  {row['worst']}\n")
    if s.posts == 1 and not shown:
        out.write(_c(f"✓ {lab['no_findings']}\n", options, fg="green"))
    levels = ", ".join(f"{s.by_level.get(level, 0)} {level}" for level in ("critical", "high", "medium", "low")
                       if s.by_level.get(level))
    errors = s.errors + len(run.input_errors)
    findings = sum(s.by_severity.values())
    line = (f"{s.posts} {lab['posts']}, {s.flagged} {lab['flagged']}"
            f"{' (' + levels + ')' if levels else ''}, {findings} {lab['findings']}")
    if s.suppressed:
        line += f", {s.suppressed} {lab['suppressed']}"
    line += f", {errors} {lab['errors']}"
    out.write(_c(line, options, bold=True) + "\n")


def _mostly_zh(results: list[PostResult]) -> bool:
    zh = sum(1 for r in results if r.language == "zh")
    return bool(results) and zh * 2 > len(results)
