"""The HTML report in a real browser: Debian's headless Chromium driven by Playwright (no browser
download). Highlights, filters, paging, the XSS payload, console errors and network requests."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from html_helpers import XSS_IMG, XSS_LINK, XSS_SCRIPT, make_run, render_report, sample_results

from postguard.model import SEVERITIES, PostResult, Risk

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "reports" / "screenshot-html.png"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")


class Opened:
    """A report opened in a fresh page, with everything the page did recorded."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.console: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(url)
        page.wait_for_selector("html[data-ready]")

    def visible_ids(self) -> list[str]:
        ids: list[str] = self.page.eval_on_selector_all("#post-list article", "els => els.map(e => e.dataset.id)")
        return ids


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_report(browser: Any, tmp_path: Path) -> Iterator[Callable[..., Opened]]:
    contexts: list[Any] = []

    def _open(html: str | None = None, name: str = "report.html") -> Opened:
        path = tmp_path / name
        path.write_text(html if html is not None else render_report(), encoding="utf-8")
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(ctx)
        return Opened(ctx.new_page(), path.as_uri())

    yield _open
    for ctx in contexts:
        ctx.close()


def expected(pred: Callable[[PostResult], bool], compliant: bool = False) -> list[str]:
    """Post ids the report should show for a filter, worst first (stable for ties)."""
    results = [r for r in sample_results() if (compliant or r.findings) and pred(r)]
    return [r.post.id for r in sorted(results, key=lambda r: -r.risk.score)]


def test_opens_cleanly_without_requests_errors_or_dialogs(open_report: Callable[..., Opened],
                                                          tmp_path: Path) -> None:
    r = open_report()
    assert r.errors == []
    assert [c for c in r.console if c.startswith("error")] == []
    assert r.dialogs == []
    assert [u for u in r.requests if u != r.url and not u.startswith("data:")] == []
    shot = tmp_path / "screenshot-html.png"
    r.page.screenshot(path=str(shot), full_page=True)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)
    assert shot.stat().st_size > 10_000


def test_every_highlight_sits_on_its_evidence(open_report: Callable[..., Opened]) -> None:
    r = open_report()
    marks = r.page.eval_on_selector_all(
        "#post-list mark[data-fi]",
        """els => els.map(m => {
            const art = m.closest('article');
            const li = art.querySelector('li[data-fi="' + m.dataset.fi + '"] .evidence');
            return [art.dataset.id, m.textContent, li.textContent];
        })""",
    )
    by_post = {res.post.id: res for res in sample_results()}
    wanted = sorted((pid, f.evidence) for pid, res in by_post.items() for f in res.findings
                    if f.location.kind in ("text", "image"))
    assert sorted((pid, text) for pid, text, _ in marks) == wanted
    assert all(text == shown for _, text, shown in marks)


def test_image_boxes_are_drawn_over_the_thumbnail(open_report: Callable[..., Opened]) -> None:
    r = open_report()
    fig = r.page.locator("article[data-id='xhs-lab'] figure.img").first
    assert fig.locator("img").count() == 1
    assert fig.locator("svg g[data-fi]").count() == 2
    img_box = fig.locator("img").bounding_box()
    rect_box = fig.locator("svg g[data-fi] rect.box").first.bounding_box()
    assert img_box and rect_box
    # 姓名 sits in the upper-left quarter of the 900x600 lab report
    assert img_box["x"] < rect_box["x"] < img_box["x"] + img_box["width"] / 2
    assert img_box["y"] < rect_box["y"] < img_box["y"] + img_box["height"] / 2
    heic = r.page.locator("article[data-id='xhs-lab'] figure.img").nth(1)
    assert "pillow-heif" in heic.inner_text()


def test_xss_payload_is_shown_as_text_and_runs_nothing(open_report: Callable[..., Opened]) -> None:
    r = open_report()
    text = r.page.locator("article[data-id='xss-1'] .post-text").text_content() or ""
    assert XSS_SCRIPT in text and XSS_IMG in text and XSS_LINK in text
    assert r.page.evaluate("document.scripts.length") == 2
    assert r.page.locator("img[src='x']").count() == 0
    assert r.page.locator("article[data-id='xss-1'] .post-head a").count() == 0  # the javascript: post URL
    hrefs = r.page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    evil = r.page.locator("article[data-id='xss-1'] ul.refs li", has_text="evil reference")
    assert evil.count() == 1 and evil.locator("a").count() == 0
    assert r.dialogs == [] and r.errors == []


def test_compliant_posts_are_hidden_until_asked_for(open_report: Callable[..., Opened]) -> None:
    r = open_report()
    assert r.visible_ids() == expected(lambda _: True)
    r.page.check("#f-compliant")
    assert r.visible_ids() == expected(lambda _: True, compliant=True)
    assert {"wx-ads", "wx-health", "tw-1802"} <= set(r.visible_ids())
    r.page.uncheck("#f-compliant")
    assert "wx-ads" not in r.visible_ids()


@pytest.mark.parametrize("category", ["identifiability", "advertising_claims", "unprofessional"])
def test_category_filter(open_report: Callable[..., Opened], category: str) -> None:
    r = open_report()
    r.page.select_option("#f-category", category)
    want = expected(lambda res: any(f.category == category for f in res.findings))
    assert want and r.visible_ids() == want
    r.page.select_option("#f-category", "")
    assert r.visible_ids() == expected(lambda _: True)


def test_severity_filter_keeps_posts_at_or_above(open_report: Callable[..., Opened]) -> None:
    r = open_report()
    r.page.select_option("#f-severity", "high")
    want = expected(lambda res: any(SEVERITIES.index(f.severity) >= 2 for f in res.findings))
    assert r.visible_ids() == want
    assert "tw-1777" not in want and "weibo-4981" in want
    r.page.select_option("#f-severity", "critical")
    assert r.visible_ids() == ["weibo-4981", "xss-1"]


def test_account_filter(open_report: Callable[..., Opened]) -> None:
    r = open_report()
    r.page.select_option("#f-account", "=dr_wang")
    assert r.visible_ids() == ["xhs-lab"]
    r.page.check("#f-compliant")
    assert r.visible_ids() == ["xhs-lab", "wx-ads"]
    r.page.select_option("#f-account", "*")
    assert len(r.visible_ids()) == 9


@pytest.mark.parametrize(("query", "ids"), [
    ("VitaBoost", ["ig-20240402"]),  # post text, any case
    ("drsmith20", ["ig-20240402"]),
    ("李小明", ["xhs-lab"]),  # text read from an image
    ("id-cn-mobile", ["weibo-4981", "xss-1"]),  # rule id
    ("no such words", []),
])
def test_free_text_search(open_report: Callable[..., Opened], query: str, ids: list[str]) -> None:
    r = open_report()
    r.page.fill("#f-search", query)
    assert r.visible_ids() == ids
    if not ids:
        assert r.page.locator("#status").inner_text() in ("No posts match these filters.", "没有符合筛选条件的帖子。")
    r.page.fill("#f-search", "")
    assert r.visible_ids() == expected(lambda _: True)


def test_filters_combine(open_report: Callable[..., Opened]) -> None:
    r = open_report()
    r.page.select_option("#f-account", "=dr_smith")
    r.page.select_option("#f-category", "advertising_claims")
    assert r.visible_ids() == ["ig-20240402"]
    r.page.select_option("#f-category", "identifiability")
    assert r.visible_ids() == ["xss-1"]


def many_results(n: int) -> list[PostResult]:
    base = sample_results()
    out = []
    for i in range(n):
        src = base[i % len(base)]
        out.append(replace(src, post=replace(src.post, id=f"{src.post.id}#{i}"),
                           risk=Risk(src.risk.score if src.findings else 0, src.risk.level)))
    return out


def test_long_reports_are_paged_and_print_shows_everything(open_report: Callable[..., Opened]) -> None:
    r = open_report(render_report(make_run(many_results(180)), lang="en"))
    flagged = sum(1 for res in many_results(180) if res.findings)  # 6 of every 9
    assert len(r.visible_ids()) == 50
    assert r.page.locator("#status").inner_text() == f"Showing 1–50 of {flagged} posts"
    first_page = r.visible_ids()
    r.page.click("#next")
    assert len(r.visible_ids()) == 50 and not set(first_page) & set(r.visible_ids())
    r.page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert len(r.visible_ids()) == flagged
    r.page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert len(r.visible_ids()) == 50


def test_masked_report_highlights_masked_evidence(open_report: Callable[..., Opened]) -> None:
    r = open_report(render_report(mask=True))
    marks = r.page.eval_on_selector_all("article[data-id='weibo-4981'] mark[data-fi]",
                                        "els => els.map(m => m.textContent)")
    assert "138****5678" in marks
    assert "13812345678" not in (r.page.locator("body").inner_text())


def test_english_interface(open_report: Callable[..., Opened]) -> None:
    r = open_report(render_report(lang="en"))
    assert r.page.locator("h1").inner_text() == "Post compliance risk report"
    first = r.page.locator("#post-list article").first
    assert "Evidence" in first.inner_text()
    # the rule's words stay in the post's language (Chinese) under English headings
    assert "发布了手机号码" in first.inner_text()
