"""Images: metadata and OCR text of the pictures attached to a post.

The engine and the CLI use only what is exported here:

    problem = check_tesseract(settings.languages)      # None, or one line saying what to install
    result, segments = analyse_image(path, settings, cache_dir)   # never raises for bad input

`analyse_image` takes plain picklable arguments, so it can run in worker processes.
`default_cache_dir()` is where the CLI keeps OCR results unless told otherwise.
"""

from postguard.images.cache import default_cache_dir
from postguard.images.ocr import OcrSettings, analyse_image, assemble, check_tesseract

__all__ = ["OcrSettings", "analyse_image", "assemble", "check_tesseract", "default_cache_dir"]
