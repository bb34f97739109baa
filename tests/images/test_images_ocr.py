"""OCR of rendered post images: planted identifiers are read, and their boxes point where they were drawn."""

from __future__ import annotations

import re

import pytest
import render
from imaging_helpers import coverage, iou, needs_tesseract, union

from postguard.images import OcrSettings, analyse_image, assemble
from postguard.images.ocr import Word, is_cjk
from postguard.model import ImageResult, Segment

Results = dict[str, tuple[ImageResult, list[Segment]]]

# (scene, planted string, regex that must match the OCR text; group 1 is the planted string)
PLANTED = [
    ("chat", "张三", r"(张三)今天"),
    ("chat", "12", r"床号(12)"),
    ("chat", "13812345678", r"电话(13812345678)"),
    ("lab", "李四", r"姓名:?\s*(李四)"),
    ("lab", "2023104587", r"住院号:?\s*(2023104587)"),
    ("lab", "17", r"床号:?\s*(17)"),
    ("eng", "John Carter", r"Name: (John Carter)"),
    ("eng", "1961-04-23", r"DOB: (1961-04-23)"),
    ("eng", "00482913", r"MRN: (00482913)"),
    ("wrist", "王五", r"(王五)"),
    ("wrist", "2024000731", r"住院号\s*(2024000731)"),
]


def assert_box_matches(got: tuple[int, int, int, int], drawn: tuple[int, int, int, int]) -> None:
    """Tesseract's LSTM boxes are approximate (CJK glyph boxes drift by up to half a glyph), so: most
    of the drawn text lies inside the OCR box, and the OCR box is not much larger than the drawn one."""
    assert coverage(drawn, got) >= 0.6, (got, drawn)
    assert iou(drawn, got) >= 0.3, (got, drawn)


def ocr_segment(segments: list[Segment]) -> Segment:
    found = [s for s in segments if s.kind == "ocr"]
    assert len(found) == 1
    return found[0]


@needs_tesseract
@pytest.mark.parametrize(("scene", "planted", "pattern"), PLANTED, ids=[f"{s}-{p}" for s, p, _ in PLANTED])
def test_planted_string_is_read_and_boxed_where_drawn(
    ocr_results: Results, scenes: dict[str, tuple[str, render.Rendered]], scene: str, planted: str, pattern: str
) -> None:
    result, segments = ocr_results[scene]
    assert result.status == "scanned", result.detail
    segment = ocr_segment(segments)
    assert segment.text == result.ocr_text
    assert segment.boxes is not None and len(segment.boxes) == len(segment.text)
    match = re.search(pattern, segment.text)
    assert match, f"{planted!r} not found in OCR text:\n{segment.text}"
    got = union(segment.boxes[match.start(1) : match.end(1)])
    drawn = scenes[scene][1].planted[planted]
    assert_box_matches(got, drawn)


@needs_tesseract
def test_chinese_names_are_read_without_spaces(ocr_results: Results) -> None:
    assert "张三" in ocr_results["chat"][0].ocr_text
    assert "李四" in ocr_results["lab"][0].ocr_text
    assert "住院号" in ocr_results["lab"][0].ocr_text


@needs_tesseract
def test_result_reports_original_size(ocr_results: Results) -> None:
    assert (ocr_results["chat"][0].width, ocr_results["chat"][0].height) == (1080, 1920)
    assert (ocr_results["lab"][0].width, ocr_results["lab"][0].height) == (1200, 800)


@needs_tesseract
def test_boxes_stay_inside_the_original_image(ocr_results: Results) -> None:
    for result, segments in ocr_results.values():
        for box in ocr_segment(segments).boxes or ():
            if box is not None:
                x, y, w, h = box
                assert x >= 0 and y >= 0 and x + w <= (result.width or 0) and y + h <= (result.height or 0)


@needs_tesseract
def test_photo_without_text_yields_no_identifiers(ocr_results: Results) -> None:
    result, _ = ocr_results["gradient"]
    assert result.status == "scanned"
    assert not re.search(r"\d{4,}", result.ocr_text)
    assert not any(is_cjk(ch) for ch in result.ocr_text)


@needs_tesseract
def test_health_education_slide_is_read_and_carries_no_patient_data(ocr_results: Results) -> None:
    text = ocr_results["slide"][0].ocr_text
    assert "每天少盐" in text
    assert "规律运动" in text
    assert not re.search(r"1[3-9]\d{9}|住院号|床号|姓名", text)


@needs_tesseract
def test_downscaled_image_maps_boxes_back_to_original_pixels(
    scenes: dict[str, tuple[str, render.Rendered]],
) -> None:
    path, rendered = scenes["eng"]
    _, segments = analyse_image(path, OcrSettings(max_side=800, upscale_below=0), None)
    text = ocr_segment(segments).text
    match = re.search(r"00482913", text)
    assert match, text
    got = union((ocr_segment(segments).boxes or ())[match.start() : match.end()])
    assert_box_matches(got, rendered.planted["00482913"])


@needs_tesseract
def test_exif_orientation_is_applied_and_boxes_are_upright(tmp_path, scenes) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    _, rendered = scenes["eng"]
    # Stored sideways with Orientation=6 ("rotate 90 degrees clockwise to view"), as phones do.
    stored = rendered.image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "sideways.jpg"
    stored.save(path, "JPEG", quality=92, exif=exif)
    result, segments = analyse_image(str(path), OcrSettings(), None)
    assert (result.width, result.height) == rendered.image.size
    match = re.search(r"MRN: (00482913)", result.ocr_text)
    assert match, result.ocr_text
    got = union((ocr_segment(segments).boxes or ())[match.start(1) : match.end(1)])
    assert_box_matches(got, rendered.planted["00482913"])


# --- text assembly (no Tesseract needed) -----------------------------------------------------------


def word(text: str, block: int = 1, line: int = 1, conf: float = 90.0, x: int = 0) -> Word:
    return Word(text, conf, block, 1, line, (x, 10 * line, 10, 10))


def test_cjk_words_are_joined_without_spaces_and_latin_words_with_one() -> None:
    words = [word("患者", x=0), word("张", x=20), word("三", x=30), word("phone", x=50), word("138", x=90)]
    text, boxes = assemble(words, 30.0)
    assert text == "患者张三phone 138"
    assert boxes[2] == (20, 10, 10, 10) and boxes[3] == (30, 10, 10, 10)
    assert boxes[text.index(" ")] is None


def test_lines_get_a_newline_and_blocks_a_blank_line() -> None:
    words = [word("Name:", line=1), word("John", line=1), word("MRN", line=2), word("床号", block=2, line=1)]
    text, boxes = assemble(words, 30.0)
    assert text == "Name: John\nMRN\n\n床号"
    assert len(boxes) == len(text)
    assert [boxes[i] for i, ch in enumerate(text) if ch == "\n"] == [None, None, None]


def test_low_confidence_words_are_dropped() -> None:
    text, _ = assemble([word("住院号"), word("~~", conf=12.0), word("2023104587")], 30.0)
    assert text == "住院号2023104587"


def test_full_width_punctuation_counts_as_cjk() -> None:
    text, _ = assemble([word("床号："), word("17")], 30.0)
    assert text == "床号：17"
