"""OCR of one image with Tesseract (through pytesseract), CJK-aware text assembly and word boxes.

`analyse_image` is the whole pipeline for one file and is what worker processes run: it takes plain,
picklable arguments and never raises for bad input (it returns an ImageResult with status "error").
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import subprocess
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytesseract  # type: ignore[import-untyped,unused-ignore]

from postguard.images import cache as ocr_cache
from postguard.images.metadata import extract_metadata
from postguard.images.preprocess import (
    MAX_FILE_BYTES,
    PREPROCESS_VERSION,
    ImageInputError,
    Prepared,
    open_image,
    oriented_size,
    prepare,
)
from postguard.model import ImageResult, Segment

OCR_TIMEOUT_S = 180  # one pathological image must not stall a batch forever

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class OcrSettings:
    languages: str = "chi_sim+eng"
    psm: int = 6
    min_confidence: float = 30.0
    upscale_below: int = 1600  # upscale 2x when the long side is below this (MEASUREMENTS.md §1)
    max_side: int = 4000  # downscale larger images first; boxes map back to original pixels
    enabled: bool = True  # False = --no-ocr: metadata only, image status "not_scanned"


class Word(NamedTuple):
    text: str
    conf: float
    block: int
    par: int
    line: int
    box: Box  # x, y, w, h in original (post-orientation) pixels


# ---------------------------------------------------------------------------------------------------
# Tesseract availability


def _debian_packages(languages: str) -> list[str]:
    return [f"tesseract-ocr-{lang.lower().replace('_', '-')}" for lang in languages.split("+") if lang]


def _run(args: list[str]) -> str:
    proc = subprocess.run(
        [pytesseract.pytesseract.tesseract_cmd, *args], capture_output=True, text=True, timeout=30, check=True
    )
    return proc.stdout + proc.stderr


def _probe(languages: str) -> tuple[str | None, str]:
    """(problem or None, Tesseract version)."""
    if not languages.strip() or any(not lang for lang in languages.split("+")):
        return f"invalid OCR languages {languages!r}: use Tesseract codes joined by +, e.g. chi_sim+eng", ""
    try:
        version_text = _run(["--version"])
    except (OSError, subprocess.SubprocessError):
        return "Tesseract not found: apt-get install tesseract-ocr " + " ".join(_debian_packages(languages)), ""
    first = version_text.strip().splitlines()[0] if version_text.strip() else "tesseract ?"
    version = first.split()[-1]
    try:
        listed = _run(["--list-langs"]).splitlines()
    except (OSError, subprocess.SubprocessError):
        listed = []
    available = {line.strip() for line in listed[1:] if line.strip()}  # line 0 is a heading
    missing = [lang for lang in languages.split("+") if lang not in available]
    if missing:
        return (
            f"Tesseract language data missing ({', '.join(missing)}): apt-get install "
            + " ".join(_debian_packages("+".join(missing)))
        ), version
    return None, version


@functools.lru_cache(maxsize=8)
def _probe_cached(cmd: str, languages: str) -> tuple[str | None, str]:
    return _probe(languages)


def check_tesseract(languages: str) -> str | None:
    """None if Tesseract and every language are usable, else one line saying what to install."""
    return _probe(languages)[0]


def _tesseract_status(languages: str) -> tuple[str | None, str]:
    # Cached per process (a worker probes once), keyed by the binary so tests can point elsewhere.
    return _probe_cached(str(pytesseract.pytesseract.tesseract_cmd), languages)


# ---------------------------------------------------------------------------------------------------
# Text assembly


def is_cjk(ch: str) -> bool:
    """Han, kana, hangul, CJK punctuation and full-width forms: no spaces belong between these."""
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x2FDF
        or 0x3000 <= cp <= 0x33FF
        or 0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFE30 <= cp <= 0xFE4F
        or 0xFF00 <= cp <= 0xFFEF
        or 0x20000 <= cp <= 0x3134F
    )


def assemble(words: list[Word], min_confidence: float) -> tuple[str, tuple[Box | None, ...]]:
    """Join words in reading order; boxes[i] is the box of the word holding character i.

    No space when either neighbouring character is CJK (Tesseract splits 张三 into 张 and 三), one space
    between other words, a newline between lines and a blank line between blocks.
    """
    chars: list[str] = []
    boxes: list[Box | None] = []
    prev: Word | None = None
    for word in words:
        text = "".join(word.text.split())
        if not text or word.conf < min_confidence:
            continue
        if prev is not None:
            if word.block != prev.block:
                sep = "\n\n"
            elif (word.par, word.line) != (prev.par, prev.line):
                sep = "\n"
            elif is_cjk(chars[-1]) or is_cjk(text[0]):
                sep = ""
            else:
                sep = " "
            chars.extend(sep)
            boxes.extend([None] * len(sep))
        chars.extend(text)
        boxes.extend([word.box] * len(text))
        prev = word
    return "".join(chars), tuple(boxes)


# ---------------------------------------------------------------------------------------------------
# Running Tesseract


def _map_box(left: int, top: int, width: int, height: int, prepared: Prepared) -> Box:
    x0 = max(0, math.floor(left / prepared.scale_x))
    y0 = max(0, math.floor(top / prepared.scale_y))
    x1 = min(prepared.width, math.ceil((left + width) / prepared.scale_x))
    y1 = min(prepared.height, math.ceil((top + height) / prepared.scale_y))
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def run_tesseract(prepared: Prepared, settings: OcrSettings) -> list[Word]:
    """All words Tesseract found (any confidence), boxes in original pixels."""
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Debian's OpenMP build is ~6x slower without it
    data: dict[str, list[Any]] = pytesseract.image_to_data(
        prepared.image,
        lang=settings.languages,
        config=f"--psm {int(settings.psm)}",
        output_type=pytesseract.Output.DICT,
        timeout=OCR_TIMEOUT_S,
    )

    def line_key(i: int) -> tuple[int, int, int, int]:
        return (int(data["page_num"][i]), int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))

    # Tesseract 5's LSTM word boxes for CJK sometimes reach 2-3 line heights up; the line box is tight,
    # so each word is clipped to its line's vertical extent.
    line_spans = {
        line_key(i): (int(data["top"][i]), int(data["top"][i]) + int(data["height"][i]))
        for i in range(len(data.get("level", [])))
        if int(data["level"][i]) == 4
    }
    words: list[Word] = []
    for i, text in enumerate(data.get("text", [])):
        if int(data["level"][i]) != 5 or not str(text).strip():
            continue
        top, bottom = int(data["top"][i]), int(data["top"][i]) + int(data["height"][i])
        line_top, line_bottom = line_spans.get(line_key(i), (top, bottom))
        if max(top, line_top) < min(bottom, line_bottom):
            top, bottom = max(top, line_top), min(bottom, line_bottom)
        box = _map_box(int(data["left"][i]), top, int(data["width"][i]), bottom - top, prepared)
        words.append(
            Word(
                str(text),
                float(data["conf"][i]),
                int(data["block_num"][i]) + 1000 * int(data["page_num"][i]),
                int(data["par_num"][i]),
                int(data["line_num"][i]),
                box,
            )
        )
    return words


def _words_from_payload(payload: dict[str, Any]) -> list[Word] | None:
    try:
        return [
            Word(str(t), float(c), int(b), int(p), int(ln), (int(x), int(y), int(w), int(h)))
            for t, c, b, p, ln, x, y, w, h in payload["words"]
        ]
    except (KeyError, TypeError, ValueError):
        return None


def _payload_from_words(words: list[Word]) -> dict[str, Any]:
    return {"words": [[w.text, w.conf, w.block, w.par, w.line, *w.box] for w in words]}


# ---------------------------------------------------------------------------------------------------
# The pipeline


def analyse_image(path: str, settings: OcrSettings, cache_dir: str | None) -> tuple[ImageResult, list[Segment]]:
    """Metadata and OCR of one image file. Never raises for bad input."""
    try:
        return _analyse(path, settings, cache_dir)
    except Exception as exc:  # noqa: BLE001 - a bug must cost one image, not the batch
        detail = f"unexpected error while reading the image ({type(exc).__name__}: {exc}); please report it"
        return ImageResult(path=path, status="error", detail=detail.splitlines()[0]), []


def _analyse(path: str, settings: OcrSettings, cache_dir: str | None) -> tuple[ImageResult, list[Segment]]:
    def error(detail: str, size: tuple[int, int] | None = None) -> ImageResult:
        w, h = size if size else (None, None)
        return ImageResult(path=path, status="error", detail=detail, width=w, height=h)

    try:
        size_on_disk = os.stat(path).st_size
        if size_on_disk > MAX_FILE_BYTES:
            return error(f"file too large ({size_on_disk // 2**20} MiB; limit {MAX_FILE_BYTES // 2**20} MiB)"), []
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return error("file not found: check the path (relative to the input file)"), []
    except IsADirectoryError:
        return error("is a directory, not an image"), []
    except OSError as exc:
        return error(f"cannot read file ({exc.strerror or exc})"), []

    try:
        img = open_image(data)
    except ImageInputError as exc:
        return error(str(exc)), []
    size = oriented_size(img)
    segments = extract_metadata(img, path)

    def not_scanned(detail: str) -> tuple[ImageResult, list[Segment]]:
        return ImageResult(path, "not_scanned", detail=detail, width=size[0], height=size[1]), segments

    if not settings.enabled:
        return not_scanned("OCR disabled (--no-ocr): metadata only")
    problem, version = _tesseract_status(settings.languages)
    if problem:
        return not_scanned(problem)

    key = ocr_cache.cache_key(
        hashlib.sha256(data).hexdigest(),
        version,
        languages=settings.languages,
        psm=int(settings.psm),
        upscale_below=settings.upscale_below,
        max_side=settings.max_side,
        preprocess=PREPROCESS_VERSION,
    )
    words = None
    if cache_dir is not None:
        payload = ocr_cache.load(cache_dir, key)
        words = _words_from_payload(payload) if payload is not None else None
    if words is None:
        try:
            prepared = prepare(img, settings.upscale_below, settings.max_side)
        except ImageInputError as exc:
            return error(str(exc), size), segments
        try:
            words = run_tesseract(prepared, settings)
        except pytesseract.TesseractNotFoundError:
            return not_scanned("Tesseract not found: apt-get install tesseract-ocr")
        except RuntimeError as exc:
            # pytesseract reports a timeout as a bare RuntimeError; TesseractError is a subclass.
            if isinstance(exc, pytesseract.TesseractError):
                lines = str(exc.message).strip().splitlines() or ["no message"]
                return error(f"Tesseract failed: {lines[-1]}", size), segments
            return error(f"OCR timed out after {OCR_TIMEOUT_S} s", size), segments
        if cache_dir is not None:
            ocr_cache.store(cache_dir, key, _payload_from_words(words))

    text, boxes = assemble(words, settings.min_confidence)
    segments.insert(0, Segment(kind="ocr", text=text, image=path, boxes=boxes))
    return ImageResult(path, "scanned", ocr_text=text, width=size[0], height=size[1]), segments
