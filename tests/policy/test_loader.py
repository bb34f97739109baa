from pathlib import Path

import pytest

from postguard.policy.loader import PolicyError, load_pack, load_policy

GOOD = """
pack: custom
version: "2"
rules:
  - id: custom-bed
    category: identifiability
    severity: medium
    message: {en: "A bed number.", zh: "床号。"}
    advice: Remove it.
    references: [{title: "GMC 2024 ¶19", url: "https://www.gmc-uk.org/"}]
    match:
      - regex: '(?<!\\d)\\d{1,3}床'
    tests:
      match: ["18床的阿姨"]
      no_match: ["开放床位60张"]
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "custom.yml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_valid_pack_loads_with_its_rules_and_version(tmp_path):
    info, rules = load_pack(write(tmp_path, GOOD))
    assert (info.name, info.version) == ("custom", "2")
    assert rules[0].id == "custom-bed"
    assert rules[0].messages == {"en": "A bed number.", "zh": "床号。"}
    assert rules[0].advices == {"en": "Remove it.", "zh": "Remove it."}


@pytest.mark.parametrize("change, line, problem", [
    ("    severity: medium\n", "    severity: severe\n", "unknown severity 'severe'"),
    ("    advice: Remove it.\n", "    advise: Remove it.\n", "unknown key 'advise'"),
    ("      - regex: '(?<!\\d)\\d{1,3}床'\n", "      - regex: '(\\d{1,3}床'\n", "invalid regular expression"),
    ("    category: identifiability\n", "    category: privacy\n", "unknown category 'privacy'"),
    ("    match:\n", "    match:\n      - validator: nope\n        regex: x\n", "unknown validator 'nope'"),
])
def test_malformed_rules_fail_with_file_line_rule_and_problem(tmp_path, change, line, problem):
    body = GOOD.replace(change, line)
    assert body != GOOD
    with pytest.raises(PolicyError) as err:
        load_pack(write(tmp_path, body))
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'custom.yml'}:")
    assert ": custom-bed: " in message
    assert problem in message
    assert "\n" not in message


def test_word_boundary_next_to_chinese_is_rejected(tmp_path):
    body = GOOD.replace("'(?<!\\d)\\d{1,3}床'", "'\\b住院\\d+'")
    with pytest.raises(PolicyError, match="never matches inside Chinese text"):
        load_pack(write(tmp_path, body))


def test_wrong_types_are_reported(tmp_path):
    with pytest.raises(PolicyError, match="tests.match"):
        load_pack(write(tmp_path, GOOD.replace('match: ["18床的阿姨"]', "match: {a: 1}")))


def test_invalid_yaml_reports_the_line(tmp_path):
    with pytest.raises(PolicyError, match=r"custom\.yml:\d+: invalid YAML"):
        load_pack(write(tmp_path, GOOD + "\n  - id: [unclosed\n"))


def test_duplicate_rule_ids_across_packs_are_refused(tmp_path):
    a = write(tmp_path, GOOD)
    b = tmp_path / "other.yml"
    b.write_text(GOOD.replace("pack: custom", "pack: other"), encoding="utf-8")
    with pytest.raises(PolicyError, match="duplicate rule id"):
        load_policy([a, b], builtin=False)


def test_disabling_and_overriding_rules_by_id(tmp_path):
    path = write(tmp_path, GOOD)
    assert load_policy([path], builtin=False, disabled=["custom-bed"]).rules == []
    policy = load_policy([path], builtin=False, severity_overrides={"custom-bed": "critical"})
    assert policy.rules[0].severity == "critical"
    with pytest.raises(PolicyError, match="no rule with this id"):
        load_policy([path], builtin=False, disabled=["no-such-rule"])


def test_policy_check_exits_2_with_one_line(cli, tmp_path):
    path = write(tmp_path, GOOD.replace("severity: medium", "severity: severe"))
    result = cli("policy", "check", str(path))
    assert result.returncode == 2
    err = result.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "custom-bed" in err and "severe" in err


def test_policy_check_warns_about_a_regex_that_would_run_on_every_post(cli, tmp_path):
    path = write(tmp_path, GOOD)
    quiet = cli("policy", "check", str(path))
    assert quiet.returncode == 0 and b"warning" not in quiet.stderr  # 床 is a literal every match needs
    path = write(tmp_path, GOOD.replace("'(?<!\\d)\\d{1,3}床'", "'\\d{1,3}\\s?[MF]\\b'"))
    noisy = cli("policy", "check", str(path))
    assert noisy.returncode == 0
    err = noisy.stderr.decode().strip()
    assert "custom.yml:5: custom-bed: match #1" in err and "runs on nearly every post" in err
