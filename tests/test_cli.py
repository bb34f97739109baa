"""The command line as a user runs it: exit codes, stdout, one-line errors on stderr."""

import json


def test_check_text_exit_1_on_high_findings_and_shows_fix_and_guidance(cli):
    r = cli("check", "--text", "3床家属电话13812345678，一直打不通")
    assert r.returncode == 1
    out = r.stdout.decode()
    assert "id-phone-cn-mobile" in out and "13812345678" in out and "1:" in out
    assert "修改建议" in out and "依据" in out
    assert "\x1b[" not in out  # no colour when not a terminal


def test_check_clean_text_exits_0(cli):
    r = cli("check", "--text", "Wash your hands and get your flu jab this autumn.")
    assert r.returncode == 0 and "no findings" in r.stdout.decode()


def test_fail_on_controls_the_exit_code(cli):
    text = "the guy in bed 4 again"
    assert cli("check", "--text", text, "--fail-on", "critical").returncode == 0
    assert cli("check", "--text", text, "--fail-on", "low").returncode == 1


def test_check_reads_stdin(cli):
    r = cli("check", "-", "--format", "json", input="电话13812345678".encode())
    report = json.loads(r.stdout)
    assert report["posts"][0]["findings"][0]["evidence"] == "13812345678"


def test_check_needs_exactly_one_input(cli):
    assert cli("check").returncode == 2


def test_scan_json_report_contract_with_errors_and_exit_2(cli, tmp_path):
    (tmp_path / "a.txt").write_text("18床的阿姨今天出院", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "x", "text": "hi"}\n{bad\n', encoding="utf-8")
    out = tmp_path / "report.json"
    r = cli("scan", str(tmp_path), str(tmp_path / "missing"), "--format", "json", "-o", str(out))
    assert r.returncode == 2  # input errors win, after everything else was scanned
    err_lines = r.stderr.decode().strip().splitlines()
    assert any("b.jsonl:2" in line and "invalid JSON" in line for line in err_lines)
    assert any("missing" in line and "no such file" in line for line in err_lines)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["schema"] == "postguard-report/1"
    assert {p["id"] for p in report["posts"]} >= {"x"}
    assert report["summary"]["posts"] == 2 and report["summary"]["errors"] == 2
    for post in report["posts"]:
        for f in post["findings"]:
            loc = f["location"]
            assert post["text"][loc["start"]:loc["end"]] == f["evidence"]
            assert f["category"] in report["summary"]["by_category"]


def test_masking_masks_text_and_evidence_alike(cli):
    r = cli("check", "--text", "家属电话13812345678", "--format", "json", "--mask")
    post = json.loads(r.stdout)["posts"][0]
    assert "13812345678" not in r.stdout.decode()
    assert post["findings"][0]["evidence"] == "138****5678" and "138****5678" in post["text"]


def test_policy_list_shows_rules(cli):
    r = cli("policy", "list")
    assert r.returncode == 0
    assert "id-phone-cn-mobile" in r.stdout.decode() and "identifiability" in r.stdout.decode()


def test_bad_policy_file_exits_2_with_one_line(cli, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("rules:\n  - id: x\n    severity: high\n    category: nope\n    message: m\n    advice: a\n"
                   "    references: [{title: t}]\n    match: [{keywords: [k]}]\n", encoding="utf-8")
    r = cli("check", "--text", "hi", "--policy", str(bad))
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1 and "bad.yml:4: x: unknown category" in r.stderr.decode()


def test_python_m_postguard_and_version(cli):
    r = cli("--version")
    assert r.returncode == 0 and "version" in r.stdout.decode()


def test_progress_estimate_counts_jsonl_lines_and_post_files(tmp_path):
    from postguard.cli import _estimate_posts

    (tmp_path / "a.jsonl").write_text('{"id": 1, "text": "a"}\n\n{"id": 2, "text": "b"}\n', encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.md").write_text("x", encoding="utf-8")
    (tmp_path / "d" / "y.png").write_bytes(b"\x89PNG")
    (tmp_path / "d" / "notes.xyz").write_text("x", encoding="utf-8")
    assert _estimate_posts((str(tmp_path / "a.jsonl"), str(tmp_path / "d"))) == 4
