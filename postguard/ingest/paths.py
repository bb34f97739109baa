"""Resolving file references found inside exports, without letting them escape the export.

An export is data from elsewhere: a media `uri` of `../../home/me/.ssh/id_rsa.jpg` or `/etc/passwd`
must never make postguard read (and, in the HTML report, embed) a file outside the export folder.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from postguard.model import InputError


def safe_join(root: Path, rel: str) -> Path | None:
    """`root / rel` if `rel` is a relative path that stays inside `root`, else None.

    Absolute paths (POSIX or Windows, with or without a drive) and paths that climb out with `..`
    are refused, and so is a symlink inside the export that points outside it (the check is made on
    the resolved path). The returned path keeps `root`'s form (relative stays relative).
    """
    if not rel or "\x00" in rel:
        return None
    if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute() or PureWindowsPath(rel).drive:
        return None
    if rel.startswith(("\\", "/")):
        return None
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    candidate = root.joinpath(*parts)
    try:
        real_root = root.resolve()
        real = candidate.resolve()
    except (OSError, RuntimeError):  # symlink loops, unreadable components
        return None
    if real != real_root and real_root not in real.parents:
        return None
    return candidate


def media_file(root: Path, rel: str, where: str, hint: str = "") -> tuple[str | None, InputError | None]:
    """Resolve one media reference of a post: (path, None) if it exists, else (None, error).

    `where` names the post ("tweets.js:entry 3") for the error; `hint` is appended to say what to do.
    """
    path = safe_join(root, rel)
    if path is None:
        return None, InputError(
            where, f"media path {rel!r} points outside the export folder; refused (not read)"
        )
    if not path.is_file():
        tail = f"; {hint}" if hint else "; the post was read without it"
        return None, InputError(where, f"media file {rel!r} not found under {root}{tail}")
    return os.fspath(path), None
