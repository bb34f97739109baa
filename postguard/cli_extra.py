"""`postguard serve` and `postguard fix`: registered in cli.py with main.add_command(...).

Both are thin: options -> API (postguard.server.create_app, postguard.fix) -> output.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Any

import click

EXIT_OK, EXIT_ERROR = 0, 2


def _fail(ctx: click.Context, message: str) -> None:
    click.echo(f"postguard: error: {message}", err=True)
    ctx.exit(EXIT_ERROR)


def _policy(ctx: click.Context, policies: tuple[str, ...]) -> Any:
    """The policy as `check` loads it (config packs, disabled rules) when run under the main group."""
    from postguard.config import ConfigError
    from postguard.policy.loader import PolicyError, load_policy

    try:
        root = ctx.find_root()
        if isinstance(root.obj, dict) and root.command is not ctx.command:
            from postguard.cli import _load_policy

            return _load_policy(ctx, policies)
        return load_policy(list(policies))
    except (PolicyError, ConfigError) as exc:
        _fail(ctx, str(exc))
    raise AssertionError("unreachable")


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- serve -------------------------------------------------------------------------------------------

@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port (0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the browser.")
@click.option("--token", envvar="POSTGUARD_TOKEN", default=None,
              help="Require this token on every request (needed off loopback; or POSTGUARD_TOKEN).")
@click.option("--policy", "policies", multiple=True, type=click.Path(), help="Add a policy pack (repeatable).")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, open_browser: bool, token: str | None,
                  policies: tuple[str, ...]) -> None:
    """Start the local pre-check page and JSON API (nothing is logged or kept)."""
    if token is not None and not token.strip():
        token = None
    if not is_loopback(host) and token is None:
        _fail(ctx, f"--host {host} is reachable from other machines: add --token T (or set POSTGUARD_TOKEN), "
                   "or use --host 127.0.0.1")
    import uvicorn

    from postguard.server import create_app

    policy = _policy(ctx, policies)
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        _fail(ctx, f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port")
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    url = f"http://{shown_host}:{bound_port}/"
    # a token-protected page is opened with its token once; the page then sends it as a header
    open_url = f"{url}?token={token}" if token else url
    app = create_app(policy, token=token, trusted_hosts=None)
    click.echo(f"postguard: pre-check page at {open_url}  (Ctrl+C to stop; drafts and images are not "
               "logged or kept)")
    if open_browser:
        import webbrowser

        webbrowser.open(open_url)
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


# -- fix ---------------------------------------------------------------------------------------------

def _safe_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.safe{path.suffix or '.txt'}")


def _quote(s: str, limit: int = 60) -> str:
    s = s.replace("\n", "↵")
    return "“" + (s if len(s) <= limit else s[: limit - 1] + "…") + "”"


@click.command("fix")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", default=None,
              help="Where to write the safe text (default FILE.safe.EXT; - for standard output).")
@click.option("--images", "images_dir", type=click.Path(file_okay=False), default=None,
              help="Write redacted copies of the post's images here (boxes filled, metadata removed).")
@click.option("--dry-run", is_flag=True, help="Show the changes only; write nothing.")
@click.option("--policy", "policies", multiple=True, type=click.Path(), help="Add a policy pack (repeatable).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of the explanations.")
@click.option("--platform", default=None, help="Where it will be published (picks 广告 or #ad).")
@click.option("--no-ocr", is_flag=True, help="Do not read text in images.")
@click.pass_context
def fix_command(ctx: click.Context, file: str, output: str | None, images_dir: str | None, dry_run: bool,
                policies: tuple[str, ...], lang: str | None, platform: str | None, no_ocr: bool) -> None:
    """Write the safe version of one draft: identifiers replaced or removed, a disclosure where one is
    due, forbidden claims deleted, and (with --images) redacted images."""
    from postguard.fix import fix_result, redact_image, redacted_name
    from postguard.ingest import ReadError, decode, read_path
    from postguard.model import InputError
    from postguard.scan import ScanOptions, ScanRun

    policy = _policy(ctx, policies)
    path = Path(file)
    items = list(read_path(path))
    errors = [i for i in items if isinstance(i, InputError)]
    posts = [i for i in items if not isinstance(i, InputError)]
    for e in errors:
        click.echo(f"postguard: {e}", err=True)
    if len(posts) != 1:
        _fail(ctx, f"{file}: fix works on one draft (found {len(posts)} posts); give a .txt, .md or image file")
    post = posts[0]
    run = ScanRun(policy, [post], ScanOptions(jobs=1, ocr_enabled=not no_ocr))
    result = next(iter(run.results()))
    fixed = fix_result(result, policy, lang, platform=platform)
    err = sys.stderr if output == "-" else sys.stdout

    def say(line: str) -> None:
        click.echo(line, file=err)

    text = result.post.text
    for c in fixed.changes:
        line_no = text.count("\n", 0, c.start) + 1 + result.post.text_line_offset
        if c.kind == "disclose":
            say(f"{c.id} {c.kind:<10} line 1: add {_quote(c.after.strip())}  [{c.rule}]")
        else:
            arrow = f" -> {_quote(c.after)}" if c.after else " (deleted)"
            say(f"{c.id} {c.kind:<10} line {line_no}: {_quote(c.before)}{arrow}  [{c.rule}]")
    for n in fixed.notes:
        say(f"todo {n.rule}: {_quote(n.evidence)}: {n.text}")
    wrote_images = 0
    for image in result.images:
        shown = os.path.basename(image.path)
        if image.status == "error":
            say(f"image {shown}: cannot redact: {image.detail}")
            continue
        boxes = [f for f in result.findings if f.location.kind == "image" and f.location.image == image.path
                 and f.category == "identifiability" and f.location.bbox]
        if images_dir is None:
            if boxes or any(f.location.kind == "metadata" and f.location.image == image.path for f in result.findings):
                say(f"image {shown}: has identifiers or metadata; pass --images DIR for a redacted copy")
            continue
        target = Path(images_dir) / redacted_name(shown)
        if dry_run:
            say(f"image {shown}: would fill {len(boxes)} boxes and remove metadata -> {target}")
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            red = redact_image(image.path, result.findings, target)
        except (OSError, ValueError) as exc:
            say(f"image {shown}: cannot redact: {exc}")
            errors.append(InputError(shown, str(exc)))
            continue
        wrote_images += 1
        say(f"image {shown}: {len(red.boxes)} boxes filled, metadata removed -> {target}")
    if not fixed.changes and not fixed.notes:
        say("no changes needed")
    if dry_run:
        ctx.exit(EXIT_ERROR if errors else EXIT_OK)
    if text or fixed.changes:
        body = fixed.text
        try:
            raw = decode(path.read_bytes()) if path.suffix.lower() in (".md", ".markdown", ".txt") else text
        except (OSError, ReadError):
            raw = text
        # keep front matter (and anything else before the body) exactly as it was
        prefix = raw[: len(raw) - len(text)] if text and raw.endswith(text) else ""
        if output == "-":
            sys.stdout.write(prefix + body)
        else:
            out = Path(output) if output else _safe_path(path)
            if output is None and path.suffix.lower() not in (".txt", ".md", ".markdown"):
                out = path.with_name(path.stem + ".safe.txt")
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(prefix + body, encoding="utf-8", newline="")
            except OSError as exc:
                _fail(ctx, f"{out}: cannot write: {exc.strerror or exc}")
            say(f"wrote {out} ({len(fixed.changes)} changes, {len(fixed.notes)} to do by hand"
                + (f", {wrote_images} images" if wrote_images else "") + ")")
    ctx.exit(EXIT_ERROR if errors or result.errors else EXIT_OK)
