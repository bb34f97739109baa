"""The HTML report's structure, checked without a browser: self-containment, CSP, escaping, the embedded
post data (order, offsets, languages, masking) and the server-rendered overview."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import pytest
from html_helpers import (
    PHONE,
    XSS_IMG,
    XSS_LINK,
    XSS_SCRIPT,
    make_run,
    render_report,
    sample_results,
)

from postguard.model import ImageResult, Location, PostResult, Risk
from postguard.report import i18n
from postguard.report.html import script_json, short_date


class Page(HTMLParser):
    """Collects every start tag with its attributes, and the text of each <script>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self._buf: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script, self._buf = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def html() -> str:
    return render_report()


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return Page(html)


def data_of(page: Page) -> dict[str, Any]:
    [(_, text)] = [(a, t) for a, t in page.scripts if a.get("type") == "application/json"]
    result: dict[str, Any] = json.loads(text)
    return result


def post(data: dict[str, Any], post_id: str) -> dict[str, Any]:
    [p] = [p for p in data["posts"] if p["i"] == post_id]
    return p


# ---- self-contained and locked down ----


def test_report_loads_nothing_from_anywhere(page: Page) -> None:
    assert not page.find("link")
    assert not page.find("iframe") and not page.find("object") and not page.find("embed")
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "poster"):
            assert name not in attrs, f"<{tag} {name}=...> in the server-rendered page"
    assert [a.get("src") for a, _ in page.scripts] == [None, None]


def test_csp_allows_only_the_inline_script_by_its_hash(page: Page) -> None:
    [meta] = page.find("meta", **{"http-equiv": "Content-Security-Policy"})
    csp = {d.split()[0]: d.split()[1:] for d in (meta["content"] or "").split(";") if d.strip()}
    assert csp["default-src"] == ["'none'"]
    assert csp["img-src"] == ["data:"]
    assert csp["style-src"] == ["'unsafe-inline'"]
    [(_, js)] = [(a, t) for a, t in page.scripts if a.get("type") is None]
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    assert csp["script-src"] == [f"'sha256-{digest}'"]


def test_print_styles_are_included(html: str) -> None:
    assert "@media print" in html


# ---- escaping ----


def test_xss_payload_appears_nowhere_as_markup(html: str) -> None:
    assert XSS_SCRIPT not in html
    assert "<img src=x" not in html
    assert "onerror=alert" in html  # present, but only inside JSON with its < escaped


def test_xss_payload_is_kept_verbatim_as_data(page: Page) -> None:
    p = post(data_of(page), "xss-1")
    assert XSS_SCRIPT in p["x"] and XSS_IMG in p["x"] and XSS_LINK in p["x"]


def test_script_json_cannot_end_its_script_element() -> None:
    text = script_json({"x": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"x": "</script><!-- & \u2028"}


def test_only_http_urls_survive_as_links(page: Page) -> None:
    data = data_of(page)
    assert post(data, "xss-1")["u"] is None
    assert post(data, "weibo-4981")["u"] == "https://weibo.com/1234/4981"
    urls = [url for refs in data["refs"] for _, url in refs]
    assert XSS_LINK not in urls
    assert all(url is None or url.startswith(("http://", "https://")) for url in urls)
    # the reference keeps its title even though its link was dropped
    assert any(title == "evil reference" and url is None for refs in data["refs"] for title, url in refs)


def test_server_rendered_text_is_escaped() -> None:
    results = sample_results()
    evil = replace(results[0].post, account='<b onmouseover="x">dr</b>')
    results[0] = replace(results[0], post=evil)
    html = render_report(make_run(results))
    assert '<b onmouseover="x">' not in html
    assert "&lt;b onmouseover=" in html


# ---- the posts ----


def test_posts_are_ordered_worst_first(page: Page) -> None:
    scores = [p["sc"] for p in data_of(page)["posts"]]
    assert scores == sorted(scores, reverse=True)
    assert data_of(page)["posts"][0]["i"] == "weibo-4981"


def test_every_post_is_listed_including_compliant_ones(page: Page) -> None:
    ids = {p["i"] for p in data_of(page)["posts"]}
    assert ids == {r.post.id for r in sample_results()}


def js_slice(text: str, start: int, end: int) -> str:
    """text.slice(start, end) as JavaScript does it: offsets in UTF-16 units."""
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")


def test_text_offsets_point_at_the_evidence(page: Page) -> None:
    checked = 0
    for p in data_of(page)["posts"]:
        for f in p["f"]:
            if f["k"] == "text":
                assert js_slice(p["x"], f["s"], f["n"]) == f["e"]
                checked += 1
            if f["k"] == "image":
                assert js_slice(p["im"][f["g"]]["x"], f["s"], f["n"]) == f["e"]
                checked += 1
    assert checked >= 12


def test_image_findings_keep_their_boxes_and_image_size(page: Page) -> None:
    p = post(data_of(page), "xhs-lab")
    lab, heic = p["im"]
    assert lab["t"].startswith("data:image/png;base64,")
    assert (lab["w"], lab["h"]) == (900, 600)
    boxed = [f for f in p["f"] if f["k"] == "image"]
    assert len(boxed) == 2 and all(len(f["b"]) == 4 and f["g"] == 0 for f in boxed)
    gps = [f for f in p["f"] if f["k"] == "metadata"]
    assert gps[0]["fl"] == "GPSInfo"
    assert heic["st"] == "not_scanned" and "pillow-heif" in heic["d"] and heic["t"] is None


def test_rule_messages_follow_the_post_language(page: Page) -> None:
    data = data_of(page)
    zh = post(data, "weibo-4981")["f"][0]
    en = post(data, "ig-20240402")["f"][0]
    assert data["s"][zh["m"]] == "发布了手机号码"
    assert data["s"][en["m"]] == "Guarantees a cure"
    assert data["s"][en["a"]].startswith("Remove cure guarantees")


def test_repeated_messages_are_stored_once(page: Page) -> None:
    strings = data_of(page)["s"]
    assert len(strings) == len(set(strings))


def test_thumbnail_that_is_not_a_data_image_is_dropped() -> None:
    results = sample_results()
    lab = results[2]
    bad = replace(lab.images[0], thumbnail="javascript:alert(1)")
    results[2] = replace(lab, images=(bad, lab.images[1]))
    p = post(data_of(Page(render_report(make_run(results)))), "xhs-lab")
    assert p["im"][0]["t"] is None


def test_offsets_outside_the_text_are_not_highlighted_and_do_not_crash() -> None:
    results = sample_results()
    first = results[0]
    broken = replace(first.findings[0], location=Location("text", 500, 520, 1, 1))
    results[0] = replace(first, findings=(broken, *first.findings[1:]))
    p = post(data_of(Page(render_report(make_run(results)))), "weibo-4981")
    assert "s" not in p["f"][0] and "s" in p["f"][1]


def test_post_errors_and_dates_are_carried(page: Page) -> None:
    p = post(data_of(page), "tw-1777")
    assert p["er"] == ["images/missing.jpg: file not found; check the path"]
    assert p["d"] == "2024-01-20 23:55"


def test_short_date() -> None:
    assert short_date("2024-03-05T21:14:00+08:00") == "2024-03-05 21:14"
    assert short_date("2024-02-11") == "2024-02-11"
    assert short_date("last Tuesday") == "last Tuesday"
    assert short_date(None) == ""


# ---- masking ----


def test_masking_hides_identifiers_in_text_evidence_and_why() -> None:
    html = render_report(mask=True)
    data = data_of(Page(html))
    assert PHONE not in html
    assert "138****5678" in html
    p = post(data, "weibo-4981")
    phone = next(f for f in p["f"] if f["r"] == "id-cn-mobile")
    assert phone["e"] == "138****5678" == p["x"][phone["s"]:phone["n"]]
    assert "138****5678" in data["s"][phone["w"]]
    assert "李小明" not in html  # the name read from the image, in OCR text and evidence
    assert 'id="masked-note"' in html


def test_masking_leaves_claims_readable() -> None:
    data = data_of(Page(render_report(mask=True)))
    assert "100% cure for chronic fatigue" in post(data, "ig-20240402")["x"]


def test_unmasked_report_shows_identifiers() -> None:
    html = render_report()
    assert PHONE in html and 'id="masked-note"' not in html


# ---- header, overview, sections ----


def test_header_says_what_was_scanned_and_with_which_packs(html: str) -> None:
    assert "postguard-core" in html and "2024.05" in html and "cn-medical-ads" in html and "1.2.0" in html
    scope = re.search(r'id="scan-scope">(.*?)</dd>', html, re.DOTALL)
    assert scope is not None
    words = " ".join(scope.group(1).split())
    assert "9 帖子" in words and "3 图片" in words and "3 账号" in words
    assert "2024-01-20 – 2024-05-20" in words
    assert "2024-05-21T09:30:00+08:00" in html


def test_overview_counts_findings_by_category_and_severity(html: str) -> None:
    expected_cat: dict[str, int] = {}
    expected_sev: dict[str, int] = {}
    for r in sample_results():
        for f in r.findings:
            expected_cat[f.category] = expected_cat.get(f.category, 0) + 1
            expected_sev[f.severity] = expected_sev.get(f.severity, 0) + 1
    for cat, n in expected_cat.items():
        assert f'data-category="{cat}">{n}<' in html
    for sev, n in expected_sev.items():
        assert f'data-severity="{sev}">{n}<' in html
    assert 'data-level="none"><span class="badge lvl-none">无风险</span> 3<' in html


def test_account_table_has_one_row_and_chart_per_account(html: str) -> None:
    table = re.search(r'<table class="accounts".*?</table>', html, re.DOTALL)
    assert table is not None
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>", table.group(0))
    assert rows == ["dr_li", "dr_smith", "dr_wang"]  # worst first, then by name
    assert table.group(0).count('class="spark"') == 3
    # dr_smith has findings in three different months: three bars
    smith = table.group(0).split("dr_smith")[1].split("</tr>")[0]
    assert smith.count("<rect") == 3


def test_suppressed_findings_are_listed_with_reason_and_origin(html: str) -> None:
    section = html.split('id="suppressed"')[1].split("</section>")[0]
    assert "ad-superlative" in section and "广审文号 2024-001" in section and "front matter" in section


def test_input_errors_are_listed(html: str) -> None:
    section = html.split('id="input-errors"')[1].split("</section>")[0]
    assert "exports/weibo.jsonl:7: not valid JSON" in section


def test_results_are_consumed_once() -> None:
    run = make_run()
    render_report(run)
    assert run.consumed


def test_an_empty_scan_still_renders() -> None:
    html = render_report(make_run([]))
    assert data_of(Page(html))["posts"] == []
    assert 'class="accounts"' not in html


# ---- language ----


def test_interface_language_defaults_to_the_majority_of_posts(html: str) -> None:
    assert '<html lang="zh-CN">' in html  # 5 of the 9 posts are Chinese
    en_only = [r for r in sample_results() if r.language == "en"]
    assert '<html lang="en">' in render_report(make_run(en_only))


def test_interface_language_can_be_chosen(page: Page) -> None:
    html = render_report(lang="en")
    assert '<html lang="en">' in html and "Posts, worst first" in html
    assert data_of(Page(html))["t"]["evidence"] == "Evidence"


def test_choose_language() -> None:
    assert i18n.choose_language("en", ["zh", "zh"]) == "en"
    assert i18n.choose_language(None, ["zh", "zh", "en"]) == "zh"
    assert i18n.choose_language(None, ["zh", "en"]) == "en"  # a tie is not a majority
    assert i18n.choose_language(None, []) == "en"
    assert i18n.choose_language("fr", ["zh"]) == "zh"


def test_both_languages_define_the_same_strings() -> None:
    assert set(i18n.STRINGS["en"]) == set(i18n.STRINGS["zh"])
    for table in (i18n.CATEGORY_LABELS, i18n.CATEGORY_TAGS, i18n.SEVERITY_LABELS, i18n.LEVEL_LABELS):
        assert set(table["en"]) == set(table["zh"])


def test_a_post_without_images_or_account_renders() -> None:
    r = sample_results()[7]
    plain = PostResult(replace(r.post, account=None, published_at=None), (), Risk(0, "none"),
                       images=(ImageResult("x.png", "error", detail="broken"),))
    p = data_of(Page(render_report(make_run([plain]))))["posts"][0]
    assert p["a"] == "" and p["d"] == "" and p["im"][0]["st"] == "error"
