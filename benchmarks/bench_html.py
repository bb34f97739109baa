"""HTML report at scale: 5,000 posts with 500 images.

Measures generation time (goal < 10 s), file size (goal < 25 MB) and time to interactive in Debian's
headless Chromium (goal < 3 s), plus how long a filter change and a search take once open.

    .venv/bin/python benchmarks/bench_html.py [--posts 5000] [--images 500] [--runs 3] [--keep FILE]

Thumbnails are made the way postguard.scan makes them (480 px JPEG, quality 70) from synthetic
photo-like and screenshot-like images, so the file size is realistic.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "report")]

from html_helpers import RULES, FakeRun, finding

from postguard.model import ImageResult, Location, Post, PostResult, Risk
from postguard.report import ReportOptions
from postguard.report.html import render

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

ZH = ["今天门诊遇到一位老病号，聊了很久。", "秋冬季注意保暖，按时复诊。", "分享一下最近的科普讲座。", "很多家长问孩子发烧怎么办。",
      "夜班结束，准备回家休息。", "新设备已经投入使用，欢迎大家咨询。"]
EN = ["Long day in clinic today.", "Reminder: flu shots are available this week.", "Great talk at the conference.",
      "Many parents ask what to do about a fever.", "Night shift done, heading home.", "Our new scanner is live."]
# (rule, evidence, language): appended to a post's text so the offsets are exact
PLANTS = [
    ("id-cn-mobile", "电话 13812345678", "zh"), ("id-record-number", "住院号 ZY20240315", "zh"),
    ("dx-online-prescribing", "我直接给你开方子，不用来医院", "zh"), ("ad-superlative", "效果最好", "zh"),
    ("ad-cure-guarantee", "a 100% cure for chronic fatigue", "en"), ("coi-undisclosed-promo", "Use code DRSMITH20", "en"),
    ("up-insult", "patients are idiots", "en"),
]
LEVEL_BY_SEV = {"low": ("low", 20), "medium": ("medium", 45), "high": ("high", 75), "critical": ("critical", 95)}


def thumbnails(n: int) -> list[tuple[str, int, int]]:
    """n distinct thumbnails like scan._thumbnail makes: half photo-like (noisy), half screenshots."""
    rng = random.Random(7)
    font = ImageFont.truetype(FONT, 34)
    out = []
    for i in range(n):
        w, h = (1080, 1440) if i % 2 else (1600, 1200)
        if i % 2:  # chat screenshot: flat colours and text
            img = Image.new("RGB", (w, h), "#ededed")
            d = ImageDraw.Draw(img)
            for row in range(14):
                y = 60 + row * 95
                d.rounded_rectangle((40, y, 40 + rng.randint(400, 900), y + 70), 18,
                                    fill="#95ec69" if row % 3 else "#ffffff")
                d.text((60, y + 12), rng.choice(ZH + EN), font=font, fill="#111")
        else:  # photo: gradients and sensor noise are what make JPEGs big
            base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
            noise = Image.effect_noise((w, h), 40).convert("RGB")
            img = Image.blend(base, noise, 0.35).filter(ImageFilter.GaussianBlur(0.6))
            ImageDraw.Draw(img).text((120, 200), "检验报告单 姓名: 李小明", font=font, fill="#000")
        img.thumbnail((480, 480))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=70)
        out.append(("data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), w, h))
    return out


def synthetic(n_posts: int, n_images: int) -> list[PostResult]:
    rng = random.Random(42)
    thumbs = thumbnails(20)
    accounts = [f"dr_{name}" for name in ("li", "wang", "zhang", "chen", "smith", "jones", "patel", "garcia")] + [
        f"clinic_{i:02d}" for i in range(32)]
    image_posts = set(rng.sample(range(n_posts), n_images))
    out = []
    for i in range(n_posts):
        lang = "zh" if rng.random() < 0.55 else "en"
        text = " ".join(rng.choice(ZH if lang == "zh" else EN) for _ in range(rng.randint(2, 6)))
        plants = [p for p in PLANTS if p[2] == lang]
        chosen = rng.sample(plants, k=min(len(plants), rng.choice((0, 0, 0, 1, 1, 2, 3))))
        for _, evidence, _ in chosen:
            text += " " + evidence + "。" if lang == "zh" else " " + evidence + "."
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        images: tuple[str, ...] = ()
        post = Post(f"post-{i:05d}", text, account=rng.choice(accounts), platform=rng.choice(("weibo", "twitter",
                    "wechat", "instagram")), published_at=f"2024-{month:02d}-{day:02d}T10:00:00+08:00",
                    source=f"exports/all.jsonl:{i + 1}")
        findings = [finding(post, rule, evidence, f"pattern matched {evidence!r}", lang) for rule, evidence, _ in chosen]
        image_results: tuple[ImageResult, ...] = ()
        if i in image_posts:
            uri, w, h = thumbs[i % len(thumbs)]
            path = f"images/{i:05d}.jpg"
            ocr = "检验报告单\n姓名: 李小明 性别: 男\n床号: 12"
            images = (path,)
            image_results = (ImageResult(path, "scanned", ocr, width=w, height=h, thumbnail=uri),)
            r = RULES["id-ocr-name"]
            findings.append(replace(finding(Post("x", ocr), "id-ocr-name", "姓名: 李小明", "OCR", "zh"),
                                    location=Location("image", 6, 13, image=path, bbox=(120, 180, 420, 60)),
                                    references=r.references))
        post = replace(post, images=images)
        worst = max((f.severity for f in findings), key=("low", "medium", "high", "critical").index, default=None)
        level, score = LEVEL_BY_SEV[worst] if worst else ("none", 0)
        out.append(PostResult(post, tuple(findings), Risk(min(100, score + len(findings)), level),
                              images=image_results, language=lang))
    return out


def generate(results: list[PostResult], path: Path) -> float:
    start = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        render(FakeRun(list(results)), out, ReportOptions())
    return time.perf_counter() - start


def browser_times(path: Path, runs: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            requests: list[str] = []
            page.on("request", lambda r, seen=requests: seen.append(r.url))
            t0 = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_selector("html[data-ready]")
            wall = time.perf_counter() - t0
            # time from navigation start to the first page of posts drawn, as the page itself saw it
            nav = page.evaluate("performance.now()") / 1000
            t1 = time.perf_counter()
            page.select_option("#f-category", "identifiability")
            page.wait_for_function("document.getElementById('post-list').children.length > 0")
            filt = time.perf_counter() - t1
            t2 = time.perf_counter()
            page.fill("#f-search", "drsmith20")
            page.wait_for_function("document.getElementById('status').textContent.length > 0")
            search = time.perf_counter() - t2
            t3 = time.perf_counter()
            page.select_option("#f-category", "")
            page.fill("#f-search", "")
            page.click("#next")
            paging = time.perf_counter() - t3
            external = [u for u in requests if not u.startswith(("file:", "data:"))]
            out.append({"interactive": wall, "page_clock": nav, "filter": filt, "search": search,
                        "reset+next": paging, "external_requests": len(external)})
            ctx.close()
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=5000)
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="also write the report here")
    args = ap.parse_args()

    t = time.perf_counter()
    results = synthetic(args.posts, args.images)
    print(f"built {len(results)} results ({sum(len(r.images) for r in results)} images, "
          f"{sum(len(r.findings) for r in results)} findings) in {time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "report.html"
        gen = [generate(results, path) for _ in range(args.runs)]
        size = os.path.getsize(path)
        print(f"generation  median {statistics.median(gen):.2f} s  (runs: {', '.join(f'{g:.2f}' for g in gen)})"
              f"  goal < 10 s")
        print(f"file size   {size / 1e6:.1f} MB  goal < 25 MB")
        if not Path(CHROMIUM).exists():
            print(f"browser     skipped: {CHROMIUM} is missing")
            return
        times = browser_times(path, args.runs)
        for key in ("interactive", "page_clock", "filter", "search", "reset+next"):
            vals = [m[key] for m in times]
            print(f"{key:<11} median {statistics.median(vals):.2f} s  (runs: {', '.join(f'{v:.2f}' for v in vals)})"
                  + ("  goal < 3 s" if key == "interactive" else ""))
        print(f"external requests: {max(m['external_requests'] for m in times)}")


if __name__ == "__main__":
    main()
