"""`postguard serve` and `postguard fix` (click commands in postguard.cli_extra)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from labkit import LAB_IDENTIFIERS, TEST_POLICY, needs_tesseract, render_lab_report
from PIL import Image

from postguard import load_policy, scan_post
from postguard.cli_extra import fix_command, is_loopback, serve_command

REPO = Path(__file__).resolve().parents[2]


def test_serve_refuses_a_non_loopback_host_without_a_token():
    result = CliRunner().invoke(serve_command, ["--host", "0.0.0.0"], env={"POSTGUARD_TOKEN": ""})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "--token" in lines[0] and lines[0].startswith("postguard: error:")


def test_loopback_names():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_loopback_and_requires_the_env_token():
    port = _free_port()
    code = "from postguard.cli_extra import serve_command; serve_command()"
    env = {**os.environ, "POSTGUARD_TOKEN": "tok-123"}
    proc = subprocess.Popen([sys.executable, "-c", code, "--port", str(port), "--policy", str(TEST_POLICY)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO, text=True)
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        assert f"http://127.0.0.1:{port}/?token=tok-123" in first
        url = f"http://127.0.0.1:{port}/api/rules"
        deadline = time.monotonic() + 10
        while True:
            try:
                req = urllib.request.Request(url, headers={"Authorization": "Bearer tok-123"})
                with urllib.request.urlopen(req, timeout=2) as resp:
                    assert any(r["id"] == "t-bed" for r in json.load(resp)["rules"])
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not answer"
                time.sleep(0.1)
        try:
            urllib.request.urlopen(url, timeout=2)
            raise AssertionError("served without the token")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert "GET /api/rules" not in err  # no access log: nothing about requests is written anywhere


def test_fix_dry_run_prints_changes_and_writes_nothing(tmp_path):
    post = tmp_path / "post.txt"
    post.write_text("18床王建国今天出院。电话13812345678。\n", encoding="utf-8")
    result = CliRunner().invoke(fix_command, [str(post), "--dry-run", "--policy", str(TEST_POLICY), "--no-ocr"])
    assert result.exit_code == 0, result.output
    assert "“18床王建国” -> “一位住院患者”" in result.output and "“电话13812345678。”" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["post.txt"]


@needs_tesseract
def test_fix_round_trip_text_and_images(tmp_path):
    render_lab_report(tmp_path / "lab.jpg")
    post = tmp_path / "post.md"
    post.write_text("---\nplatform: weibo\nimages: [lab.jpg]\n---\n18床王建国今天出院了，住院号：2023104587。\n"
                    "用优惠码DOC20购买护理包。\n", encoding="utf-8")
    out_dir = tmp_path / "safe"
    result = CliRunner().invoke(fix_command, [str(post), "-o", str(tmp_path / "safe.md"), "--images", str(out_dir),
                                              "--policy", str(TEST_POLICY)])
    assert result.exit_code == 0, result.output
    assert "boxes filled, metadata removed" in result.output
    safe = (tmp_path / "safe.md").read_text(encoding="utf-8")
    assert safe.startswith("---\nplatform: weibo\nimages: [lab.jpg]\n---\n广告\n")  # front matter kept
    policy = load_policy([str(TEST_POLICY)], builtin=False)
    body = safe.split("---\n", 2)[2]
    before = scan_post(post.read_text(encoding="utf-8").split("---\n", 2)[2], policy)
    after = scan_post(body, policy)
    assert any(f.category == "identifiability" for f in before.findings)
    assert [f.rule for f in after.findings if f.category == "identifiability"] == []
    assert [f.rule for f in after.findings] == []  # the disclosure quietens the discount-code rule too
    red = out_dir / "lab.jpg"
    with Image.open(red) as im:
        assert len(im.getexif()) == 0 and "exif" not in im.info
    from postguard.images import OcrSettings, analyse_image

    again, _ = analyse_image(str(red), OcrSettings(), None)
    assert again.status == "scanned" and [i for i in LAB_IDENTIFIERS if i in again.ocr_text] == []


def test_fix_refuses_a_file_with_several_posts(tmp_path):
    many = tmp_path / "posts.jsonl"
    many.write_text('{"id": "a", "text": "18床"}\n{"id": "b", "text": "19床"}\n', encoding="utf-8")
    result = CliRunner().invoke(fix_command, [str(many), "--policy", str(TEST_POLICY)])
    assert result.exit_code == 2 and "one draft" in result.output
