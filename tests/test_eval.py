"""The built-in packs on the labelled development corpora: the suite fails if any category falls below
the F1 reached so far (raise the floors when the rules improve; never lower them to make a change pass)."""

import json
from pathlib import Path

import pytest

from postguard.evaluate import evaluate, read_corpus
from postguard.model import CATEGORIES

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"

# F1 floors per (category, language) on dev.zh + dev.en, and on dev.extra (written later to teach breadth)
DEV_FLOORS = {
    "identifiability": {"all": 0.98, "zh": 0.99, "en": 0.98},
    "unprofessional": {"all": 0.94, "zh": 0.98, "en": 0.91},
    "conflict_of_interest": {"all": 0.98, "zh": 0.99, "en": 0.96},
    "diagnostic_advice": {"all": 0.99, "zh": 0.99, "en": 0.99},
    "advertising_claims": {"all": 0.98, "zh": 0.99, "en": 0.98},
}


EXTRA_FLOORS = {category: {"all": 0.98, "zh": 0.98, "en": 0.96} for category in CATEGORIES}

# dev.blind3-10: written blind to the rules, then studied one round each (fixtures/corpus/README.md)
BLIND_FLOORS = {category: {"all": 0.98, "zh": 0.98, "en": 0.98} for category in CATEGORIES}
BLIND_FLOORS["identifiability"] = {"all": 0.95, "zh": 0.98, "en": 0.92}

# dev.blind15/16 and holdout: nobody studied them and the statistical checks were not trained on them, so
# these floors (what the packs scored on them, less 0.02) guard generalisation itself. Never tune on them.
UNSEEN_FLOORS = {
    "identifiability": {"all": 0.93}, "unprofessional": {"all": 0.93}, "conflict_of_interest": {"all": 0.96},
    "diagnostic_advice": {"all": 0.97}, "advertising_claims": {"all": 0.92},
}

# corpus group -> (files, floors); dev.extra and dev.breadth were written later, to teach breadth.
# dev.blind11-14 have no floor: the statistical checks are trained on them.
GROUPS = {
    "dev": (["dev.zh.jsonl", "dev.en.jsonl"], DEV_FLOORS),
    "breadth": (["dev.extra.jsonl", "dev.breadth.jsonl"], EXTRA_FLOORS),
    "blind": ([f"dev.blind{n}.jsonl" for n in range(3, 11)], BLIND_FLOORS),
    "unseen": (["dev.blind15.jsonl", "dev.blind16.jsonl", "holdout.jsonl"], UNSEEN_FLOORS),
}


@pytest.fixture(scope="module")
def evaluations(builtin_policy):
    return {name: evaluate(builtin_policy, read_corpus([CORPUS / f for f in files]))
            for name, (files, _floors) in GROUPS.items()}


@pytest.fixture(scope="module")
def dev_eval(evaluations):
    return evaluations["dev"]


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("category", CATEGORIES)
def test_f1_per_category_and_language_stays_above_the_floor(evaluations, group, category):
    for lang, floor in GROUPS[group][1][category].items():
        f1 = evaluations[group].get(category, lang).f1
        assert f1 >= floor, f"{group} {category}/{lang}: F1 {f1:.3f} fell below {floor}"


def test_compliant_posts_are_rarely_flagged(dev_eval):
    compliant = sum(1 for p in read_corpus([CORPUS / "dev.zh.jsonl", CORPUS / "dev.en.jsonl"]) if not p["expected"])
    assert len(dev_eval.false_alarms) <= 0.02 * compliant, [fa["id"] for fa in dev_eval.false_alarms]


def test_corpus_shape_meets_the_brief():
    posts = read_corpus(sorted(CORPUS.glob("dev*.jsonl")))
    assert len(posts) >= 300
    compliant = sum(1 for p in posts if not p["expected"])
    assert compliant >= 0.35 * len(posts)
    assert sum(1 for p in posts if len(p["expected"]) >= 2) >= 10
    zh = sum(1 for p in posts if "zh-" in p["id"])  # ids read zh-001, x-zh-001, c-zh-001, ...
    assert 0.4 <= zh / len(posts) <= 0.6


def test_eval_command_prints_scores_and_exits_1_below_min_f1(cli):
    r = cli("eval", str(CORPUS / "dev.zh.jsonl"), "--min-f1", "0.5")
    assert r.returncode == 0 and "identifiability" in r.stdout.decode() and "misses:" in r.stdout.decode()
    assert cli("eval", str(CORPUS / "dev.zh.jsonl"), "--min-f1", "1.01").returncode == 1


def test_eval_summary_prints_scores_without_any_post_text(cli, tmp_path):
    # labels the packs disagree with (a compliant post labelled as a violation and the reverse), so that
    # the full report has misses and false alarms to quote
    posts = [
        {"id": "zh-001", "text": "今天天气很好，下班后去公园散步，记得多喝水。", "expected": ["identifiability"]},
        {"id": "en-001", "text": "Use my code DRJO20 for 20% off the vitamin D I take, link in bio!", "expected": []},
        {"id": "zh-002", "text": "流感季到了，老人和儿童建议接种疫苗，有疑问请咨询社区医生。", "expected": []},
    ]
    corpus = tmp_path / "labels.jsonl"
    corpus.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
    texts = [p["text"] for p in posts[:2]]
    full = cli("eval", str(corpus)).stdout.decode()
    assert all(_first_words(t) in full for t in texts)  # the full report quotes the miss and the false alarm
    for fmt in ("text", "json"):
        out = cli("eval", str(corpus), "--summary", "--format", fmt).stdout.decode()
        assert "identifiability" in out
        assert not any(_first_words(p["text"]) in out for p in posts)


def _first_words(text: str) -> str:
    return " ".join(text.split())[:20]
