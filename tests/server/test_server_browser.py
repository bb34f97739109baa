"""The page in headless Chromium (system /usr/bin/chromium via Playwright): type, see highlights,
drop a lab report, see boxes, make the safe version, accept it, copy it. Writes a screenshot to
reports/screenshot-serve.png for people to look at."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from labkit import needs_tesseract

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "reports" / "screenshot-serve.png"
DRAFT = "18床王建国今天出院了，恢复很好。用优惠码DOC20购买护理包更便宜。"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed"),
    needs_tesseract,
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(test_policy) -> Iterator[str]:
    import uvicorn

    from postguard.server import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(test_policy), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def test_draft_to_safe_version_in_the_browser(server_url, lab_report, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server_url, "blob:", "data:"))
                else None)
        try:
            page.goto(server_url + "/?lang=zh")
            page.wait_for_selector("html[data-ready='1']")

            # typing: highlights appear after the pause, one per problem
            page.click("#draft")
            page.keyboard.type(DRAFT, delay=5)
            page.wait_for_selector("#preview mark[data-tag] >> nth=1")
            marks = page.eval_on_selector_all("#preview mark[data-tag]",
                                              "ms => ms.map(m => [m.textContent, m.className])")
            by_text = {text: cls for text, cls in marks}
            assert "cat-identifiability" in by_text["18床"]
            assert "cat-conflict_of_interest" in by_text["优惠码"]
            assert page.locator("#findings li.finding").count() == 2
            assert "床号指向具体患者" in page.inner_text("#findings")

            # a lab report: boxes over what OCR found
            page.set_input_files("#files", str(lab_report))
            page.wait_for_selector("#images svg g.cat-identifiability >> nth=1", state="attached", timeout=30_000)
            rules = page.eval_on_selector_all("#images svg g", "gs => gs.map(g => g.getAttribute('data-rule'))")
            assert {"t-name-label", "t-inpatient-no"} <= set(rules)

            # the safe version, every change accepted
            page.click("#safe-btn")
            page.wait_for_selector("#safe:not([hidden]) li.change")
            page.wait_for_selector("#safe-images img")
            boxes = page.locator("#changes input[type=checkbox]")
            assert boxes.count() >= 2 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
            # reject and accept again: the text follows each choice
            bed = page.locator("li.change", has_text="18床王建国").locator("input")
            bed.uncheck()
            assert "18床王建国" in page.input_value("#safe-text")
            bed.check()
            safe = page.input_value("#safe-text")
            page.click("#copy")
            expect(page.locator("#copy")).to_have_text("已复制")
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied == safe
            for identifier in ("18床", "王建国"):
                assert identifier not in copied
            assert copied.startswith("广告\n") and "一位住院患者" in copied and "DOC20" in copied

            # the English interface
            page.click("#lang-switch")
            expect(page.locator("#safe-btn")).to_have_text("Safe version")
            expect(page.locator("#findings")).to_contain_text("bed number")
            page.click("#lang-switch")
            expect(page.locator("#findings")).to_contain_text("床号")
            page.wait_for_selector("#images svg g >> nth=1", state="attached", timeout=30_000)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert problems == [], problems  # no script errors and no CSP violations
    assert outside == [], outside  # the page never asks anything of any other origin
    assert shutil.disk_usage(SCREENSHOT.parent) and SCREENSHOT.stat().st_size > 10_000
