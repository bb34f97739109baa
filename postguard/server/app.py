"""The local pre-check server: one page and a small JSON API on the same engine as the CLI.

Privacy: drafts are scanned in memory; uploaded images are written to a temporary folder that is
removed before the response leaves (even on errors). Nothing is logged: the app writes no logs, and
`postguard serve` turns uvicorn's access log off.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException

from postguard.fix import FixResult, fix_result, redact_image, redacted_name
from postguard.model import Finding, ImageResult, Location, Post, PostResult, Segment
from postguard.policy.model import Policy
from postguard.server.guard import LOOPBACK_HOSTS, Guard

SCHEMA = "postguard-report/1"
UPLOAD_CHUNK = 1 << 20


class Platform(str, Enum):
    wechat = "wechat"
    weibo = "weibo"
    douyin = "douyin"
    xiaohongshu = "xiaohongshu"
    x = "x"
    instagram = "instagram"
    facebook = "facebook"
    other = "other"


class Lang(str, Enum):
    en = "en"
    zh = "zh"


# form fields (module level: FastAPI resolves these postponed annotations in the module's globals)
TextField = Annotated[str, Form(description="The draft, Chinese or English.")]
PlatformField = Annotated[Platform | None, Form(description="Where it will be published.")]
LangField = Annotated[Lang | None, Form(description="Language of messages (default: the draft's).")]
ImagesField = Annotated[list[UploadFile] | None, File(description="Pictures to publish with it.")]


@dataclass(frozen=True)
class Limits:
    """Upload limits. Platforms allow 9-20 pictures a post; phone photos are up to ~48 MP."""

    max_text_chars: int = 50_000
    max_images: int = 20
    max_image_bytes: int = 20 * 2**20
    max_image_pixels: int = 50_000_000
    max_request_bytes: int = 128 * 2**20


class _InputProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Upload:
    name: str  # what the user called it: the report and the page show this, never the temp path
    path: str | None  # None when the upload was refused before writing (too large)
    error: str | None = None


def create_app(policy: Policy | None = None, token: str | None = None, *, limits: Limits | None = None,
               ocr: Any = None, trusted_hosts: frozenset[str] | None = None) -> FastAPI:
    """The FastAPI app. `policy` defaults to the built-in packs; with `token`, every request needs it.

    `ocr` is a postguard.images.OcrSettings (default settings when None). `trusted_hosts` are the Host
    names accepted without a token (default: loopback names only).
    """
    from postguard import __version__, load_policy
    from postguard.server import page

    pol = policy if policy is not None else load_policy()
    lim = limits or Limits()
    app = FastAPI(
        title="postguard pre-check",
        version=__version__,
        description=(
            "Check a draft post (text and images) for patient privacy, professionalism, undisclosed "
            "promotion, online diagnosis and advertising claims, and get a safe version. Nothing is "
            "stored or logged; uploads are deleted when the request ends."
        ),
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: not on a privacy tool
        redoc_url=None,
    )
    app.state.policy = pol
    app.state.limits = lim
    app.state.token = token

    # -- errors: one line, never the submitted content ----------------------------------------------
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid value')}"}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(_InputProblem)
    async def _problem(_request: Request, exc: _InputProblem) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    # -- the page ----------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, lang: Lang | None = None) -> HTMLResponse:
        html, csp = page.render(pol, lim, lang.value if lang else None, token)
        return HTMLResponse(html, headers={"content-security-policy": csp})

    # -- the API -----------------------------------------------------------------------------------
    @app.post("/api/check", summary="Check one draft", responses=_ERRORS)
    def check(text: TextField = "", platform: PlatformField = None, lang: LangField = None,
              images: ImagesField = None) -> dict[str, Any]:
        """The JSON report of one post (schema postguard-report/1), with `width`/`height` per image and
        the rule's `fix` per finding."""
        with tempfile.TemporaryDirectory(prefix="postguard-serve-") as tmp:
            result, names = _scan(pol, lim, ocr, text, platform, images or [], tmp)
            return _report(pol, result, names, lang.value if lang else None)

    @app.post("/api/fix", summary="The safe version of one draft", responses=_ERRORS)
    def fix(text: TextField = "", platform: PlatformField = None, lang: LangField = None,
            images: ImagesField = None) -> dict[str, Any]:
        """The rewritten draft and the list of changes (accept or reject each by id and apply them to
        `original`: each change replaces original[start:end] with `after`, offsets in code points),
        notes for findings without an automatic fix, and redacted images (base64, no metadata)."""
        with tempfile.TemporaryDirectory(prefix="postguard-serve-") as tmp:
            result, names = _scan(pol, lim, ocr, text, platform, images or [], tmp)
            ui = lang.value if lang else result.language
            fixed: FixResult = fix_result(result, pol, ui, platform=platform.value if platform else None)
            out = fixed.to_dict()
            out["images"] = [_redacted(result, image, names, tmp, i) for i, image in enumerate(result.images)]
            out["report"] = _report(pol, result, names, lang.value if lang else None)
            return out

    @app.get("/api/rules", summary="The active rules")
    def rules() -> dict[str, Any]:
        """Every active rule: id, category, severity, messages and advice in both languages, guidance,
        and its fix."""
        return {
            "policy": {"packs": [f"{p.name}@{p.version}" for p in pol.packs], "rules": len(pol.rules)},
            "rules": [
                {
                    "id": r.id, "category": r.category, "severity": r.severity, "pack": r.pack,
                    "message": dict(r.messages), "advice": dict(r.advices),
                    "references": [ref.to_dict() for ref in r.references],
                    "languages": list(r.languages), "segments": list(r.segments), "tags": list(r.tags),
                    "report": r.report, "fix": r.fix,
                }
                for r in pol.rules
            ],
        }

    hosts = trusted_hosts or LOOPBACK_HOSTS
    app.add_middleware(_GuardMiddleware, guard_token=token, max_body=lim.max_request_bytes, trusted_hosts=hosts)
    return app


class _GuardMiddleware:
    """Starlette middleware adapter for Guard (added outermost of the user middlewares)."""

    def __init__(self, app: Any, guard_token: str | None, max_body: int, trusted_hosts: frozenset[str]) -> None:
        self.guard = Guard(app, token=guard_token, max_body=max_body, trusted_hosts=trusted_hosts)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.guard(scope, receive, send)


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Token missing or wrong (only when the server runs with a token)."},
    413: {"description": "Too much: text, number of images or request size over the limit."},
    422: {"description": "Invalid field (e.g. an unknown platform)."},
}


# ---------------------------------------------------------------------------------------------------
# scanning


def _clean_name(name: str | None, index: int, taken: set[str]) -> str:
    """A display name for an upload: its base name, printable, short, unique within the request."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] not in "CZ" or ch == " ").strip()
    base = base[-80:] or f"image-{index + 1}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{n}-{base}", n + 1
    taken.add(candidate)
    return candidate


def _save_uploads(files: list[UploadFile], lim: Limits, tmp: str) -> list[_Upload]:
    if len(files) > lim.max_images:
        raise _InputProblem(413, f"too many images ({len(files)}; limit {lim.max_images} per post)")
    out: list[_Upload] = []
    taken: set[str] = set()
    for i, f in enumerate(files):
        name = _clean_name(f.filename, i, taken)
        path = os.path.join(tmp, f"{i:03d}{_safe_suffix(name)}")
        size = 0
        too_big = False
        with open(path, "wb") as dst:
            while chunk := f.file.read(UPLOAD_CHUNK):
                size += len(chunk)
                if size > lim.max_image_bytes:
                    too_big = True
                    break
                dst.write(chunk)
        if too_big:
            os.unlink(path)
            out.append(_Upload(name, None, f"image too large (over {lim.max_image_bytes // 2**20} MiB; "
                                            f"limit {lim.max_image_bytes // 2**20} MiB per image)"))
        else:
            out.append(_Upload(name, path))
    return out


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""


def _pixel_problem(path: str, lim: Limits) -> str | None:
    """Refuse huge images by their header before any decoding."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            w, h = im.size
    except Exception:  # noqa: BLE001 - unreadable images are reported by analyse_image
        return None
    if w * h > lim.max_image_pixels:
        return (f"image has too many pixels ({w}x{h} = {w * h / 1e6:.0f} MP; limit "
                f"{lim.max_image_pixels / 1e6:.0f} MP): resize it")
    return None


def _scan(pol: Policy, lim: Limits, ocr: Any, text: str, platform: Platform | None, files: list[UploadFile],
          tmp: str) -> tuple[PostResult, dict[str, str]]:
    """Scan text and uploads; returns the result and a map temp path -> display name."""
    from postguard.engine import scan_post

    # Browsers send textarea line breaks as CRLF in form data; the page counts offsets on LF text.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > lim.max_text_chars:
        raise _InputProblem(413, f"draft too long ({len(text):,} characters; limit {lim.max_text_chars:,})")
    uploads = _save_uploads(files, lim, tmp)
    images: list[ImageResult] = []
    segments: list[Segment] = []
    names: dict[str, str] = {}
    for up in uploads:
        key = up.path or os.path.join(tmp, f"refused-{len(names)}")
        names[key] = up.name
        problem = up.error or (_pixel_problem(up.path, lim) if up.path else None)
        if problem:
            images.append(ImageResult(key, "error", detail=problem))
            continue
        image, segs = _analyse(key, ocr)
        images.append(image)
        segments.extend(segs)
    post = Post(id="draft", text=text, images=tuple(names), platform=platform.value if platform else None,
                source="<draft>")
    result = scan_post(post, pol, image_segments=segments, images=images)
    return result, names


def _analyse(path: str, ocr: Any) -> tuple[ImageResult, list[Segment]]:
    from postguard.images import OcrSettings, analyse_image

    return analyse_image(path, ocr or OcrSettings(), None)  # no cache: nothing is kept


# ---------------------------------------------------------------------------------------------------
# output


def _rename(value: str | None, names: dict[str, str]) -> str | None:
    return names.get(value, value) if value is not None else None


def _finding_dict(f: Finding, names: dict[str, str], lang: str | None) -> dict[str, Any]:
    loc: Location = f.location
    if loc.image is not None:
        f = replace(f, location=replace(loc, image=_rename(loc.image, names)))
    d = f.to_dict()
    if lang:
        d["message"] = f.messages.get(lang) or f.message
        d["advice"] = f.advices.get(lang) or f.advice
    d["fix"] = f.fix
    return d


def _report(pol: Policy, result: PostResult, names: dict[str, str], lang: str | None) -> dict[str, Any]:
    from postguard import __version__

    post = result.to_dict()
    post["findings"] = [_finding_dict(f, names, lang) for f in result.findings]
    post["suppressed"] = []
    post["images"] = [
        {**img.to_dict(), "path": _rename(img.path, names), "width": img.width, "height": img.height}
        for img in result.images
    ]
    post["errors"] = [{"source": _rename(e.source, names), "message": e.message} for e in result.errors]
    post["language"] = result.language
    by_category: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    for f in result.findings:
        by_category[f.category] = by_category.get(f.category, 0) + 1
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    return {
        "schema": SCHEMA,
        "tool": {"name": "postguard", "version": __version__},
        "policy": {"packs": [f"{p.name}@{p.version}" for p in pol.packs], "rules": len(pol.rules)},
        "summary": {"posts": 1, "flagged": int(result.flagged), "by_category": by_category,
                    "by_severity": by_severity, "errors": len(result.errors)},
        "posts": [post],
    }


def _redacted(result: PostResult, image: ImageResult, names: dict[str, str], tmp: str, index: int
              ) -> dict[str, Any]:
    name = names.get(image.path, image.path)
    entry: dict[str, Any] = {"name": name, "file": redacted_name(name), "status": image.status,
                             "detail": image.detail, "boxes": [], "data": None, "media_type": None}
    if image.status == "error":
        return entry
    out = os.path.join(tmp, f"redacted-{index:03d}-{redacted_name(name)}")
    try:
        red = redact_image(image.path, result.findings, out)
        data = Path(out).read_bytes()
    except Exception as exc:  # noqa: BLE001 - one bad image must not sink the whole answer
        entry["status"] = "error"
        entry["detail"] = f"could not redact: {type(exc).__name__}"
        return entry
    entry.update(
        boxes=[list(b) for b in red.boxes], width=red.width, height=red.height,
        media_type={"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[red.format],
        data=base64.b64encode(data).decode("ascii"),
    )
    return entry
