"""Helpers shared by the server and fix tests (and kept free of pytest fixtures so test_fix.py can
import them): the pinned test policy and a rendered lab report with EXIF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

DATA = Path(__file__).with_name("data")
TEST_POLICY = DATA / "test-policy.yml"
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
# what the lab report shows, and which strings identify the patient
LAB_LINES = ["姓名：李四", "性别：男", "年龄：56岁", "住院号：2023104587", "床号：17"]
LAB_IDENTIFIERS = ["李四", "2023104587"]  # OCR reads 56岁 unreliably, so the age is not asserted

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")




def render_lab_report(path: Path, fmt: str = "JPEG") -> Path:
    """A printed lab-report header: one identifier per line, large enough for Tesseract."""
    font = ImageFont.truetype(CJK_FONT, 34, index=2)  # Noto Sans CJK SC
    img = Image.new("RGB", (900, 80 + 70 * (len(LAB_LINES) + 2)), (252, 252, 248))
    draw = ImageDraw.Draw(img)
    draw.text((60, 30), "检验报告单（血常规）", font=font, fill=(0, 0, 0))
    for i, line in enumerate(LAB_LINES):
        draw.text((60, 110 + 70 * i), line, font=font, fill=(0, 0, 0))
    draw.text((60, 110 + 70 * len(LAB_LINES)), "白细胞计数 6.5 10^9/L", font=font, fill=(0, 0, 0))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2024:03:15 09:12:00"  # DateTime
    exif[0xC62F] = "SN-0042-7788"  # camera serial number
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (39.0, 54.0, 15.0), "E", (116.0, 24.0, 26.0)
    img.save(path, fmt, exif=exif.tobytes(), quality=95)
    return path
