"""Configuration: discovery, validation with file:line, and its effect on scans."""

import json

import pytest

from postguard.config import ConfigError, find_config, load_config

PHONE_POST = "家属电话13812345678"


def test_config_is_found_upward_from_the_working_directory(tmp_path):
    (tmp_path / ".postguard.yml").write_text("fail_on: critical\n", encoding="utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / ".postguard.yml"


def test_pyproject_tool_section_is_read(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.postguard]\nfail_on = "low"\nmask = true\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert (cfg.fail_on, cfg.mask) == ("low", True)
    assert cfg.origins["fail_on"].endswith("pyproject.toml:2")


@pytest.mark.parametrize("body, problem", [
    ("bogus: 1\n", ":1: unknown key `bogus`"),
    ("fail_on: sometimes\n", ":1: `fail_on` must be one of"),
    ("mask: yes please\n", ":1: `mask` must be true or false"),
    ("jobs: 0\n", ":1: `jobs` must be a whole number"),
    ("rules:\n  id-bed-number: loud\n", ":1: rule id-bed-number: `loud` is not off or a severity"),
    ("ignore:\n  - {rule: id-bed-number}\n", ":1: each `ignore` entry needs `rule` and a `reason`"),
    ("ocr: {colour: red}\n", ":1: `ocr` takes only"),
    ("fail_on: [unclosed\n", "invalid YAML"),
])
def test_bad_values_fail_with_file_and_line(tmp_path, body, problem):
    path = tmp_path / ".postguard.yml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(str(path))
    assert str(err.value).startswith(str(path)) and problem in str(err.value)


def test_cli_exit_2_on_bad_config_and_on_unknown_rule_ids(cli, tmp_path):
    (tmp_path / ".postguard.yml").write_text("rules:\n  no-such-rule: off\n", encoding="utf-8")
    r = cli("check", "--text", "hi", cwd=tmp_path)
    assert r.returncode == 2
    assert ".postguard.yml:1: rules: no-such-rule: no rule with this id" in r.stderr.decode()


def test_allow_list_drops_the_authors_own_numbers(cli, tmp_path):
    assert cli("check", "--text", PHONE_POST, cwd=tmp_path).returncode == 1
    (tmp_path / ".postguard.yml").write_text('allow: ["13812345678"]\n', encoding="utf-8")
    assert cli("check", "--text", PHONE_POST, cwd=tmp_path).returncode == 0


def test_rules_can_be_switched_off_or_given_another_severity(cli, tmp_path):
    (tmp_path / ".postguard.yml").write_text("rules:\n  id-phone-cn-mobile: low\n", encoding="utf-8")
    r = cli("check", "--text", PHONE_POST, "--format", "json", cwd=tmp_path)
    (finding,) = [f for f in json.loads(r.stdout)["posts"][0]["findings"] if f["rule"] == "id-phone-cn-mobile"]
    assert finding["severity"] == "low"
    (tmp_path / ".postguard.yml").write_text("rules:\n  id-phone-cn-mobile: off\n", encoding="utf-8")
    r = cli("check", "--text", PHONE_POST, "--format", "json", cwd=tmp_path)
    assert all(f["rule"] != "id-phone-cn-mobile" for f in json.loads(r.stdout)["posts"][0]["findings"])


def test_config_ignore_entries_suppress_with_reason_and_unused_ones_are_warned(cli, tmp_path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.txt").write_text(PHONE_POST, encoding="utf-8")
    (tmp_path / ".postguard.yml").write_text(
        "ignore:\n"
        "  - {rule: id-phone-cn-mobile, path: 'posts/*.txt', reason: 'ward hotline, published by the hospital'}\n"
        "  - {rule: id-bed-number, path: 'other/*', reason: 'never used'}\n", encoding="utf-8")
    r = cli("scan", "posts", "--format", "json", cwd=tmp_path)
    post = json.loads(r.stdout)["posts"][0]
    assert all(f["rule"] != "id-phone-cn-mobile" for f in post["findings"])
    assert post["suppressed"][0]["suppressed_reason"] == "ward hotline, published by the hospital"
    assert "ignore of id-bed-number" in r.stderr.decode() and "matched nothing" in r.stderr.decode()


def test_init_writes_a_config_that_loads_and_refuses_to_overwrite(cli, tmp_path):
    assert cli("init", cwd=tmp_path).returncode == 0
    load_config(str(tmp_path / ".postguard.yml"))
    assert cli("init", cwd=tmp_path).returncode == 2
    shown = cli("config", "show", cwd=tmp_path).stdout.decode()
    assert "fail_on: 'high'" in shown and ".postguard.yml:" in shown
