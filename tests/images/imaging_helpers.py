"""Test helpers: skip marker for a missing Tesseract, and box comparisons for OCR word boxes.

(A uniquely named module rather than conftest.py: tests/conftest.py also exists, and `from conftest
import ...` would pick whichever was imported first.)
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

import pytest

TESSERACT_MISSING = shutil.which("tesseract") is None
MISSING_REASON = "Tesseract binary not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
needs_tesseract = pytest.mark.skipif(TESSERACT_MISSING, reason=MISSING_REASON)

Box = tuple[int, int, int, int]


def union(boxes: Sequence[Box | None]) -> Box:
    real = [b for b in boxes if b is not None]
    assert real, "no boxes for these characters"
    x0 = min(b[0] for b in real)
    y0 = min(b[1] for b in real)
    x1 = max(b[0] + b[2] for b in real)
    y1 = max(b[1] + b[3] for b in real)
    return (x0, y0, x1 - x0, y1 - y0)


def intersection_area(a: Box, b: Box) -> int:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


def iou(a: Box, b: Box) -> float:
    inter = intersection_area(a, b)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def coverage(of: Box, by: Box) -> float:
    """Share of box `of` that lies inside box `by`."""
    return intersection_area(of, by) / (of[2] * of[3])
