"""On-disk cache of OCR words, so a rescan never runs Tesseract on an image it has already read.

The key covers everything that changes what Tesseract returns: the image bytes (SHA-256), the
Tesseract version, languages, page segmentation mode and the preprocessing settings and version.
Words are stored with their confidence, so `min_confidence` is applied after the cache and is not part
of the key. Entries are written to a temporary file and renamed (os.replace), so parallel workers
never see half a file; an entry that does not parse is treated as a miss and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any

import platformdirs

CACHE_FORMAT = 1


def default_cache_dir() -> str:
    """The folder the CLI uses unless told otherwise (~/.cache/postguard/ocr on Linux)."""
    return os.path.join(platformdirs.user_cache_dir("postguard"), "ocr")


def cache_key(image_sha256: str, tesseract_version: str, **settings: object) -> str:
    parts = [f"format={CACHE_FORMAT}", f"image={image_sha256}", f"tesseract={tesseract_version}"]
    parts += [f"{name}={settings[name]!r}" for name in sorted(settings)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _entry_path(cache_dir: str, key: str) -> str:
    return os.path.join(cache_dir, key[:2], key + ".json")


def load(cache_dir: str, key: str) -> dict[str, Any] | None:
    """The stored payload, or None on a miss or an unreadable/corrupt entry."""
    try:
        with open(_entry_path(cache_dir, key), encoding="utf-8") as f:
            entry = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("key") != key:
        return None
    payload = entry.get("payload")
    return payload if isinstance(payload, dict) else None


def store(cache_dir: str, key: str, payload: dict[str, Any]) -> None:
    """Write atomically; a cache that cannot be written (read-only, disk full) is silently skipped."""
    path = _entry_path(cache_dir, key)
    tmp_name: str | None = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=os.path.dirname(path), prefix=".tmp-", suffix=".json", delete=False
        ) as tmp:
            tmp_name = tmp.name
            json.dump({"format": CACHE_FORMAT, "key": key, "payload": payload}, tmp, ensure_ascii=False)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError:
        pass
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
