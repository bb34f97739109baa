"""postguard: content-compliance scanner for doctors' social-media posts.

Public API:
    load_policy(paths=None, *, builtin=True, disabled=(), severity_overrides=None) -> Policy
    scan_post(post_or_text, policy=None, *, platform=None) -> PostResult
    scan(inputs, policy=None, options=None) -> ScanRun   (iterate run.results())
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from postguard.model import (
    CATEGORIES,
    RISK_LEVELS,
    SEVERITIES,
    Finding,
    ImageResult,
    InputError,
    Location,
    Post,
    PostResult,
    Reference,
    Risk,
    Segment,
    Summary,
)
from postguard.policy.loader import PolicyError, load_policy
from postguard.policy.model import Policy, Rule
from postguard.scan import ScanOptions, ScanRun

__version__ = "0.1.0"

__all__ = [
    "CATEGORIES", "RISK_LEVELS", "SEVERITIES", "Finding", "ImageResult", "InputError", "Location", "Post",
    "PostResult", "Reference", "Risk", "Segment", "Summary", "Policy", "PolicyError", "Rule", "ScanOptions",
    "ScanRun", "load_policy", "scan", "scan_post", "__version__",
]

_default_policy: Policy | None = None


def _policy(policy: Policy | None) -> Policy:
    global _default_policy
    if policy is not None:
        return policy
    if _default_policy is None:
        _default_policy = load_policy()
    return _default_policy


def scan_post(post: Post | str, policy: Policy | None = None, *, platform: str | None = None) -> PostResult:
    """Scan one post (a Post, or just its text) with the given policy or the built-in packs.

    Images named in `post.images` are OCR'd in this process.
    """
    if isinstance(post, str):
        post = Post(id="post", text=post, platform=platform, source="<text>")
    run = ScanRun(_policy(policy), [post], ScanOptions(jobs=1))
    return next(iter(run.results()))


def scan(
    inputs: Iterable[str | Path | Post], policy: Policy | None = None, options: ScanOptions | None = None
) -> ScanRun:
    """Scan paths (files, folders, exports) and/or Post objects. Iterate `run.results()`."""
    from postguard.ingest import read_path

    def stream() -> Iterable[Post | InputError]:
        for item in inputs:
            if isinstance(item, Post):
                yield item
            else:
                yield from read_path(Path(item))

    return ScanRun(_policy(policy), stream(), options)
