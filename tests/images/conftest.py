"""Shared fixtures: the rendered test images and their OCR results, made once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # for `import render` and `import imaging_helpers`

import render
from imaging_helpers import MISSING_REASON, TESSERACT_MISSING

from postguard.images import OcrSettings, analyse_image
from postguard.model import ImageResult, Segment

# name -> (renderer, file format); JPEG where real posts would be photos.
SCENES = {
    "chat": (render.chat_screenshot, "PNG"),
    "lab": (render.lab_report, "JPEG"),
    "eng": (render.english_note, "PNG"),
    "wrist": (render.wristband, "JPEG"),
    "gradient": (render.gradient_photo, "JPEG"),
    "slide": (render.education_slide, "PNG"),
}


@pytest.fixture(scope="session")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, render.Rendered]]:
    folder = tmp_path_factory.mktemp("scenes")
    out: dict[str, tuple[str, render.Rendered]] = {}
    for name, (draw, fmt) in SCENES.items():
        rendered = draw()
        path = folder / f"{name}.{'jpg' if fmt == 'JPEG' else 'png'}"
        rendered.image.save(path, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        out[name] = (str(path), rendered)
    return out


@pytest.fixture(scope="session")
def ocr_results(
    scenes: dict[str, tuple[str, render.Rendered]],
) -> dict[str, tuple[ImageResult, list[Segment]]]:
    if TESSERACT_MISSING:
        pytest.skip(MISSING_REASON)
    return {name: analyse_image(path, OcrSettings(), None) for name, (path, _) in scenes.items()}


@pytest.fixture
def tmp_image(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write bytes to a file with the given name and return its path as a string."""

    def write(name: str, data: bytes) -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write
