"""Account audit at scale: an export of N posts with M images, scanned end to end by the CLI.

    .venv/bin/python benchmarks/bench_audit.py [--posts 20000] [--images 2000] [--jobs 2]

Writes a JSON Lines export (posts from the labelled corpora, one in ten with an image) and unique images
(each with its own serial drawn on it, so the OCR cache cannot short-cut), then runs
`postguard scan export.jsonl --format json -o out.json --html out.html --jobs N --no-cache` and reports
posts/s, images/s and peak RSS of the whole process tree. A second run with `--format json` only and
no images shows that memory does not grow with the number of posts.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests/images"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_scan import corpus_posts  # noqa: E402


def make_images(folder: Path, n: int) -> list[str]:
    from PIL import ImageDraw
    from render import cjk_font, education_slide, lab_report

    folder.mkdir(parents=True, exist_ok=True)
    bases = [lab_report().image.convert("RGB"), education_slide().image.convert("RGB").resize((1200, 675))]
    font = cjk_font(26)
    names = []
    for i in range(n):
        img = bases[i % len(bases)].copy()
        ImageDraw.Draw(img).text((60, img.height - 45), f"编号 {100000 + i}", font=font, fill=(0, 0, 0))
        name = f"img{i:05d}.jpg"
        img.save(folder / name, "JPEG", quality=80)
        names.append(name)
    return names


def run(cmd: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=20000)
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    exe = str(REPO / ".venv/bin/postguard")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        images = make_images(root / "media", args.images)
        texts = corpus_posts(args.posts, length=200)
        every = max(1, args.posts // max(1, args.images))
        rng = random.Random(3)
        with open(root / "export.jsonl", "w", encoding="utf-8") as fh:
            for i, text in enumerate(texts):
                post = {
                    "id": f"p{i}",
                    "text": text,
                    "account": f"dept{rng.randrange(12)}",
                    "published_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                }
                if i % every == 0 and i // every < len(images):
                    post["images"] = [f"media/{images[i // every]}"]
                fh.write(json.dumps(post, ensure_ascii=False) + "\n")
        print(f"prepared {args.posts:,} posts and {args.images:,} images in {time.perf_counter() - t0:.0f} s")
        seconds, rss = run(
            [
                exe,
                "scan",
                str(root / "export.jsonl"),
                "--format",
                "json",
                "-o",
                str(root / "o.json"),
                "--html",
                str(root / "o.html"),
                "--jobs",
                str(args.jobs),
                "--no-cache",
                "--quiet",
            ]
        )
        print(
            f"audit with OCR, --jobs {args.jobs}, json + html: {seconds:.0f} s, {args.posts / seconds:,.0f} posts/s, "
            f"{args.images / seconds:.2f} images/s, peak RSS (largest process) {rss:.0f} MB"
        )
        html_mb = (root / "o.html").stat().st_size / 1e6
        print(f"HTML report {html_mb:.1f} MB, JSON report {(root / 'o.json').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
