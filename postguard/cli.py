"""Command line: options -> API -> formatter. No scanning logic lives here.

Exit codes (every command): 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage,
configuration, policy or input error.
"""

from __future__ import annotations

import functools
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from postguard.model import SEVERITIES, InputError, PostResult, severity_rank

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FAIL_ON = [*SEVERITIES, "never"]


class Failure(click.ClickException):
    """A one-line error (exit 2)."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"postguard: error: {self.message}", err=True)


def _debug_guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn unexpected exceptions into one line unless --debug (tracebacks are for developers)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from postguard.config import ConfigError
        from postguard.policy.loader import PolicyError

        try:
            return fn(*args, **kwargs)
        except (PolicyError, ConfigError) as exc:
            raise Failure(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("POSTGUARD_DEBUG") or click.get_current_context().find_root().params.get("debug"):
                raise
            raise Failure(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)") from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postguard")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: .postguard.yml or [tool.postguard] found upward).")
@click.pass_context
def main(ctx: click.Context, debug: bool, config_path: str | None) -> None:
    """postguard: check doctors' social-media posts for patient privacy, professionalism, undisclosed
    promotion, online diagnosis and medical-advertising claims."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


def _config(ctx: click.Context) -> Any:
    from postguard.config import load_config

    root = ctx.find_root()
    if "config" not in root.obj:
        root.obj["config"] = load_config(root.obj.get("config_path"))
    return root.obj["config"]


# -- shared options ----------------------------------------------------------------------------------

def scan_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--format", "fmt", type=click.Choice(["text", "json", "html", "sarif", "junit", "github"]),
                     default=None, help="Output format (default text; github under GITHUB_ACTIONS)."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
                     help="Write the report here instead of standard output."),
        click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True), default=None,
                     help="Also write the HTML risk report to this file."),
        click.option("--open", "open_browser", is_flag=True, help="Open the HTML report in the browser."),
        click.option("--policy", "policies", multiple=True, type=click.Path(),
                     help="Add a policy pack file or folder (repeatable)."),
        click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
                     help="Exit 1 when a finding is at or above this severity (default high)."),
        click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                     help="Interface language (default: from the content)."),
        click.option("--mask/--no-mask", default=None, help="Show identifiers partially (138****5678)."),
        click.option("--no-ocr", is_flag=True, help="Do not OCR images (metadata is still read)."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                     help="Worker processes for OCR (default: CPU count)."),
        click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="OCR cache folder."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the OCR cache."),
        click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), default=None,
                     help="Only findings not in this baseline count towards the exit code."),
        click.option("--quiet", "-q", is_flag=True, help="No progress or warnings on standard error."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _settings(ctx: click.Context, kw: dict[str, Any]) -> dict[str, Any]:
    """Merge command-line options over configuration."""
    cfg = _config(ctx)
    fmt = kw.get("fmt") or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    return {
        "fmt": fmt,
        "fail_on": kw.get("fail_on") or cfg.fail_on,
        "mask": kw["mask"] if kw.get("mask") is not None else cfg.mask,
        "jobs": kw.get("jobs") or cfg.jobs or 0,
        "lang": kw.get("lang") or cfg.lang,
    }


def _load_policy(ctx: click.Context, extra: tuple[str, ...]) -> Any:
    from postguard.config import ConfigError
    from postguard.policy.loader import PolicyError, load_policy

    cfg = _config(ctx)
    try:
        return load_policy(
            list(cfg.policies) + list(extra),
            builtin=cfg.builtin_packs,
            disabled=cfg.disabled_rules,
            severity_overrides=cfg.severity_overrides,
        )
    except PolicyError as exc:
        if exc.path != "configuration":
            raise
        raise ConfigError(f"{cfg.origins.get('rules', cfg.path)}: rules: {exc.rule_id}: no rule with this id "
                          "(`postguard policy list` shows them)") from None


def _scan_options(ctx: click.Context, kw: dict[str, Any], settings: dict[str, Any], progress: Any) -> Any:
    from postguard.scan import ScanOptions

    cfg = _config(ctx)
    cache: str | None = "default"
    if kw.get("no_cache"):
        cache = None
    elif kw.get("cache_dir"):
        cache = kw["cache_dir"]
    elif cfg.cache_dir:
        cache = cfg.cache_dir
    baseline = None
    if kw.get("baseline_path"):
        from postguard.baseline import BaselineError, load_baseline

        try:
            baseline = load_baseline(kw["baseline_path"])
        except BaselineError as exc:
            raise Failure(str(exc)) from None
    quiet = kw.get("quiet")

    def on_error(error: InputError) -> None:
        if not quiet:
            if progress is not None:
                progress.clear()
            click.echo(f"postguard: {error}", err=True)

    def on_warning(message: str) -> None:
        if not quiet:
            if progress is not None:
                progress.clear()
            click.echo(f"postguard: warning: {message}", err=True)

    wants_html = settings["fmt"] == "html" or bool(kw.get("html_path"))
    return ScanOptions(
        jobs=settings["jobs"],
        ocr_overrides=dict(cfg.ocr),
        ocr_enabled=not kw.get("no_ocr"),
        cache_dir=cache,
        ignores=cfg.ignores,
        baseline=baseline,
        on_error=on_error,
        on_warning=on_warning,
        on_progress=progress.update if progress is not None else None,
        thumbnails=wants_html,
        allow=cfg.allow,
    )


class _Progress:
    """A one-line progress display on standard error, only on a terminal."""

    def __init__(self, total_hint: int | None = None) -> None:
        import time

        self.start = time.monotonic()
        self.total = total_hint
        self.shown = False
        self._last = 0.0

    def update(self, posts: int, images: int) -> None:
        import time

        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        elapsed = now - self.start
        rate = posts / elapsed if elapsed > 0 else 0.0
        left = ""
        if self.total and rate > 0:
            left = f", ~{max(0, self.total - posts) / rate:.0f}s left"
        sys.stderr.write(f"\r\x1b[Kscanning: {posts} posts, {images} images, {rate:.0f} posts/s{left}")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


class _ListRun:
    """Replays materialised results, so one scan can feed several output formats."""

    def __init__(self, run: Any, results: list[PostResult]) -> None:
        self.policy = run.policy
        self.started_at = run.started_at
        self.summary = run.summary
        self.input_errors = run.input_errors
        self._results = results

    def results(self) -> Iterator[PostResult]:
        return iter(self._results)


class _Watch:
    """Wraps a run and records the worst severity it produced (after suppressions and baseline)."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.policy = run.policy
        self.started_at = run.started_at
        self.worst = -1

    @property
    def summary(self) -> Any:
        return self.run.summary

    @property
    def input_errors(self) -> Any:
        return self.run.input_errors

    def results(self) -> Iterator[PostResult]:
        for r in self.run.results():
            for f in r.findings:
                self.worst = max(self.worst, severity_rank(f.severity))
            yield r


def _open_output(path: str | None) -> Any:
    if path is None:
        return None
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise Failure(f"{path}: cannot write: {exc.strerror}") from None


def _run_and_report(ctx: click.Context, run: Any, kw: dict[str, Any], settings: dict[str, Any],
                    progress: Any) -> int:
    from postguard.report import ReportOptions, render

    fmt = settings["fmt"]
    watched = _Watch(run)
    out_path = kw.get("output")
    html_path = kw.get("html_path")
    if fmt == "html" and not out_path and not html_path and kw.get("open_browser"):
        html_path = "postguard-report.html"
    is_tty = out_path is None and sys.stdout.isatty()
    # CI formats travel (code-scanning dashboards, artifacts): masked unless --no-mask says otherwise
    unmasked = kw.get("mask") is False or (kw.get("mask") is None and _config(ctx).origins.get("mask") != "default"
                                          and not settings["mask"])
    options = ReportOptions(mask=settings["mask"], lang=settings["lang"], color=is_tty and fmt == "text",
                            fail_on=settings["fail_on"] if settings["fail_on"] != "never" else "critical",
                            extra={"unmasked": unmasked})
    jobs: list[tuple[str, TextIO | None, ReportOptions]] = [(fmt, _open_output(out_path), options)]
    if html_path and not (fmt == "html" and html_path == out_path):
        jobs.append(("html", _open_output(html_path), ReportOptions(
            mask=settings["mask"], lang=settings["lang"], fail_on=options.fail_on)))
    try:
        if len(jobs) == 1:
            f, handle, opts = jobs[0]
            _render_one(render, f, watched, handle, opts, progress)
        else:
            results = list(watched.results())
            if progress is not None:
                progress.clear()
            replay = _ListRun(watched, results)
            for f, handle, opts in jobs:
                _render_one(render, f, replay, handle, opts, None)
    finally:
        for _f, handle, _o in jobs:
            if handle is not None:
                handle.close()
    if progress is not None:
        progress.clear()
    _warn_after(run, kw)
    if html_path and kw.get("open_browser"):
        import webbrowser

        webbrowser.open(Path(html_path).resolve().as_uri())
    return _exit_code(run, watched, settings, kw)


def _render_one(render: Any, fmt: str, run: Any, handle: TextIO | None, opts: Any, progress: Any) -> None:
    if handle is None:
        if fmt == "text" or progress is None:
            # text output is sorted worst first, so it can only be printed once the scan is done
            buf = io.StringIO()
            render(fmt, run, buf, opts)
            if progress is not None:
                progress.clear()
            sys.stdout.write(buf.getvalue())
        else:
            render(fmt, run, sys.stdout, opts)
    else:
        render(fmt, run, handle, opts)


def _warn_after(run: Any, kw: dict[str, Any]) -> None:
    if kw.get("quiet"):
        return
    if getattr(run, "ocr_problem", None) and not kw.get("no_ocr") and run.summary.images:
        click.echo(f"postguard: images not scanned: {run.ocr_problem}", err=True)
    for g in getattr(run, "unused_ignores", []):
        click.echo(f"postguard: warning: {g.origin}: ignore of {g.rule} ({g.path}) matched nothing; "
                   "remove it", err=True)
    baseline = run.options.baseline if hasattr(run, "options") else None
    if baseline is not None:
        n = len(baseline.unused())
        if n:
            click.echo(f"postguard: {n} baseline entries no longer match; refresh with "
                       "`postguard baseline create`", err=True)


def _exit_code(run: Any, watched: _Watch, settings: dict[str, Any], kw: dict[str, Any]) -> int:
    errors = len(run.input_errors) + run.summary.errors
    ocr_missing = bool(getattr(run, "ocr_problem", None)) and run.summary.images > 0 and not kw.get("no_ocr")
    if errors or ocr_missing:
        return EXIT_ERROR
    fail_on = settings["fail_on"]
    if fail_on != "never" and watched.worst >= severity_rank(fail_on):
        return EXIT_FINDINGS
    return EXIT_OK


# -- commands ----------------------------------------------------------------------------------------

@main.command()
@click.argument("file", required=False, type=click.Path(allow_dash=True))
@click.option("--text", "text", default=None, help="Check this text instead of a file.")
@click.option("--platform", default=None, help="Where the post will be published (weibo, x, ...).")
@scan_options
@click.pass_context
@_debug_guard
def check(ctx: click.Context, file: str | None, text: str | None, platform: str | None, **kw: Any) -> None:
    """Check one post: FILE, - (standard input) or --text "..."."""
    from postguard.ingest import read_path, read_stdin_text
    from postguard.model import Post
    from postguard.scan import ScanRun

    if (file is None) == (text is None):
        raise click.UsageError("give exactly one of FILE, - or --text")
    settings = _settings(ctx, kw)
    policy = _load_policy(ctx, kw["policies"])
    inputs: list[Any]
    if text is not None:
        inputs = [Post(id="text", text=text, platform=platform, source="<text>")]
    elif file == "-":
        inputs = [read_stdin_text(sys.stdin.buffer.read())]
    else:
        assert file is not None
        inputs = list(read_path(Path(file)))
    run = ScanRun(policy, inputs, _scan_options(ctx, kw, settings, None))
    ctx.exit(_run_and_report(ctx, run, kw, settings, None))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@scan_options
@click.option("--input-format", type=click.Choice(["jsonl", "md", "txt", "twitter", "instagram", "facebook",
                                                   "weibo", "csv", "json"]), default=None,
              help="Force the input shape instead of detecting it.")
@click.option("--text-column", default=None, help="CSV: the column holding the post text.")
@click.option("--id-column", default=None, help="CSV: the column holding the post id.")
@click.option("--date-column", default=None, help="CSV: the column holding the publication date.")
@click.option("--account", default=None, help="Account name for posts that do not carry one.")
@click.option("--changed-since", default=None, metavar="REV", help="Scan only files changed since a git revision.")
@click.pass_context
@_debug_guard
def scan(ctx: click.Context, paths: tuple[str, ...], **kw: Any) -> None:
    """Scan posts: files, folders (recursive), JSON Lines and platform exports."""
    from postguard.ingest import read_path
    from postguard.scan import ScanRun

    cfg = _config(ctx)
    if not paths:
        paths = tuple(cfg.paths) or ()
    if not paths:
        raise click.UsageError("name at least one file or folder to scan (or set `paths` in the config)")
    settings = _settings(ctx, kw)
    policy = _load_policy(ctx, kw["policies"])
    if kw.get("changed_since"):
        paths = _changed_since(kw["changed_since"], paths)
    reader_options = _reader_options(kw)

    def inputs() -> Iterator[Any]:
        from postguard.config import excluded

        for p in paths:
            for item in read_path(Path(p), input_format=kw.get("input_format"), options=reader_options):
                if not isinstance(item, InputError) and excluded(cfg, item.source_path or item.source):
                    continue
                if kw.get("account") and not isinstance(item, InputError) and not item.account:
                    from dataclasses import replace

                    item = replace(item, account=kw["account"])
                yield item

    progress = _Progress(_estimate_posts(paths)) if (sys.stderr.isatty() and not kw.get("quiet")) else None
    run = ScanRun(policy, inputs(), _scan_options(ctx, kw, settings, progress))
    ctx.exit(_run_and_report(ctx, run, kw, settings, progress))


def _estimate_posts(paths: tuple[str, ...]) -> int | None:
    """A quick count for the progress line's time left: lines of JSON Lines files, draft and image files in
    folders, one per other file. Exports are not parsed twice, so they count as one."""
    from postguard.ingest import IMAGE_SUFFIXES, TEXT_SUFFIXES

    total = 0
    try:
        for p in map(Path, paths):
            files = [q for q in p.rglob("*") if q.is_file()] if p.is_dir() else [p]
            for f in files:
                suffix = f.suffix.lower()
                if suffix == ".jsonl":
                    with open(f, "rb") as fh:
                        total += sum(1 for line in fh if line.strip())
                elif suffix in TEXT_SUFFIXES or suffix in IMAGE_SUFFIXES or not p.is_dir():
                    total += 1
    except OSError:
        return None
    return total or None


def _reader_options(kw: dict[str, Any]) -> Any:
    try:
        from postguard.ingest.exports import ReaderOptions
    except ImportError:  # pragma: no cover
        return None
    return ReaderOptions(text_column=kw.get("text_column"), id_column=kw.get("id_column"),
                         date_column=kw.get("date_column"), account=kw.get("account"))


def _changed_since(rev: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    import subprocess

    try:
        out = subprocess.run(["git", "diff", "--name-only", "--diff-filter=ACMR", rev, "--", *paths],
                             capture_output=True, text=True, check=True).stdout
        untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", *paths],
                                   capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        last = detail.strip().splitlines()[-1] if detail.strip() else str(exc)
        raise Failure(f"--changed-since {rev}: git failed: {last}") from None
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True).stdout.strip()
    changed = [os.path.relpath(os.path.join(top, line)) for line in out.splitlines() if line.strip()]
    changed += [line for line in untracked.splitlines() if line.strip()]
    return tuple(dict.fromkeys(p for p in changed if os.path.exists(p)))


# -- policy ------------------------------------------------------------------------------------------

@main.group()
def policy() -> None:
    """List, test and validate policy packs."""


@policy.command("list")
@click.option("--policy", "policies", multiple=True, type=click.Path(), help="Add a pack file or folder.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@_debug_guard
def policy_list(ctx: click.Context, policies: tuple[str, ...], fmt: str) -> None:
    """List the active rules: id, category, severity, languages, segment kinds."""
    import json

    pol = _load_policy(ctx, policies)
    if fmt == "json":
        rows = [{"id": r.id, "category": r.category, "severity": r.severity, "languages": list(r.languages),
                 "segments": list(r.segments), "pack": r.pack, "report": r.report} for r in pol.rules]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max((len(r.id) for r in pol.rules), default=10)
    click.echo(f"{'RULE':<{width}}  {'CATEGORY':<20}  {'SEVERITY':<8}  {'LANG':<5}  SEGMENTS")
    for r in sorted(pol.rules, key=lambda r: (r.category, r.id)):
        note = "" if r.report else "  (signal for combinations)"
        click.echo(f"{r.id:<{width}}  {r.category:<20}  {r.severity:<8}  {','.join(r.languages):<5}  "
                   f"{','.join(r.segments)}{note}")
    click.echo(f"{len(pol.rules)} rules in {len(pol.packs)} packs: "
               + ", ".join(f"{p.name}@{p.version}" for p in pol.packs))


@policy.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--no-builtin", is_flag=True, help="Test only the named packs.")
@click.option("--verbose", "-v", is_flag=True, help="List the recorded todo examples too.")
@click.pass_context
@_debug_guard
def policy_test(ctx: click.Context, paths: tuple[str, ...], no_builtin: bool, verbose: bool) -> None:
    """Run every rule's own examples (must match, must not match, and todo forms)."""
    from postguard.policy.loader import load_policy
    from postguard.policy.testing import run_rule_tests

    pol = load_policy(paths, builtin=not no_builtin or not paths)
    report = run_rule_tests(pol, only_packs=set(paths) if paths and not no_builtin else None)
    for failure in report.failures:
        click.echo(f"FAIL {failure}")
    if verbose:
        for todo in report.todos:
            click.echo(f"todo {todo}")
    click.echo(f"{report.rules} rules, {report.passed} examples passed, {len(report.failures)} failed, "
               f"{len(report.todos)} todo")
    ctx.exit(EXIT_FINDINGS if report.failures else EXIT_OK)


@policy.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.pass_context
@_debug_guard
def policy_check(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Validate policy pack files or folders (exit 2 with file:line: rule-id: problem).

    Also warns about regexes without a selective literal, which run on every post and slow scans down."""
    from postguard.policy.compiler import unselective_regexes
    from postguard.policy.loader import load_policy

    pol = load_policy(paths, builtin=False)
    for rule, index in unselective_regexes(pol):
        click.echo(f"warning: {rule.source}: {rule.id}: match #{index + 1} has no literal of 2+ letters (or a "
                   "Chinese word) that every match needs, so it runs on nearly every post; see docs/policies.md, "
                   "\"Keeping regexes cheap\"", err=True)
    click.echo(f"ok: {len(pol.rules)} rules in {len(pol.packs)} packs")


# -- eval --------------------------------------------------------------------------------------------

@main.command("eval")
@click.argument("corpus", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--policy", "policies", multiple=True, type=click.Path(), help="Add a pack file or folder.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--min-f1", type=float, default=None, help="Exit 1 if any category's F1 is below this.")
@click.option("--summary", is_flag=True, help="Scores and counts only, no post texts (for a held-out corpus).")
@click.pass_context
@_debug_guard
def eval_cmd(ctx: click.Context, corpus: tuple[str, ...], policies: tuple[str, ...], fmt: str,
             min_f1: float | None, summary: bool) -> None:
    """Precision, recall and F1 per category and language on a labelled JSON Lines corpus."""
    import json

    from postguard.evaluate import CorpusError, evaluate, format_text, read_corpus
    from postguard.model import CATEGORIES

    pol = _load_policy(ctx, policies)
    try:
        posts = read_corpus(corpus)
    except CorpusError as exc:
        raise Failure(str(exc)) from None
    ev = evaluate(pol, posts)
    if fmt == "json":
        data = ev.to_dict()
        if summary:
            data = {k: v for k, v in data.items() if k not in ("false_alarms", "wrong_category", "misses")}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(format_text(ev, summary))
    if min_f1 is not None and any(ev.get(c).f1 < min_f1 for c in CATEGORIES):
        ctx.exit(EXIT_FINDINGS)


# -- configuration -----------------------------------------------------------------------------------

STARTER_CONFIG = """\
# postguard configuration: this file is found upward from the working directory.
# Every key is optional; `postguard config show` prints what is in force and where it came from.

# Extra policy packs (files or folders), added to the built-in ones.
packs: []

# Switch rules off or give them another severity, by id (`postguard policy list` shows the ids).
rules: {}
#   id-age-individual: off
#   unpro-offduty-alcohol: low

# Your own or your institution's details, which are not patient data.
allow: []
#   - Dr Jane Smith
#   - 010-12345678          # hospital switchboard

# Exit 1 when a finding is at or above this severity: low | medium | high | critical | never
fail_on: high

# Show identifiers partially (138****5678) in reports that leave the team.
mask: false

# Paths not to scan (glob patterns), and what `postguard scan` scans when no path is given.
exclude: []
paths: []

# Suppressions need a reason; unused ones are reported.
ignore: []
#   - {rule: id-bed-number, path: "teaching/*.md", reason: "consented teaching cases"}

# OCR: languages (Tesseract codes), page segmentation mode, confidence floor.
ocr:
  languages: chi_sim+eng
  psm: 6
  min_confidence: 30
"""


@main.group("config")
def config_group() -> None:
    """Show the configuration in force."""


@config_group.command("show")
@click.pass_context
@_debug_guard
def config_show(ctx: click.Context) -> None:
    """Print the resolved configuration and where each value came from."""
    from postguard.config import KEYS

    cfg = _config(ctx)
    click.echo(f"# configuration file: {cfg.path or '(none found; defaults)'}")
    values = {
        "packs": cfg.policies, "builtin_packs": cfg.builtin_packs,
        "rules": {**{r: "off" for r in cfg.disabled_rules}, **cfg.severity_overrides}, "allow": cfg.allow,
        "fail_on": cfg.fail_on, "mask": cfg.mask, "jobs": cfg.jobs, "lang": cfg.lang, "ocr": cfg.ocr,
        "cache_dir": cfg.cache_dir, "ignore": [f"{g.rule} {g.path} ({g.reason})" for g in cfg.ignores],
        "exclude": cfg.exclude, "paths": cfg.paths,
    }
    for key in KEYS:
        click.echo(f"{key}: {values[key]!r}    # {cfg.origins.get(key, 'default')}")


@main.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing .postguard.yml.")
@click.pass_context
def init_cmd(ctx: click.Context, force: bool) -> None:
    """Write a commented starter .postguard.yml in the current folder."""
    path = Path(".postguard.yml")
    if path.exists() and not force:
        raise Failure(".postguard.yml already exists; use --force to overwrite it")
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    click.echo(f"wrote {path}")


# -- baseline ----------------------------------------------------------------------------------------

@main.group()
def baseline() -> None:
    """Record current findings so that only new ones fail CI."""


@baseline.command("create")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--policy", "policies", multiple=True, type=click.Path())
@click.option("--no-ocr", is_flag=True)
@click.pass_context
@_debug_guard
def baseline_create(ctx: click.Context, file: str, paths: tuple[str, ...], policies: tuple[str, ...],
                    no_ocr: bool) -> None:
    """Scan PATHS and write the fingerprints of every finding to FILE (hashes only, no patient data)."""
    from postguard.baseline import write_baseline
    from postguard.ingest import read_path
    from postguard.scan import ScanRun

    kw = {"no_ocr": no_ocr, "quiet": False}
    settings = {"jobs": 0, "fmt": "json"}
    pol = _load_policy(ctx, policies)
    run = ScanRun(pol, (i for p in paths for i in read_path(Path(p))), _scan_options(ctx, kw, settings, None))
    handle = _open_output(file)
    with handle:
        n = write_baseline(run.results(), handle)
    click.echo(f"wrote {n} findings to {file}")
    ctx.exit(EXIT_ERROR if run.input_errors else EXIT_OK)


def _register_extra_commands() -> None:
    from postguard.cli_extra import fix_command, serve_command

    main.add_command(serve_command, "serve")
    main.add_command(fix_command, "fix")


_register_extra_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
