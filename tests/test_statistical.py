"""Statistical checks: features, model files, the `model` matcher in a pack, and how its findings behave
beside the written rules."""

import json
from pathlib import Path

import pytest

from postguard.engine import scan_segments
from postguard.model import CATEGORIES, Segment
from postguard.policy.loader import PolicyError, load_pack, load_policy
from postguard.statistical import ModelError, features, load_models
from postguard.text import lower_for_keywords, normalise


def lower(text: str) -> str:
    return lower_for_keywords(normalise(text).text)


def test_features_are_characters_chinese_pairs_words_and_word_pairs():
    found = features(lower("链接在主页 Use my CODE now!"))
    assert {"链接", "接在", "在主", "主页"} <= found  # adjacent Chinese characters
    assert {"链", "!", "u"} <= found  # every character
    assert {"use", "my", "code", "now"} <= found  # words, lower-cased
    assert {"use my", "my code", "code now"} <= found  # adjacent words
    assert "页 use" not in found and "页u" not in found  # no pair across scripts


def test_traditional_characters_give_the_same_features_as_simplified():
    assert features(lower("這款護眼儀")) == features(lower("这款护眼仪"))


# A model file written by hand: two features that weigh for "promo", one against.
MODEL = {"format": 1, "features": ["小黄车", "链接", "广告", "discount code"],
         "models": {"promo": {"bias": -3.0, "threshold": 0.6, "weights": [0.0, 2.5, -4.0, 3.5]}}}
# the pair features of "小黄车" are "小黄", "黄车"; a feature of three characters never occurs, which
# the weights above rely on: only 链接 and "discount code" can raise the score
PACK = """
pack: stat
rules:
  - id: promo-statistical
    category: conflict_of_interest
    severity: low
    segments: [text]
    message: Reads like promotion.
    advice: Disclose it.
    references: [{title: "FTC 16 CFR 255.5"}]
    match:
      - model: models/m.json#promo{extra}
    unless: [{keywords: ["#ad"]}]
    tests:
      match: ["点链接买"]
      no_match: ["今天天气不错"]
  - id: promo-written
    category: conflict_of_interest
    severity: medium
    message: A shop window.
    advice: Disclose it.
    references: [{title: "FTC 16 CFR 255.5"}]
    match:
      - keywords: [橱窗]
    tests:
      match: ["橱窗里有"]
      no_match: ["窗户"]
"""


def pack_dir(tmp_path: Path, extra: str = "", model: dict | None = None) -> Path:
    (tmp_path / "models").mkdir(exist_ok=True)
    (tmp_path / "models" / "m.json").write_text(json.dumps(model or MODEL, ensure_ascii=False), encoding="utf-8")
    path = tmp_path / "stat.yml"
    path.write_text(PACK.replace("{extra}", extra), encoding="utf-8")
    return path


def scan(policy, text):
    return scan_segments([Segment("text", text)], policy)


def test_a_model_matcher_fires_at_its_threshold_on_the_sentence_that_weighs_most(tmp_path):
    policy = load_policy([pack_dir(tmp_path)], builtin=False)
    findings, _ = scan(policy, "今天讲讲维生素D。想要的点链接，用 discount code 下单。")
    (f,) = findings
    assert f.rule == "promo-statistical"
    assert f.evidence == "想要的点链接，用 discount code 下单。"  # the sentence, not the whole post
    assert "probability 0.95 (threshold 0.60)" in f.why
    assert "“discount code”" in f.why and "“链接”" in f.why  # the words that weigh most, strongest first
    assert f.why.index("discount code") < f.why.index("链接")
    assert scan(policy, "想要的点链接")[0] == []  # 0.38: below the threshold
    assert scan(policy, "#ad 想要的点链接，用 discount code 下单")[0] == []  # the rule's `unless` holds


def test_a_threshold_in_the_pack_overrides_the_files(tmp_path):
    policy = load_policy([pack_dir(tmp_path, extra="\n        threshold: 0.3")], builtin=False)
    assert [f.rule for f in scan(policy, "想要的点链接")[0]] == ["promo-statistical"]


def test_a_written_rule_of_the_same_category_turns_the_statistical_finding_into_a_signal(tmp_path):
    policy = load_policy([pack_dir(tmp_path)], builtin=False)
    findings, signals = scan(policy, "想要的点链接，用 discount code 下单，橱窗也有")
    assert [f.rule for f in findings] == ["promo-written"]
    assert [s.rule for s in signals] == ["promo-statistical"]  # kept for `policy test` and explanations


@pytest.mark.parametrize("extra, problem", [
    ("", None),
    ("\n        regex: x", "`regex` does not apply to a `model` matcher"),
    ("\n        threshold: 1.5", "threshold must be a number between 0 and 1"),
    ("\n        threshold: yes", "threshold must be a number between 0 and 1"),
])
def test_model_matcher_keys_are_checked(tmp_path, extra, problem):
    path = pack_dir(tmp_path, extra=extra)
    if problem is None:
        load_pack(path)
        return
    with pytest.raises(PolicyError) as err:
        load_pack(path)
    assert str(err.value).startswith(f"{path}:") and "promo-statistical" in str(err.value)
    assert problem in str(err.value)


@pytest.mark.parametrize("spec, problem", [
    ("models/m.json", "write `model: FILE#NAME`"),
    ("models/m.json#nope", "has no model 'nope' (it has promo)"),
    ("models/missing.json#promo", "cannot read model file"),
])
def test_a_model_that_cannot_be_found_fails_loading_with_the_pack_line(tmp_path, spec, problem):
    path = pack_dir(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("models/m.json#promo", spec), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_pack(path)
    assert str(err.value).startswith(f"{path}:") and problem in str(err.value)


@pytest.mark.parametrize("content, problem", [
    ("{not json", "not a JSON model file"),
    (json.dumps({"features": ["a"], "models": {"promo": {"bias": 0, "threshold": 0.5, "weights": [1, 2]}}}),
     "has 2 weights for 1 features"),
    (json.dumps({"models": {}}), "lacks or mangles 'features'"),
])
def test_broken_model_files_give_one_line_saying_what_to_do(tmp_path, content, problem):
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError) as err:
        load_models(str(path))
    assert problem in str(err.value) and "\n" not in str(err.value)


def test_every_category_has_a_low_severity_statistical_check_on_post_text():
    policy = load_policy()
    statistical = {r.category: r for r in policy.rules if any(m.kind == "model" for m in r.matchers)}
    assert set(statistical) == set(CATEGORIES)
    assert all(r.severity == "low" and r.segments == ("text",) for r in statistical.values())


def test_built_in_model_file_is_complete_and_its_thresholds_meet_the_precision_target():
    data = json.loads((Path(__file__).parent.parent / "policies/models/statistical.json").read_text("utf-8"))
    assert set(data["models"]) == set(CATEGORIES)
    for m in data["models"].values():
        assert len(m["weights"]) == len(data["features"])
        assert 0.5 <= m["threshold"] < 1
        assert m["out_of_fold"]["precision"] >= 0.9 or m["threshold"] == 0.99


def test_switching_the_statistical_checks_off_by_id_leaves_the_written_rules():
    ids = [f"{p}-statistical" for p in ("id", "unpro", "coi", "diag", "ad")]
    policy = load_policy(disabled=ids)
    assert not any(m.kind == "model" for r in policy.rules for m in r.matchers)
    text = "这款护眼仪我女儿用了半年，近视没再涨，想要同款的姐妹看我置顶。"  # only the statistical check catches it
    found = [f.rule for f in scan(load_policy(), text)[0]]
    assert "coi-statistical" in found and all(r.endswith("-statistical") for r in found)
    assert scan(policy, text)[0] == []


def test_the_corpora_that_measure_the_checks_were_never_trained_on():
    repo = Path(__file__).parent.parent
    trained_on = set(json.loads((repo / "policies/models/statistical.json").read_text("utf-8"))["trained_on"])
    assert trained_on and all((repo / "fixtures/corpus" / f"{name}.jsonl").is_file() for name in trained_on)
    assert not trained_on & {"dev.blind15", "dev.blind16", "holdout"}  # the test_eval UNSEEN floors rely on it


def _native_table_or_skip() -> object:
    """The C scorer (postguard/_native.c). It is optional only where no C compiler can build it."""
    import shutil

    from postguard import statistical

    if statistical.FeatureTable is None:
        if shutil.which("cc") or shutil.which("gcc"):
            pytest.fail("a C compiler is here but postguard._native is not built: run `pip install -e .` again")
        pytest.skip("no C compiler on this machine: postguard runs its pure-Python scorer")
    return statistical.FeatureTable


# edges of the feature definitions: Arabic-Indic digits (a digit run, not part of a word), apostrophes,
# tabs and runs of spaces between words, a word too long for a stack buffer, a lone surrogate, punctuation
# between Chinese characters, a digit glued to a word, mixed scripts with no space
EDGE_TEXTS = [
    "٣٤ abc\tdef  ghi", "it's  a 12 b", "a" * 300 + " " + "b" * 5, "x\ud800y", "", " ", "中文，测试 ab1 cd'",
    "ab٣ cd", "3abc def", "12ab 34", "e.g. 2.5mg bid", "链接在主页 use my code now!", "🎉🎉 ok",
]


def test_the_c_scorer_gives_exactly_the_python_scores_on_every_labelled_post():
    _native_table_or_skip()
    repo = Path(__file__).parent.parent
    file = next(iter(load_models(str(repo / "policies/models/statistical.json")).values())).file
    texts = [json.loads(line)["text"] for path in sorted((repo / "fixtures/corpus").glob("*.jsonl"))
             for line in path.read_text("utf-8").splitlines() if line.strip()]
    assert len(texts) > 20_000
    differ = [t for t in map(lower, texts + EDGE_TEXTS) if file.text_logits(t) != file.logits(features(t))]
    assert differ == []
    # the evidence sentence is chosen by the positive weights alone, the same way in C and in Python
    lanes = range(len(file.names))
    differ = [t for t in map(lower, texts[::10] + EDGE_TEXTS)
              if [file.positive_units(t, k) for k in lanes]
              != [sum(w for w in (file.units(f, k) for f in features(t)) if w > 0) for k in lanes]]
    assert differ == []


def test_the_c_scorer_counts_each_feature_once_and_only_han_pairs_as_pairs():
    table_type = _native_table_or_skip()
    from array import array

    vocabulary = ("a", "ab", "中文", "ab cd", "٣٤", "x")
    weights = array("i", [1000, -1, 2000, -2, 4000, -4, 8000, -8, 16000, -16, 32000, -32]).tobytes()
    table = table_type(vocabulary, weights, 2, bytes([0, 0, 1, 0, 0, 0]))
    assert table.scores("a a a") == (1.0, -0.001)  # "a" once, however often it occurs
    assert table.scores("cab") == (1.0, -0.001)  # "ab" inside a word is no word, and no Han pair either
    assert table.scores("ab  cd") == (1.0 + 2.0 + 8.0, -0.011)  # "a", the word "ab", the pair "ab cd"
    assert table.scores("说中文") == (4.0, -0.004)
    assert table.scores("x٣٤") == (48.0, -0.048)  # a digit run stands alone after a letter
    assert table.scores("") == (0.0, 0.0)
    assert table.positive_units("ab  cd") == (11000, 0)  # the negative weights left out


@pytest.mark.parametrize("args, problem", [
    ((("a", "b"), b"\0" * 4, 1, b"\0\0"), "n \\* k int32"),
    ((("a", "a"), b"\0" * 8, 1, b"\0\0"), "appears twice"),
    ((("a",), b"\0" * 4, 1, b""), "n flags"),
])
def test_the_c_scorer_refuses_inconsistent_tables(args, problem):
    table_type = _native_table_or_skip()
    with pytest.raises(ValueError, match=problem):
        table_type(*args)
