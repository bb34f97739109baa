"""Draw the test images with Pillow, and remember where each planted string was drawn.

Every renderer returns a `Rendered`: the image plus `planted`, a map from a planted string (a phone
number, a name, an id) to its axis-aligned box (x, y, w, h) in the final image's pixels, so the tests
can check both that OCR read the string and that the word boxes point at the right place.
Also used by benchmarks/bench_ocr.py, so keep it free of pytest.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter, ImageFont

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_FACE_SC = 2  # face index of Noto Sans CJK SC inside the .ttc
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

Box = tuple[int, int, int, int]


@dataclass
class Rendered:
    image: Image.Image
    planted: dict[str, Box] = field(default_factory=dict)


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(CJK_FONT, size, index=CJK_FACE_SC)


def latin_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(LATIN_FONT, size)


def draw_parts(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    parts: list[tuple[str, bool]],
    font: ImageFont.FreeTypeFont,
    fill: str | tuple[int, int, int],
    planted: dict[str, Box],
) -> float:
    """Draw `parts` left to right on one line; record the ink box of every part flagged True.

    Returns the x where the line ended.
    """
    x, y = xy
    for text, plant in parts:
        if plant:
            left, top, right, bottom = draw.textbbox((x, y), text, font=font)
            planted[text] = (int(left), int(top), int(right - left), int(bottom - top))
        draw.text((x, y), text, font=font, fill=fill)
        x += draw.textlength(text, font=font)
    return x


def chat_screenshot(size: tuple[int, int] = (1080, 1920)) -> Rendered:
    """A WeChat-style chat: grey background, white (received) and green (sent) bubbles."""
    width, height = size
    img = Image.new("RGB", size, (237, 237, 237))
    draw = ImageDraw.Draw(img)
    planted: dict[str, Box] = {}
    font = cjk_font(42)
    small = cjk_font(30)
    # status bar and header
    draw.rectangle((0, 0, width, 150), fill=(237, 237, 237))
    draw.text((40, 20), "9:41", font=small, fill=(0, 0, 0))
    draw.text((width // 2 - 100, 80), "王主任（心内科）", font=small, fill=(0, 0, 0))
    draw.line((0, 150, width, 150), fill=(210, 210, 210), width=2)

    rows: list[tuple[bool, list[tuple[str, bool]]]] = [
        (False, [("主任，", False), ("张三", True), ("今天怎么样？", False)]),
        (True, [("床号", False), ("12", True), ("的病人已经退烧了", False)]),
        (False, [("家属电话", False), ("13812345678", True)]),
        (True, [("好的，明天上午查房再看", False)]),
        (False, [("收到，谢谢主任", False)]),
        (True, [("复查血常规，下午出结果", False)]),
    ]
    y = 210
    for sent, parts in rows:
        text_w = sum(draw.textlength(t, font=font) for t, _ in parts)
        bubble_w = int(text_w) + 60
        if sent:
            x0 = width - 150 - bubble_w
            colour = (149, 236, 105)
            draw.rectangle((width - 130, y, width - 40, y + 90), fill=(90, 140, 200))  # avatar
        else:
            x0 = 150
            colour = (255, 255, 255)
            draw.rectangle((40, y, 130, y + 90), fill=(200, 120, 90))  # avatar
        draw.rounded_rectangle((x0, y, x0 + bubble_w, y + 100), radius=14, fill=colour)
        draw_parts(draw, (x0 + 30, y + 18), parts, font, (20, 20, 20), planted)
        y += 150
        if y > height - 300:
            break
    # input bar with a send button
    draw.rectangle((0, height - 160, width, height), fill=(247, 247, 247))
    draw.rounded_rectangle((40, height - 130, width - 220, height - 40), radius=10, fill=(255, 255, 255))
    draw.rounded_rectangle((width - 190, height - 125, width - 40, height - 45), radius=10, fill=(7, 193, 96))
    draw.text((width - 150, height - 110), "发送", font=small, fill=(255, 255, 255))
    return Rendered(img, planted)


def lab_report(size: tuple[int, int] = (1200, 800)) -> Rendered:
    """A printed lab report form with patient identifiers in the header rows."""
    width, height = size
    img = Image.new("RGB", size, (250, 250, 246))
    draw = ImageDraw.Draw(img)
    planted: dict[str, Box] = {}
    title = cjk_font(40)
    font = cjk_font(28)
    draw.text((width // 2 - 200, 30), "检验报告单（血常规）", font=title, fill=(0, 0, 0))
    draw.line((40, 100, width - 40, 100), fill=(0, 0, 0), width=2)
    draw_parts(draw, (60, 120), [("姓名：", False), ("李四", True)], font, (0, 0, 0), planted)
    draw_parts(draw, (420, 120), [("性别：男", False)], font, (0, 0, 0), planted)
    draw_parts(draw, (720, 120), [("年龄：56岁", False)], font, (0, 0, 0), planted)
    draw_parts(draw, (60, 180), [("住院号：", False), ("2023104587", True)], font, (0, 0, 0), planted)
    draw_parts(draw, (520, 180), [("床号：", False), ("17", True)], font, (0, 0, 0), planted)
    draw_parts(draw, (720, 180), [("科室：心内科", False)], font, (0, 0, 0), planted)
    draw.line((40, 240, width - 40, 240), fill=(0, 0, 0), width=1)
    rows = [
        ("白细胞计数", "6.5", "10^9/L", "3.5-9.5"),
        ("红细胞计数", "4.62", "10^12/L", "4.3-5.8"),
        ("血红蛋白", "138", "g/L", "130-175"),
        ("血小板计数", "210", "10^9/L", "125-350"),
        ("中性粒细胞百分比", "72.1", "%", "40-75"),
    ]
    y = 270
    for name, value, unit, ref in rows:
        draw.text((60, y), name, font=font, fill=(0, 0, 0))
        draw.text((460, y), value, font=font, fill=(0, 0, 0))
        draw.text((640, y), unit, font=font, fill=(0, 0, 0))
        draw.text((880, y), ref, font=font, fill=(0, 0, 0))
        y += 60
    draw.text((60, height - 90), "报告日期：2024-03-15", font=font, fill=(0, 0, 0))
    return Rendered(img, planted)


def english_note(size: tuple[int, int] = (1000, 600)) -> Rendered:
    """A clean English discharge note with Name / DOB / MRN."""
    img = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(img)
    planted: dict[str, Box] = {}
    font = latin_font(28)
    lines: list[list[tuple[str, bool]]] = [
        [("Discharge summary", False)],
        [("Name: ", False), ("John Carter", True)],
        [("DOB: ", False), ("1961-04-23", True)],
        [("MRN: ", False), ("00482913", True)],
        [("Admitted with chest pain, troponin negative.", False)],
        [("Follow up in cardiology clinic in two weeks.", False)],
    ]
    y = 40
    for parts in lines:
        draw_parts(draw, (50, y), parts, font, (0, 0, 0), planted)
        y += 80
    return Rendered(img, planted)


def wristband(angle: float = 2.0, blur: float = 1.0) -> Rendered:
    """A patient wristband label, rotated by `angle` degrees and blurred."""
    img = Image.new("RGB", (900, 260), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    planted: dict[str, Box] = {}
    font = cjk_font(40)
    draw.rounded_rectangle((10, 10, 890, 250), radius=30, outline=(120, 160, 220), width=6)
    draw_parts(draw, (50, 40), [("王五", True), ("  男  67岁", False)], font, (0, 0, 0), planted)
    draw_parts(draw, (50, 140), [("住院号 ", False), ("2024000731", True)], font, (0, 0, 0), planted)
    rotated = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    # Map every planted box through the rotation: rotate its corners, take the axis-aligned hull.
    cx, cy = img.width / 2, img.height / 2
    ncx, ncy = rotated.width / 2, rotated.height / 2
    rad = math.radians(angle)
    cos, sin = math.cos(rad), math.sin(rad)
    moved: dict[str, Box] = {}
    for text, (x, y, w, h) in planted.items():
        xs, ys = [], []
        for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
            dx, dy = px - cx, py - cy
            # PIL rotates counter-clockwise on screen (y grows downwards).
            xs.append(ncx + dx * cos + dy * sin)
            ys.append(ncy - dx * sin + dy * cos)
        moved[text] = (int(min(xs)), int(min(ys)), int(max(xs) - min(xs)), int(max(ys) - min(ys)))
    return Rendered(rotated.filter(ImageFilter.GaussianBlur(blur)), moved)


def gradient_photo(size: tuple[int, int] = (800, 600), seed: int = 7) -> Rendered:
    """A photo-like picture with no text: a smooth gradient, a few soft blobs and noise."""
    width, height = size
    img = Image.linear_gradient("L").resize(size).convert("RGB")
    overlay = Image.new("RGB", size, (40, 120, 200))
    img = Image.blend(img, overlay, 0.4)
    draw = ImageDraw.Draw(img)
    rng = random.Random(seed)
    for _ in range(6):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(40, 140)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), 90))
    return Rendered(img.filter(ImageFilter.GaussianBlur(12)), {})


def education_slide(size: tuple[int, int] = (1280, 720)) -> Rendered:
    """A health-education slide: general advice, no patient, no phone number."""
    img = Image.new("RGB", size, (232, 244, 255))
    draw = ImageDraw.Draw(img)
    planted: dict[str, Box] = {}
    draw_parts(draw, (80, 60), [("高血压", True), ("的日常管理", False)], cjk_font(56), (10, 60, 120), planted)
    font = cjk_font(36)
    y = 200
    for line in ("1. 每天少盐，每日食盐不超过5克", "2. 规律运动，每周至少150分钟", "3. 按时服药，定期测量血压"):
        draw.text((100, y), line, font=font, fill=(20, 20, 20))
        y += 90
    return Rendered(img, planted)
