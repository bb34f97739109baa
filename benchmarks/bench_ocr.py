"""OCR cost of postguard's image pipeline: prints a table, asserts nothing.

    .venv/bin/python benchmarks/bench_ocr.py [--runs 3]

Measures, on images rendered like tests/images (chat 1080x1920, lab 1200x800 JPEG, English 1000x600):
  1. seconds per image through analyse_image (no cache), median of --runs;
  2. postguard's overhead over bare pytesseract.image_to_data on the same preprocessed image
     (goal <= 10 %): the bare call gets the prepared PIL image, exactly as a user of pytesseract would;
  3. the cached rescan speed-up (goal >= 50x);
  4. throughput with 1 and 2 worker processes over 8 images (goal >= 1.6x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "images"))

import pytesseract  # noqa: E402
import render  # noqa: E402

from postguard.images import OcrSettings, analyse_image  # noqa: E402
from postguard.images.preprocess import open_image, prepare  # noqa: E402

SETTINGS = OcrSettings()


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_images(folder: Path) -> dict[str, str]:
    paths = {}
    for name, draw, fmt in (
        ("chat 1080x1920", render.chat_screenshot, "PNG"),
        ("lab 1200x800", render.lab_report, "JPEG"),
        ("eng 1000x600", render.english_note, "PNG"),
    ):
        path = folder / (name.split()[0] + (".jpg" if fmt == "JPEG" else ".png"))
        draw().image.save(path, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
        paths[name] = str(path)
    return paths


def bare(path: str) -> Callable[[], object]:
    with open(path, "rb") as f:
        prepared = prepare(open_image(f.read()), SETTINGS.upscale_below, SETTINGS.max_side)
    return lambda: pytesseract.image_to_data(
        prepared.image, lang=SETTINGS.languages, config=f"--psm {SETTINGS.psm}", output_type=pytesseract.Output.DICT
    )


def _work(path: str) -> str:
    return analyse_image(path, SETTINGS, None)[0].status


def throughput(paths: list[str], workers: int) -> float:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_work, paths[:workers]))  # warm-up: imports and the per-process Tesseract probe
        start = time.perf_counter()
        statuses = list(pool.map(_work, paths))
        elapsed = time.perf_counter() - start
    assert all(s == "scanned" for s in statuses), statuses
    return len(paths) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"  # the bare baseline gets the same thread limit postguard sets

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        images = write_images(folder)
        print(
            f"Tesseract {pytesseract.get_tesseract_version()}, {SETTINGS.languages}, psm {SETTINGS.psm}, "
            f"{os.cpu_count()} CPUs, median of {args.runs}, load average {os.getloadavg()[0]:.2f} at start\n"
        )
        print(
            f"{'image':<16}{'postguard s':>12}{'bare s':>9}{'overhead':>10}{'(of mins)':>10}{'prepare s':>11}"
            f"{'cached s':>11}{'speed-up':>10}"
        )
        overheads, best_overheads, speedups, per_image = [], [], [], []
        for name, path in images.items():
            # Alternate the two so drift in machine speed hits both alike.
            pg_times, base_times = [], []
            bare_call = bare(path)
            for _ in range(args.runs):
                pg_times.append(median_time(lambda p=path: analyse_image(p, SETTINGS, None), 1))  # type: ignore[misc]
                base_times.append(median_time(bare_call, 1))
            pg, base = statistics.median(pg_times), statistics.median(base_times)
            best_overhead = min(pg_times) / min(base_times) - 1  # least disturbed by other load
            with open(path, "rb") as f:
                data = f.read()
            prep = median_time(
                lambda d=data: prepare(open_image(d), SETTINGS.upscale_below, SETTINGS.max_side), args.runs
            )  # type: ignore[misc]
            cache_dir = str(folder / "cache")
            analyse_image(path, SETTINGS, cache_dir)  # fill the cache
            cached = median_time(lambda p=path, c=cache_dir: analyse_image(p, SETTINGS, c), max(20, args.runs))  # type: ignore[misc]
            overheads.append(pg / base - 1)
            best_overheads.append(best_overhead)
            speedups.append(pg / cached)
            per_image.append(pg)
            print(
                f"{name:<16}{pg:>12.3f}{base:>9.3f}{pg / base - 1:>+10.1%}{best_overhead:>+10.1%}{prep:>11.3f}"
                f"{cached * 1000:>9.1f}ms{pg / cached:>9.0f}x"
            )
        print(
            f"{'mean':<16}{statistics.mean(per_image):>12.3f}{'':>9}{statistics.mean(overheads):>+10.1%}"
            f"{statistics.mean(best_overheads):>+10.1%}"
            f"{'':>11}{'':>11}{min(speedups):>9.0f}x (min)"
        )

        batch = [p for _ in range(3) for p in images.values()][:8]
        one = statistics.median(throughput(batch, 1) for _ in range(args.runs))
        two = statistics.median(throughput(batch, 2) for _ in range(args.runs))
        print(
            f"\nthroughput over {len(batch)} images: 1 worker {one:.2f} img/s, 2 workers {two:.2f} img/s, "
            f"scaling {two / one:.2f}x"
        )
        print(f"load average {os.getloadavg()[0]:.2f} at end (above ~0.5 other work on this machine skews the figures)")
        print("goals: overhead <= +10%, cached speed-up >= 50x, scaling >= 1.6x")


if __name__ == "__main__":
    main()
