"""EXIF metadata becomes "Field: value" segments that policy rules can match."""

from __future__ import annotations

import io

import render
from PIL import ExifTags, Image

from postguard.images import OcrSettings, analyse_image

Dms = tuple[str, tuple[float, float, float]]


def jpeg_with_exif(lat: Dms, lon: Dms, picture: Image.Image | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "张医生".encode()  # Artist, UTF-8 bytes in an ASCII field, as phones write it
    exif[0x010E] = "patient Zhang San, bed 12"  # ImageDescription
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2] = lat
    gps[3], gps[4] = lon
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[0x9003] = "2024:03:15 09:30:00"  # DateTimeOriginal
    sub[0xA431] = "SN123456789"  # BodySerialNumber
    sub[0xA435] = "LENS0042"  # LensSerialNumber
    sub[0x9286] = b"ASCII\x00\x00\x00ward 5 round"  # UserComment with its 8-byte code header
    buf = io.BytesIO()
    (picture or Image.new("RGB", (64, 48), "white")).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def metadata_texts(path: str) -> dict[str, str]:
    result, segments = analyse_image(path, OcrSettings(enabled=False), None)
    assert result.status == "not_scanned"
    return {s.field or "": s.text for s in segments if s.kind == "metadata" and s.image == path}


def test_exif_fields_become_field_value_segments(tmp_image) -> None:  # type: ignore[no-untyped-def]
    data = jpeg_with_exif(("N", (39.0, 54.0, 15.12)), ("E", (116.0, 24.0, 26.64)))
    texts = metadata_texts(tmp_image("photo.jpg", data))
    assert texts == {
        "GPSInfo": "GPSInfo: 39.904200, 116.407400",
        "DateTimeOriginal": "DateTimeOriginal: 2024:03:15 09:30:00",
        "BodySerialNumber": "BodySerialNumber: SN123456789",
        "LensSerialNumber": "LensSerialNumber: LENS0042",
        "ImageDescription": "ImageDescription: patient Zhang San, bed 12",
        "UserComment": "UserComment: ward 5 round",
        "Artist": "Artist: 张医生",
    }


def test_southern_and_western_coordinates_are_negative(tmp_image) -> None:  # type: ignore[no-untyped-def]
    data = jpeg_with_exif(("S", (33.0, 52.0, 4.0)), ("W", (151.0, 12.0, 36.0)))
    assert metadata_texts(tmp_image("sydney.jpg", data))["GPSInfo"] == "GPSInfo: -33.867778, -151.210000"


def test_image_without_exif_has_no_metadata_segments(tmp_image) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buf, "PNG")
    assert metadata_texts(tmp_image("plain.png", buf.getvalue())) == {}


def test_metadata_survives_truncated_pixel_data(tmp_image) -> None:  # type: ignore[no-untyped-def]
    # GPS in a photo is a leak even if the picture itself cannot be decoded.
    photo = render.gradient_photo().image
    data = jpeg_with_exif(("N", (39.0, 54.0, 15.12)), ("E", (116.0, 24.0, 26.64)), photo)
    path = tmp_image("cut.jpg", data[: len(data) // 2])
    result, segments = analyse_image(path, OcrSettings(), None)
    assert result.status == "error"
    assert "GPSInfo: 39.904200, 116.407400" in [s.text for s in segments]
