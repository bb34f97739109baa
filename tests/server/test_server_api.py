"""The JSON API through FastAPI's test client: contract, fixes, limits, privacy and auth."""

from __future__ import annotations

import base64
import io
import tempfile

import pytest
from fastapi.testclient import TestClient
from labkit import LAB_IDENTIFIERS, needs_tesseract
from PIL import Image

from postguard.server import Limits, create_app

DRAFT = "18床王建国今天出院了。用优惠码DOC20购买更便宜。"


def findings(resp) -> list[dict]:
    assert resp.status_code == 200, resp.text
    return resp.json()["posts"][0]["findings"]


def test_check_returns_the_report_contract_for_one_post(client):
    resp = client.post("/api/check", data={"text": DRAFT, "platform": "weibo"})
    body = resp.json()
    assert body["schema"] == "postguard-report/1" and body["summary"]["posts"] == 1
    post = body["posts"][0]
    assert post["text"] == DRAFT and post["platform"] == "weibo"
    got = {(f["category"], f["evidence"]) for f in post["findings"]}
    assert got == {("identifiability", "18床"), ("conflict_of_interest", "优惠码")}
    bed = next(f for f in post["findings"] if f["rule"] == "t-bed")
    assert bed["location"] == {"kind": "text", "start": 0, "end": 3, "line": 1, "column": 1}
    assert bed["fix"]["action"] == "generalise" and bed["references"][0]["url"].startswith("https://")


def test_messages_follow_the_requested_language(client):
    zh = findings(client.post("/api/check", data={"text": DRAFT, "lang": "zh"}))
    en = findings(client.post("/api/check", data={"text": DRAFT, "lang": "en"}))
    assert zh[0]["message"] == "床号指向具体患者。" and en[0]["message"] == "A bed number points to one patient."


def test_browser_line_breaks_do_not_shift_offsets(client):
    # form submissions turn the textarea's \n into \r\n; offsets must still match the page's text
    post = client.post("/api/check", data={"text": "第一行\r\n18床今天出院"}).json()["posts"][0]
    assert post["text"] == "第一行\n18床今天出院"
    assert post["findings"][0]["location"]["start"] == 4


def test_fix_returns_safe_text_and_changes_relative_to_the_original(client):
    body = client.post("/api/fix", data={"text": DRAFT, "platform": "wechat"}).json()
    assert body["original"] == DRAFT
    assert body["text"] == "广告\n一位住院患者今天出院了。用优惠码DOC20购买更便宜。"
    by_kind = {c["kind"]: c for c in body["changes"]}
    assert set(by_kind) == {"disclose", "generalise"}
    g = by_kind["generalise"]
    assert DRAFT[g["start"]:g["end"]] == g["before"] == "18床王建国"
    assert body["report"]["posts"][0]["findings"] and body["images"] == []


def test_rules_lists_the_active_rules_with_both_languages(client):
    rules = {r["id"]: r for r in client.get("/api/rules").json()["rules"]}
    assert "t-bed" in rules and rules["t-bed"]["message"]["en"] and rules["t-bed"]["message"]["zh"]
    assert rules["t-dose"]["fix"]["action"] == "suggest"


def test_openapi_document_describes_the_api(client):
    doc = client.get("/openapi.json").json()
    assert {"/api/check", "/api/fix", "/api/rules"} <= set(doc["paths"])
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN script


def test_page_has_a_strict_csp_and_no_external_resources(client):
    resp = client.get("/")
    csp = resp.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "script-src 'sha256-" in csp
    assert resp.headers["cache-control"] == "no-store"
    html = resp.text
    assert "<script src" not in html and "<link" not in html
    assert 'src="http' not in html and "url(" not in html and "@import" not in html
    assert 'id="draft"' in html and 'id="drop"' in html and 'id="platform"' in html


def test_invalid_platform_is_a_one_line_422(client):
    resp = client.post("/api/check", data={"text": "x", "platform": "myspace"})
    assert resp.status_code == 422 and resp.json()["error"].startswith("platform:")
    assert "myspace" not in resp.text  # submitted content is never echoed


def test_limits_give_clear_messages(test_policy):
    app = create_app(test_policy, limits=Limits(max_text_chars=100, max_images=2, max_image_bytes=2000,
                                                 max_image_pixels=10_000, max_request_bytes=60_000))
    c = TestClient(app, base_url="http://127.0.0.1")
    r = c.post("/api/check", data={"text": "x" * 101})
    assert r.status_code == 413 and "limit 100" in r.json()["error"]
    three = [("images", (f"{i}.png", b"x", "image/png")) for i in range(3)]
    r = c.post("/api/check", data={"text": "hi"}, files=three)
    assert r.status_code == 413 and "too many images" in r.json()["error"]
    r = c.post("/api/check", data={"text": "hi"}, files=[("images", ("big.png", b"\0" * 70_000, "image/png"))])
    assert r.status_code == 413 and "request too large" in r.json()["error"]
    # one image over the per-image limits is an error for that image only
    big = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(big, "PNG")
    noisy = io.BytesIO()
    Image.effect_noise((64, 64), 80).save(noisy, "PNG")
    r = c.post("/api/check", data={"text": "18床"}, files=[("images", ("pixels.png", big.getvalue(), "image/png")),
                                                           ("images", ("bytes.png", noisy.getvalue(), "image/png"))])
    post = r.json()["posts"][0]
    assert r.status_code == 200 and post["findings"]
    details = {i["path"]: (i["status"], i["detail"]) for i in post["images"]}
    assert details["pixels.png"][0] == "error" and "too many pixels" in details["pixels.png"][1]
    assert details["bytes.png"][0] == "error" and "too large" in details["bytes.png"][1]


def test_a_bad_image_is_an_error_for_that_image_only(client):
    files = [("images", ("../../etc/broken.jpg", b"not an image", "image/jpeg"))]
    r = client.post("/api/check", data={"text": "18床今天出院"}, files=files)
    post = r.json()["posts"][0]
    assert r.status_code == 200 and post["findings"][0]["rule"] == "t-bed"
    (image,) = post["images"]
    assert image["path"] == "broken.jpg" and image["status"] == "error" and image["detail"]
    fixed = client.post("/api/fix", data={"text": "18床今天出院"}, files=files).json()
    assert fixed["images"][0]["status"] == "error" and fixed["images"][0]["data"] is None


def test_uploads_leave_nothing_behind(client, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    png = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(png, "PNG")
    r = client.post("/api/fix", data={"text": "hi"}, files=[("images", ("a.png", png.getvalue(), "image/png"))])
    assert r.status_code == 200
    assert list(tmp_path.iterdir()) == []


def test_token_is_required_on_every_route_when_set(test_policy):
    c = TestClient(create_app(test_policy, token="s3cret"), base_url="http://192.168.1.5:8765")
    for method, path in [("get", "/"), ("get", "/api/rules"), ("get", "/openapi.json"), ("post", "/api/check")]:
        assert getattr(c, method)(path).status_code == 401
    assert c.get("/api/rules", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/api/rules", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert c.post("/api/check", data={"text": "18床"}, headers={"X-Postguard-Token": "s3cret"}).status_code == 200
    page = c.get("/?token=s3cret")
    assert page.status_code == 200 and "s3cret" in page.text  # the page sends it back as a header


def test_without_a_token_only_loopback_host_names_are_served(test_policy):
    app = create_app(test_policy)
    assert TestClient(app, base_url="http://localhost:8765").get("/api/rules").status_code == 200
    assert TestClient(app, base_url="http://evil.example:8765").get("/api/rules").status_code == 400


@needs_tesseract
def test_fix_redacts_images_and_strips_metadata(client, lab_report):
    files = [("images", ("lab-report.jpg", lab_report.read_bytes(), "image/jpeg"))]
    checked = client.post("/api/check", data={"text": "复查结果"}, files=files).json()["posts"][0]
    boxes = [f for f in checked["findings"] if f["location"]["kind"] == "image"]
    assert {f["category"] for f in boxes} == {"identifiability"}
    assert all(f["location"]["image"] == "lab-report.jpg" and len(f["location"]["bbox"]) == 4 for f in boxes)
    assert checked["images"][0]["width"] == Image.open(lab_report).width
    body = client.post("/api/fix", data={"text": "复查结果"}, files=files).json()
    (img,) = body["images"]
    assert img["media_type"] == "image/jpeg" and len(img["boxes"]) == len(boxes)
    with Image.open(io.BytesIO(base64.b64decode(img["data"]))) as red:
        assert len(red.getexif()) == 0 and "exif" not in red.info
        red.save(lab_report.with_name("redacted.png"))
    from postguard.images import OcrSettings, analyse_image

    again, _ = analyse_image(str(lab_report.with_name("redacted.png")), OcrSettings(), None)
    assert [i for i in LAB_IDENTIFIERS if i in again.ocr_text] == []


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "</script><img src=x onerror=alert(1)>"])
def test_hostile_drafts_come_back_as_data_only(client, text):
    r = client.post("/api/check", data={"text": text})
    assert r.headers["content-type"].startswith("application/json") and r.json()["posts"][0]["text"] == text
