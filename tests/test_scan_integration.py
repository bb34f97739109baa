"""Whole runs through the CLI: images with real Tesseract, workers, missing OCR, baselines, changed files."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHAT = REPO / "fixtures/images/wechat-chat.png"
LAB = REPO / "fixtures/posts/dr_li_weibo/images/lab-report.jpg"
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="the tesseract binary is not installed (make setup installs it)")


def report(result):
    return json.loads(result.stdout)


@needs_tesseract
def test_image_posts_are_ocrd_and_findings_point_into_the_image(cli, tmp_path):
    shutil.copy(CHAT, tmp_path / "chat.png")
    r = cli("scan", str(tmp_path), "--format", "json", "--cache-dir", str(tmp_path / "cache"), "--jobs", "1")
    post = report(r)["posts"][0]
    assert post["images"][0]["status"] == "scanned"
    assert "13812345678" in post["images"][0]["ocr_text"]
    phone = next(f for f in post["findings"] if f["evidence"] == "13812345678")
    assert phone["location"]["kind"] == "image" and len(phone["location"]["bbox"]) == 4
    ocr = post["images"][0]["ocr_text"]
    assert ocr[phone["location"]["start"]:phone["location"]["end"]] == "13812345678"


@needs_tesseract
def test_metadata_and_ocr_findings_from_a_draft_with_a_photo(cli, tmp_path):
    (tmp_path / "img").mkdir()
    shutil.copy(LAB, tmp_path / "img" / "lab.jpg")
    (tmp_path / "post.md").write_text("---\nid: p1\n---\n复查结果出来了 ![x](img/lab.jpg)\n", encoding="utf-8")
    r = cli("scan", str(tmp_path / "post.md"), "--format", "json", "--no-cache")
    post = report(r)["posts"][0]
    kinds = {f["location"]["kind"] for f in post["findings"]}
    assert {"image", "metadata"} <= kinds
    gps = [f for f in post["findings"] if f["location"]["kind"] == "metadata" and "39.9" in f["evidence"]]
    assert gps and gps[0]["location"]["field"] == "GPSInfo"


@needs_tesseract
def test_two_workers_keep_input_order(cli, tmp_path):
    for i in range(4):
        shutil.copy(CHAT if i % 2 else LAB, tmp_path / f"{i}.{'png' if i % 2 else 'jpg'}")
    (tmp_path / "posts.jsonl").write_text("".join(
        json.dumps({"id": f"p{i}", "text": f"post {i}", "images": [f"{i}.{'png' if i % 2 else 'jpg'}"]}) + "\n"
        for i in range(4)), encoding="utf-8")
    r = cli("scan", str(tmp_path / "posts.jsonl"), "--format", "json", "--jobs", "2", "--no-cache")
    assert [p["id"] for p in report(r)["posts"]] == ["p0", "p1", "p2", "p3"]


def test_missing_tesseract_reports_images_not_scanned_and_exits_2_unless_no_ocr(cli, tmp_path):
    shutil.copy(CHAT, tmp_path / "chat.png")
    (tmp_path / "text.txt").write_text("家属电话13812345678", encoding="utf-8")
    env = {"PATH": str(tmp_path / "nowhere")}  # no tesseract on PATH
    r = cli("scan", str(tmp_path), "--format", "json", "--no-cache", env=env)
    assert r.returncode == 2
    data = report(r)
    image_post = next(p for p in data["posts"] if p["images"])
    assert image_post["images"][0]["status"] == "not_scanned"
    assert "tesseract" in r.stderr.decode().lower() and "apt-get install" in r.stderr.decode()
    text_post = next(p for p in data["posts"] if not p["images"])
    assert text_post["findings"]  # text is still scanned
    r = cli("scan", str(tmp_path), "--format", "json", "--no-cache", "--no-ocr", env=env)
    assert r.returncode == 1


def test_baseline_hides_known_findings_and_new_ones_still_fail(cli, tmp_path):
    post = tmp_path / "a.txt"
    post.write_text("家属电话13812345678", encoding="utf-8")
    base = tmp_path / "baseline.json"
    assert cli("baseline", "create", str(base), str(post)).returncode == 0
    assert "13812345678" not in base.read_text(encoding="utf-8")  # hashes only, no patient data
    assert cli("scan", str(post), "--baseline", str(base)).returncode == 0
    post.write_text("前面加了一行\n家属电话13812345678", encoding="utf-8")  # the line moved: still known
    assert cli("scan", str(post), "--baseline", str(base)).returncode == 0
    post.write_text("家属电话13812345678\n另一个13912345678", encoding="utf-8")
    assert cli("scan", str(post), "--baseline", str(base)).returncode == 1


def test_changed_since_scans_only_changed_files(cli, tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (tmp_path / "old.txt").write_text("家属电话13812345678", encoding="utf-8")
    git("add", ".")
    git("commit", "-qm", "old")
    (tmp_path / "new.txt").write_text("18床的阿姨出院了", encoding="utf-8")
    r = cli("scan", ".", "--changed-since", "HEAD", "--format", "json", cwd=tmp_path)
    assert [Path(p["id"]).name for p in report(r)["posts"]] == ["new.txt"]


def test_several_outputs_in_one_run(cli, tmp_path):
    (tmp_path / "a.txt").write_text("家属电话13812345678", encoding="utf-8")
    r = cli("scan", str(tmp_path), "--format", "sarif", "-o", str(tmp_path / "out.sarif"),
            "--html", str(tmp_path / "report.html"))
    assert r.returncode == 1
    sarif = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"]
    assert "13812345678" not in (tmp_path / "out.sarif").read_text(encoding="utf-8")  # masked by default
    assert "<html" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_github_format_is_chosen_under_github_actions(cli, tmp_path):
    (tmp_path / "a.txt").write_text("家属电话13812345678", encoding="utf-8")
    import os
    import sys
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    r = subprocess.run([sys.executable, "-m", "postguard", "scan", str(tmp_path)], capture_output=True, env=env)
    assert r.stdout.decode().startswith("::error ")


def test_unused_front_matter_suppression_is_warned(cli, tmp_path):
    (tmp_path / "d.md").write_text("---\npostguard:\n  ignore: [{rule: id-bed-number, reason: consented}]\n---\n"
                                   "Nothing to see here.\n", encoding="utf-8")
    r = cli("scan", str(tmp_path / "d.md"))
    assert r.returncode == 0
    assert "ignore of id-bed-number matched nothing" in r.stderr.decode()


@needs_tesseract
def test_workers_read_ahead_past_text_posts_so_images_overlap(tmp_path):
    """One image per ten posts: the second image must be queued before the first post is written,
    or `--jobs 2` would OCR one image at a time."""
    from postguard import ScanOptions, load_policy
    from postguard.model import Post
    from postguard.scan import ScanRun

    for i in range(2):
        shutil.copy(CHAT, tmp_path / f"{i}.png")
    posts = []
    for i in range(20):
        images = (str(tmp_path / f"{i // 10}.png"),) if i % 10 == 0 else ()
        posts.append(Post(f"p{i}", f"post {i}", images=images))
    consumed = []

    def stream():
        for p in posts:
            consumed.append(p.id)
            yield p

    run = ScanRun(load_policy(), stream(), ScanOptions(jobs=2, cache_dir=None))
    results = run.results()
    first = next(results)
    assert first.post.id == "p0"
    assert "p10" in consumed  # the second image post was read (and its OCR submitted) before p0 was written
    assert [r.post.id for r in results] == [f"p{i}" for i in range(1, 20)]
