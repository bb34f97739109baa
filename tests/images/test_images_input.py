"""Bad or unusual input: every case ends in an ImageResult, never an exception."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

import pytest
import render
from imaging_helpers import needs_tesseract
from PIL import Image, ImageDraw

from postguard.images import OcrSettings, analyse_image, check_tesseract, preprocess
from postguard.images import ocr as ocr_module

SETTINGS = OcrSettings()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny (invalid) IDAT: small on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def text_image(
    text: str, size: tuple[int, int] = (700, 120), fg: int = 0, bg: int = 255, font_px: int = 48
) -> Image.Image:
    img = Image.new("L", size, bg)
    ImageDraw.Draw(img).text((30, 30), text, font=render.cjk_font(font_px), fill=fg)
    return img


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_zero_byte_file_is_an_error(tmp_image) -> None:  # type: ignore[no-untyped-def]
    result, segments = analyse_image(tmp_image("empty.png", b""), SETTINGS, None)
    assert (result.status, result.detail, segments) == ("error", "empty file (0 bytes)", [])


def test_missing_file_and_directory_are_errors(tmp_path: Path) -> None:
    assert analyse_image(str(tmp_path / "nope.jpg"), SETTINGS, None)[0].detail.startswith("file not found")
    assert analyse_image(str(tmp_path), SETTINGS, None)[0].status == "error"


def test_truncated_png_is_an_error(tmp_image) -> None:  # type: ignore[no-untyped-def]
    data = encode(render.english_note().image, "PNG")
    result, _ = analyse_image(tmp_image("cut.png", data[: len(data) // 2]), SETTINGS, None)
    assert result.status == "error"
    assert "truncated or corrupt" in (result.detail or "")
    assert result.width == 1000  # the header was fine


def test_text_file_renamed_jpg_is_detected_by_content(tmp_image) -> None:  # type: ignore[no-untyped-def]
    result, _ = analyse_image(tmp_image("notes.jpg", "患者张三 床号12\n".encode() * 20), SETTINGS, None)
    assert result.status == "error"
    assert (result.detail or "").startswith("not a readable image")


@pytest.mark.parametrize("side", [50_000, 10_000], ids=["bomb-error", "bomb-warning"])
def test_decompression_bomb_is_refused_without_decoding(tmp_image, side: int) -> None:  # type: ignore[no-untyped-def]
    # 50000^2 trips Pillow's DecompressionBombError; 10000^2 only its warning, which we refuse too.
    data = png_header_only(side, side)
    assert len(data) < 200
    result, _ = analyse_image(tmp_image("bomb.png", data), SETTINGS, None)
    assert result.status == "error"
    assert "too large" in (result.detail or "")


def test_absurd_dimensions_are_refused(tmp_image) -> None:  # type: ignore[no-untyped-def]
    result, _ = analyse_image(tmp_image("strip.png", png_header_only(1, 40_000)), SETTINGS, None)
    assert result.status == "error"
    assert (result.detail or "").startswith("absurd image dimensions 1x40000")


def test_unsupported_format_is_refused(tmp_image) -> None:  # type: ignore[no-untyped-def]
    result, _ = analyse_image(tmp_image("x.ico", encode(Image.new("RGB", (32, 32)), "ICO")), SETTINGS, None)
    assert result.status == "error"
    assert "unsupported image format ICO" in (result.detail or "")


def test_heic_without_pillow_heif_says_what_to_install(tmp_image, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # import fails as if not installed
    monkeypatch.setattr(preprocess, "_heif_registered", False)
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    result, _ = analyse_image(tmp_image("IMG_0001.HEIC", data), SETTINGS, None)
    assert result.status == "error"
    assert (result.detail or "").startswith("HEIC not supported: install pillow-heif")


def test_ocr_disabled_is_not_scanned_with_size(tmp_image) -> None:  # type: ignore[no-untyped-def]
    path = tmp_image("a.png", encode(text_image("床号12"), "PNG"))
    result, segments = analyse_image(path, OcrSettings(enabled=False), None)
    assert (result.status, result.width, result.height) == ("not_scanned", 700, 120)
    assert "OCR disabled" in (result.detail or "")
    assert not [s for s in segments if s.kind == "ocr"]


def test_missing_tesseract_is_not_scanned_with_install_hint(tmp_image, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ocr_module.pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    hint = check_tesseract("chi_sim+eng")
    assert hint == "Tesseract not found: apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng"
    result, _ = analyse_image(tmp_image("a.png", encode(text_image("床号12"), "PNG")), SETTINGS, None)
    assert (result.status, result.detail) == ("not_scanned", hint)


@needs_tesseract
def test_missing_language_names_the_debian_package() -> None:
    assert check_tesseract("chi_sim+eng") is None
    hint = check_tesseract("chi_sim+xyz_abc")
    assert hint == "Tesseract language data missing (xyz_abc): apt-get install tesseract-ocr-xyz-abc"


@needs_tesseract
def test_gif_first_frame_is_read(tmp_image) -> None:  # type: ignore[no-untyped-def]
    frames = [text_image("电话13812345678"), text_image("再见99999")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=500, loop=0)
    result, _ = analyse_image(tmp_image("anim.gif", data), SETTINGS, None)
    assert result.status == "scanned"
    assert "13812345678" in result.ocr_text
    assert "99999" not in result.ocr_text


@needs_tesseract
def test_png_named_jpg_is_read_by_content(tmp_image) -> None:  # type: ignore[no-untyped-def]
    result, _ = analyse_image(
        tmp_image("really_png.jpg", encode(text_image("住院号2023104587"), "PNG")), SETTINGS, None
    )
    assert result.status == "scanned"
    assert "2023104587" in result.ocr_text


@needs_tesseract
@pytest.mark.parametrize("kind", ["transparent", "dark-mode"])
def test_transparent_and_dark_images_are_read(tmp_image, kind: str) -> None:  # type: ignore[no-untyped-def]
    if kind == "transparent":
        # Black text on fully transparent black: without a white backdrop it would all be black.
        img = Image.new("RGBA", (700, 120), (0, 0, 0, 0))
        ImageDraw.Draw(img).text((30, 30), "住院号2023104587", font=render.cjk_font(48), fill=(0, 0, 0, 255))
    else:
        img = text_image("住院号2023104587", fg=235, bg=25).convert("RGB")
    result, _ = analyse_image(tmp_image(f"{kind}.png", encode(img, "PNG")), SETTINGS, None)
    assert "2023104587" in result.ocr_text, result


@needs_tesseract
def test_webp_bmp_and_tiff_are_read(tmp_image) -> None:  # type: ignore[no-untyped-def]
    # 32 px: 48 px text upscaled 2x reads 13812342678 (large text suffers from the fixed upscale rule).
    img = text_image("13812345678", font_px=32).convert("RGB")
    for fmt, name in (("WEBP", "a.webp"), ("BMP", "a.bmp"), ("TIFF", "a.tiff")):
        result, _ = analyse_image(
            tmp_image(name, encode(img, fmt, **({"lossless": True} if fmt == "WEBP" else {}))), SETTINGS, None
        )
        assert "13812345678" in result.ocr_text, (fmt, result)


@needs_tesseract
def test_heic_is_read_when_pillow_heif_is_installed(tmp_image) -> None:  # type: ignore[no-untyped-def]
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif not installed (pip install pillow-heif)")
    pillow_heif.register_heif_opener()
    data = encode(text_image("住院号2023104587", font_px=32).convert("RGB"), "HEIF", quality=95)
    result, _ = analyse_image(tmp_image("IMG_0002.heic", data), SETTINGS, None)
    assert result.status == "scanned", result.detail
    assert "2023104587" in result.ocr_text
