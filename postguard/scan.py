"""Batch scanning: inputs -> posts -> (images in worker processes) -> engine -> PostResults, in order.

A ScanRun streams: results are produced as `results()` is iterated, so memory does not grow with the
number of posts. Summary and input errors are complete once iteration ends.
"""

from __future__ import annotations

import datetime
import fnmatch
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postguard.engine import apply_suppressions, risk, scan_post
from postguard.model import ImageResult, InputError, Post, PostResult, Segment, Summary, Suppression
from postguard.policy.model import Policy

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future


@dataclass(frozen=True)
class ConfigIgnore:
    """A suppression from configuration: a rule (or *) for posts whose source matches a path glob."""

    rule: str
    reason: str
    path: str = "*"
    match: str | None = None
    origin: str = "config"


@dataclass
class ScanOptions:
    jobs: int = 0  # 0 = number of CPUs
    ocr: Any = None  # postguard.images.OcrSettings; None = built from ocr_overrides when images appear
    ocr_overrides: dict[str, Any] = field(default_factory=dict)
    ocr_enabled: bool = True
    cache_dir: str | None = "default"  # "default" = the user cache folder; None = no cache
    ignores: Sequence[ConfigIgnore] = ()
    baseline: Any = None  # postguard.baseline.Baseline
    on_error: Callable[[InputError], None] | None = None
    on_progress: Callable[[int, int], None] | None = None  # (posts done, images done)
    on_warning: Callable[[str], None] | None = None  # something worth saying that is not an error
    thumbnails: bool = False  # keep a small data: URI per image (for the HTML report)
    allow: Sequence[str] = ()  # allow-listed strings: findings whose evidence is one of them are dropped


class ScanRun:
    """One scan over inputs with a policy. Iterate `results()` once."""

    def __init__(self, policy: Policy, inputs: Iterable[Post | InputError], options: ScanOptions | None = None):
        self.policy = policy
        self.options = options or ScanOptions()
        self.started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.summary = Summary()
        self.input_errors: list[InputError] = []
        self.ocr_problem: str | None = None  # why images could not be OCR'd, if they could not
        self.unused_ignores: list[ConfigIgnore] = []
        self._inputs = inputs
        self._used_ignores: set[int] = set()
        self._consumed = False

    # -- images ---------------------------------------------------------------------------------
    def _ocr_settings(self) -> Any:
        from postguard.images import OcrSettings, check_tesseract

        settings = self.options.ocr or OcrSettings(**self.options.ocr_overrides, enabled=self.options.ocr_enabled)
        if settings.enabled:
            problem = check_tesseract(settings.languages)
            if problem:
                self.ocr_problem = problem
                settings = replace(settings, enabled=False)
        return settings

    def _cache(self) -> str | None:
        c = self.options.cache_dir
        if c == "default":
            from postguard.images.cache import default_cache_dir

            return default_cache_dir()
        return c

    # -- the stream -----------------------------------------------------------------------------
    def results(self) -> Iterator[PostResult]:
        if self._consumed:
            raise RuntimeError("a ScanRun can be iterated once")
        self._consumed = True
        settings: Any = None
        pool: Executor | None = None
        jobs = self.options.jobs or os.cpu_count() or 1
        pending: deque[tuple[Post, list[Future[Any]] | None]] = deque()
        # Read ahead until every worker has a few images queued (a post is written as soon as its own images
        # are done), holding back at most max_posts posts so memory stays bounded on image-light exports.
        max_images, max_posts = jobs * 3, 5000
        queued_images = 0
        images_done = 0

        def ready(entry: tuple[Post, list[Future[Any]] | None]) -> bool:
            return entry[1] is None or all(f.done() for f in entry[1])
        try:
            for item in self._inputs:
                if isinstance(item, InputError):
                    self._error(item)
                    continue
                post = item
                futures: list[Future[Any]] | None = None
                if post.images:
                    if settings is None:
                        settings = self._ocr_settings()
                        if jobs > 1 and settings.enabled:
                            from concurrent.futures import ProcessPoolExecutor

                            pool = ProcessPoolExecutor(max_workers=jobs)
                    if pool is not None:
                        futures = [pool.submit(_analyse, p, settings, self._cache(), self.options.thumbnails)
                                   for p in post.images]
                pending.append((post, futures))
                queued_images += len(futures or ())
                while pending and (ready(pending[0]) or queued_images > max_images or len(pending) > max_posts):
                    head = pending.popleft()
                    queued_images -= len(head[1] or ())
                    result = self._finish(*head, settings)
                    images_done += len(result.images)
                    yield self._count(result, images_done)
            while pending:
                result = self._finish(*pending.popleft(), settings)
                images_done += len(result.images)
                yield self._count(result, images_done)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        self.unused_ignores = [g for i, g in enumerate(self.options.ignores) if i not in self._used_ignores]

    def _error(self, error: InputError) -> None:
        self.input_errors.append(error)
        if self.options.on_error:
            self.options.on_error(error)

    def _count(self, result: PostResult, images_done: int) -> PostResult:
        self.summary.add(result)
        for e in result.errors:
            if self.options.on_error:
                self.options.on_error(e)
        if self.options.on_warning:
            for s in result.unused_suppressions:
                self.options.on_warning(f"{result.post.source}: {s.origin} ignore of {s.rule} matched nothing; "
                                        "remove it")
        if self.options.on_progress:
            self.options.on_progress(self.summary.posts, images_done)
        return result

    def _finish(self, post: Post, futures: list[Future[Any]] | None, settings: Any) -> PostResult:
        images: list[ImageResult] = []
        segments: list[Segment] = []
        errors = list(post.errors)
        for i, path in enumerate(post.images):
            if futures is not None:
                try:
                    image, segs = futures[i].result()
                except Exception as exc:  # a crashed worker must not sink the batch
                    image, segs = ImageResult(path, "error", detail=f"image analysis failed: {exc}"), []
            else:
                image, segs = _analyse(path, settings, self._cache(), self.options.thumbnails)
            images.append(image)
            segments.extend(segs)
            if image.status == "error":
                errors.append(InputError(path, image.detail or "image could not be read"))
            elif image.status == "not_scanned" and self.ocr_problem:
                errors.append(InputError(path, f"not scanned: {self.ocr_problem}"))
        post = replace(post, errors=tuple(errors))
        result = scan_post(post, self.policy, image_segments=segments, images=images)
        return self._post_filters(result)

    def _post_filters(self, result: PostResult) -> PostResult:
        """Allow list, configuration ignores and the baseline."""
        findings = list(result.findings)
        if self.options.allow:
            allowed = {a.strip().lower() for a in self.options.allow}
            findings = [f for f in findings if f.evidence.strip().lower() not in allowed]
        sups: list[Suppression] = []
        index: list[int] = []
        where = result.post.source_path or result.post.source or result.post.id
        for i, g in enumerate(self.options.ignores):
            if g.path == "*" or fnmatch.fnmatch(where, g.path) or fnmatch.fnmatch(Path(where).as_posix(), g.path):
                sups.append(Suppression(g.rule, g.reason, g.match, g.origin))
                index.append(i)
        kept, hidden, used = apply_suppressions(findings, sups)
        self._used_ignores.update(index[u] for u in used)
        baseline = self.options.baseline
        if baseline is not None:
            from postguard.model import SuppressedFinding

            still = []
            for f in kept:
                if baseline.contains(result.post, f):
                    hidden.append(SuppressedFinding(f, "in baseline", "baseline"))
                else:
                    still.append(f)
            kept = still
        if len(kept) == len(result.findings) and not hidden:
            return result
        return replace(result, findings=tuple(kept), suppressed=result.suppressed + tuple(hidden), risk=risk(kept))


def _analyse(path: str, settings: Any, cache_dir: str | None, thumbnails: bool) -> tuple[ImageResult, list[Segment]]:
    from postguard.images import analyse_image

    image, segments = analyse_image(path, settings, cache_dir)
    if thumbnails and image.status != "error":
        image = replace(image, thumbnail=_thumbnail(path))
    return image, segments


def _thumbnail(path: str, size: int = 480) -> str | None:
    """A small JPEG data: URI for the HTML report (so it stays one self-contained file)."""
    import base64
    import io

    try:
        from PIL import Image, ImageOps

        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            im.thumbnail((size, size))
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "JPEG", quality=70)
        return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    except Exception:
        return None
