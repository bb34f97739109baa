"""The OCR cache: a rescan never runs Tesseract; a corrupt entry is ignored and rewritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import render
from imaging_helpers import needs_tesseract
from PIL import Image, ImageDraw

from postguard.images import OcrSettings, analyse_image, default_cache_dir
from postguard.images import cache as ocr_cache
from postguard.images import ocr as ocr_module

SETTINGS = OcrSettings()


@pytest.fixture
def small_image(tmp_path: Path) -> str:
    img = Image.new("L", (700, 120), 255)
    ImageDraw.Draw(img).text((30, 30), "家属电话13812345678", font=render.cjk_font(48), fill=0)
    path = tmp_path / "phone.png"
    img.save(path)
    return str(path)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts calls to pytesseract.image_to_data."""
    calls: list[int] = []
    real = ocr_module.pytesseract.image_to_data

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ocr_module.pytesseract, "image_to_data", spy)
    return calls


def entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("*.json"))


@needs_tesseract
def test_rescan_is_served_from_cache_without_tesseract(small_image: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cache_dir = tmp_path / "cache"
    first = analyse_image(small_image, SETTINGS, str(cache_dir))
    assert "13812345678" in first[0].ocr_text
    assert len(entries(cache_dir)) == 1

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("Tesseract must not run on a cache hit")

    monkeypatch.setattr(ocr_module.pytesseract, "image_to_data", boom)
    assert analyse_image(small_image, SETTINGS, str(cache_dir)) == first


@needs_tesseract
def test_min_confidence_applies_to_cached_words(small_image: str, tmp_path: Path, counted: list[int]) -> None:
    cache_dir = str(tmp_path / "cache")
    analyse_image(small_image, SETTINGS, cache_dir)
    strict, _ = analyse_image(small_image, OcrSettings(min_confidence=101), cache_dir)
    assert (strict.status, strict.ocr_text, len(counted)) == ("scanned", "", 1)


@needs_tesseract
def test_corrupt_entry_is_ignored_and_rewritten(small_image: str, tmp_path: Path, counted: list[int]) -> None:
    cache_dir = tmp_path / "cache"
    first, _ = analyse_image(small_image, SETTINGS, str(cache_dir))
    (entry,) = entries(cache_dir)
    entry.write_text('{"format": 1, "key": "tru', encoding="utf-8")
    again, _ = analyse_image(small_image, SETTINGS, str(cache_dir))
    assert again == first
    assert len(counted) == 2
    assert json.loads(entry.read_text(encoding="utf-8"))["payload"]["words"]
    analyse_image(small_image, SETTINGS, str(cache_dir))
    assert len(counted) == 2  # the rewritten entry is used


@needs_tesseract
def test_settings_that_change_ocr_change_the_key(small_image: str, tmp_path: Path, counted: list[int]) -> None:
    cache_dir = str(tmp_path / "cache")
    analyse_image(small_image, SETTINGS, cache_dir)
    analyse_image(small_image, OcrSettings(psm=11), cache_dir)
    analyse_image(small_image, OcrSettings(languages="eng"), cache_dir)
    assert len(counted) == 3


@needs_tesseract
def test_unwritable_cache_does_not_fail_the_scan(small_image: str, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    result, _ = analyse_image(small_image, SETTINGS, str(blocker))
    assert result.status == "scanned"


def test_no_cache_dir_writes_nothing_and_default_is_user_cache(tmp_path: Path) -> None:
    assert default_cache_dir().replace("\\", "/").endswith("postguard/ocr")
    assert ocr_cache.load(str(tmp_path), "0" * 64) is None


def test_store_and_load_round_trip_atomically(tmp_path: Path) -> None:
    key = ocr_cache.cache_key("ab" * 32, "5.3.0", languages="eng", psm=6)
    ocr_cache.store(str(tmp_path), key, {"words": [["x", 90.0, 1, 1, 1, 0, 0, 1, 1]]})
    assert ocr_cache.load(str(tmp_path), key) == {"words": [["x", 90.0, 1, 1, 1, 0, 0, 1, 1]]}
    assert not list(tmp_path.rglob(".tmp-*"))  # no temporary files left behind
    # An entry stored under one key is never served for another (e.g. a hash collision on file name).
    other = ocr_cache.cache_key("ab" * 32, "5.4.0", languages="eng", psm=6)
    assert other != key
