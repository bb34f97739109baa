"""Inline assets for the self-contained pages (the HTML report and the pre-check page)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

PALETTE = Path(__file__).resolve().parent / "templates" / "palette.css"


def inline_assets(css: Path, js: Path) -> tuple[str, str, str]:
    """The inline CSS (the shared palette first), the inline script, and the script's CSP hash."""
    style = PALETTE.read_text(encoding="utf-8") + "\n" + css.read_text(encoding="utf-8")
    script = js.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return style, script, f"sha256-{digest}"
