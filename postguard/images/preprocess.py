"""Open an image safely and turn it into what Tesseract reads best.

Opening never decodes more than the header until the size has been checked, so a decompression bomb
is refused in microseconds. Preparing follows MEASUREMENTS.md §1 (grayscale, 2x upscale of small
images) plus two steps found while testing chat screenshots: dark-mode images are inverted, and the
background is flattened (estimated and removed) so avatars, coloured bubbles and photo shadows do not derail
Tesseract's line finding.

`Prepared.scale_x/scale_y` are processed-pixels per original pixel; every resize on the way is folded
into them so word boxes can be mapped back to original (post-orientation) pixels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFile, ImageFilter, ImageOps, ImageStat, UnidentifiedImageError

from postguard.images.metadata import header_exif

# Pillow's default, set explicitly: ~89 MP covers a 48 MP phone photo with room to spare.
MAX_PIXELS = 89_478_485
MAX_SIDE_PX = 30_000  # larger sides are absurd for a post image (a 1x30000 strip is not a photo)
MAX_FILE_BYTES = 100 * 1024 * 1024
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error, not a grey half-image

# Pillow format names we accept ("MPO" is what many phone JPEGs open as).
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "WEBP", "GIF", "BMP", "TIFF", "HEIF"})
PREPROCESS_VERSION = "3"  # bump whenever prepare() changes what Tesseract sees (part of the cache key)

_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_heif_registered = False


class ImageInputError(Exception):
    """The file cannot be used as an image; the message is one line for people."""


@dataclass(frozen=True)
class Prepared:
    image: Image.Image  # mode "L", what Tesseract gets
    width: int  # original size after EXIF orientation
    height: int
    scale_x: float  # processed pixels per original pixel
    scale_y: float


def is_heif(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _register_heif() -> None:
    global _heif_registered
    if _heif_registered:
        return
    try:
        import pillow_heif  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise ImageInputError("HEIC not supported: install pillow-heif (pip install pillow-heif)") from exc
    pillow_heif.register_heif_opener()
    _heif_registered = True


def open_image(data: bytes) -> Image.Image:
    """Open (header only) and validate size and format; raise ImageInputError with a reason."""
    if not data:
        raise ImageInputError("empty file (0 bytes)")
    if is_heif(data):
        _register_heif()
    try:
        with warnings.catch_warnings():
            # Between MAX_PIXELS and 2x Pillow only warns; we refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageInputError(f"image too large to decode safely ({_first_line(exc)})") from exc
    except UnidentifiedImageError as exc:
        raise ImageInputError("not a readable image (content is not PNG, JPEG, WebP, GIF, BMP, TIFF or HEIC)") from exc
    except Exception as exc:  # Pillow raises many types for malformed headers
        raise ImageInputError(f"corrupt image header ({_first_line(exc)})") from exc
    fmt = img.format or "?"
    if fmt not in ACCEPTED_FORMATS:
        raise ImageInputError(f"unsupported image format {fmt} (use PNG, JPEG, WebP, GIF, BMP, TIFF or HEIC)")
    width, height = img.size
    if width <= 0 or height <= 0 or max(width, height) > MAX_SIDE_PX or width * height > MAX_PIXELS:
        raise ImageInputError(
            f"absurd image dimensions {width}x{height} (limit {MAX_SIDE_PX} px a side, {MAX_PIXELS} pixels)"
        )
    return img


def oriented_size(img: Image.Image) -> tuple[int, int]:
    """Size after applying the EXIF orientation (5-8 swap the axes), without decoding."""
    try:
        orientation = int(header_exif(img).get(0x0112, 1))
    except Exception:  # noqa: BLE001 - unreadable EXIF: treat as upright
        orientation = 1
    w, h = img.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def prepare(img: Image.Image, upscale_below: int, max_side: int) -> Prepared:
    """Decode and preprocess. Raises ImageInputError for truncated or corrupt pixel data."""
    width, height = oriented_size(img)
    long_side = max(width, height)
    try:
        if img.format in ("JPEG", "MPO") and long_side > max_side:
            # libjpeg can decode at 1/2, 1/4, 1/8 scale, straight to grayscale: far cheaper than a resize.
            img.draft("L", (img.size[0] * max_side // long_side, img.size[1] * max_side // long_side))
        img.seek(0)  # GIF/TIFF/WebP animations: the first frame
        img.load()
        img = ImageOps.exif_transpose(img)
        gray = _to_gray(img)
    except ImageInputError:
        raise
    except Exception as exc:  # OSError "image file is truncated", SyntaxError, ValueError ...
        raise ImageInputError(f"truncated or corrupt image data ({_first_line(exc)})") from exc

    if max(gray.size) > max_side:
        factor = max_side / max(gray.size)
        gray = gray.resize(
            (max(1, round(gray.width * factor)), max(1, round(gray.height * factor))), Image.Resampling.LANCZOS
        )
    gray = _flatten_background(gray, window=_window_for(gray.size))
    if max(width, height) < upscale_below:
        gray = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.LANCZOS)
    gray = ImageOps.autocontrast(gray, cutoff=0.5)
    return Prepared(gray, width, height, gray.width / width, gray.height / height)


def _to_gray(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        img = img.convert("F").point(lambda v: v / 257).convert("L") if img.mode != "F" else img.convert("L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Transparent pixels are often black: without a white backdrop dark text would vanish.
        rgba = img.convert("RGBA")
        backdrop = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(backdrop, rgba)
    gray = img.convert("L")
    if ImageStat.Stat(gray).median[0] < 100:
        gray = ImageOps.invert(gray)  # dark mode: Tesseract reads dark text on light best
    return gray


def _window_for(size: tuple[int, int]) -> int:
    """Background window in pixels: wider than a glyph, narrower than a chat avatar.

    Tuned on rendered chats (42 px text, 90 px avatars at 1080 px wide), lab forms and wristbands.
    """
    return max(55, min(201, min(size) // 14))


def _flatten_background(gray: Image.Image, window: int) -> Image.Image:
    """Remove an estimate of the background (a grey-level closing, at reduced resolution).

    Thin dark strokes vanish from the estimate; large dark areas (avatars, photos, shadows) stay in it,
    so removing it turns them near-white while text keeps its contrast against its own local background.
    """
    if min(gray.size) < window * 2:
        return gray
    # Averaging down greys out thin strokes, and keeps the rank filters ~7x7 (their cost grows as k^2).
    factor = max(2, window // 7)
    small = gray.reduce(factor)
    k = max(3, -(-window // factor) | 1)  # at least `window` full-size pixels; rank filters need odd sizes
    # The closing's second step is one step wider, so the estimate covers the rims of dark areas too
    # (bilinear upscaling blurs their edges, which would otherwise survive the division as outlines).
    background = small.filter(ImageFilter.MaxFilter(k)).filter(ImageFilter.MinFilter(k + 2))
    background = background.resize(gray.size, Image.Resampling.BILINEAR)
    # Subtracting (255 - (background - pixel)) rather than dividing: same effect on text against its
    # local background, all in 8-bit (a float division costs 4x as long); autocontrast restretches.
    return ImageOps.invert(ImageChops.subtract(background, gray))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
