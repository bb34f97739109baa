"""EXIF fields that can identify a patient, a place or a device, as "Field: value" segments.

Policy rules match on the segment text, e.g. `GPSInfo: 39.904200, 116.407400`. Anything unreadable
is skipped: metadata is a bonus and must never make an image fail.
"""

from __future__ import annotations

import math
from typing import Any

from PIL import ExifTags, Image

from postguard.model import Segment

MAX_VALUE_CHARS = 500

# (tag id, name, which IFD): 0 = IFD0 (main), "exif" = the Exif sub-IFD.
_TEXT_TAGS: tuple[tuple[int, str, str], ...] = (
    (0x9003, "DateTimeOriginal", "exif"),
    (0xA431, "BodySerialNumber", "exif"),
    (0xC62F, "SerialNumber", "ifd0"),  # DNG CameraSerialNumber; named for what it is
    (0xA435, "LensSerialNumber", "exif"),
    (0x010E, "ImageDescription", "ifd0"),
    (0x9286, "UserComment", "exif"),
    (0x013B, "Artist", "ifd0"),
    (0x9C9B, "XPTitle", "ifd0"),  # Windows "Title/Comments/Author/Subject", UTF-16LE: often names
    (0x9C9C, "XPComment", "ifd0"),
    (0x9C9D, "XPAuthor", "ifd0"),
    (0x9C9F, "XPSubject", "ifd0"),
)


def extract_metadata(img: Image.Image, path: str) -> list[Segment]:
    """One kind="metadata" Segment per present field, GPS first."""
    try:
        exif = header_exif(img)
    except Exception:  # noqa: BLE001 - malformed EXIF must never fail the image
        return []
    segments: list[Segment] = []
    gps = _gps(exif)
    if gps is not None:
        segments.append(Segment(kind="metadata", text=f"GPSInfo: {gps}", image=path, field="GPSInfo"))
    try:
        exif_ifd: dict[int, Any] = dict(exif.get_ifd(ExifTags.IFD.Exif))
    except Exception:  # noqa: BLE001 - same
        exif_ifd = {}
    for tag, name, where in _TEXT_TAGS:
        raw = exif_ifd.get(tag) if where == "exif" else exif.get(tag)
        if raw is None and where == "exif":
            raw = exif.get(tag)  # TIFF files keep everything in one directory
        value = _text(raw, utf16=name.startswith("XP"), user_comment=name == "UserComment")
        if value:
            segments.append(Segment(kind="metadata", text=f"{name}: {value}", image=path, field=name))
    return segments


def header_exif(img: Image.Image) -> Image.Exif:
    """EXIF without decoding pixels.

    For a PNG whose eXIf chunk was not in the header, Pillow's getexif() decodes the whole image to
    look after IDAT: that would make a cached rescan as slow as a decode. Cameras write eXIf first.
    """
    if img.format == "PNG" and "exif" not in img.info:
        return Image.Exif()
    return img.getexif()


def _gps(exif: Image.Exif) -> str | None:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps.get(2), gps.get(1), "S")
        lon = _degrees(gps.get(4), gps.get(3), "W")
    except Exception:  # noqa: BLE001 - odd GPS encodings: skip the field, keep the rest
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return f"{lat:.6f}, {lon:.6f}"


def _degrees(dms: Any, ref: Any, negative: str) -> float | None:
    if dms is None:
        return None
    parts = [float(p) for p in (dms if isinstance(dms, (tuple, list)) else (dms,))]
    if not parts or not all(math.isfinite(p) for p in parts):
        return None
    value: float = sum(p / 60**i for i, p in enumerate(parts[:3]))
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper().startswith(negative):
        value = -value
    return value


def _text(raw: Any, *, utf16: bool = False, user_comment: bool = False) -> str:
    if raw is None:
        return ""
    if isinstance(raw, tuple) and raw and all(isinstance(b, int) for b in raw):
        raw = bytes(raw)  # XP* tags come back as tuples of byte values
    if isinstance(raw, bytes):
        if user_comment and len(raw) >= 8:
            # EXIF UserComment: an 8-byte character-code header, then the text.
            code, body = raw[:8], raw[8:]
            if code.startswith(b"UNICODE"):
                le = body[:2] != b"\x00" * 2 and body[1:2] == b"\x00"
                text = body.decode("utf-16-le" if le else "utf-16-be", "replace")
            elif code.startswith(b"JIS"):
                text = body.decode("shift_jis", "replace")
            else:
                text = body.decode("utf-8", "replace")
        elif utf16:
            text = raw.decode("utf-16-le", "replace")
        else:
            text = raw.decode("utf-8", "replace")
    else:
        text = _undo_latin1(str(raw))
    text = " ".join(text.replace("\x00", " ").split())
    return text[:MAX_VALUE_CHARS]


def _undo_latin1(text: str) -> str:
    """Pillow decodes EXIF ASCII fields as Latin-1; phones write UTF-8 there (e.g. a Chinese name)."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
