"""How far would a statistical text model get where the rules stop? An experiment, not part of postguard.

    .venv/bin/pip install scikit-learn    # or: pip install -e '.[research]'
    .venv/bin/python tools/model_baseline.py [--threshold 0.8]

Trains one logistic regression per category on character 1-3-grams of the corpora the rule writers
studied (dev, dev.extra, dev.breadth, dev.blind3-10), using the engine's own normalised, lower-cased
text, and scores it on the corpora nobody studied (dev.blind11-14, holdout) beside the built-in rules
and "rules, or the model when it is confident". Prints F1 (precision/recall) per category; never a
post's text, so the held-out corpora stay unread.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score, precision_score, recall_score  # noqa: E402

from postguard.engine import scan_segments  # noqa: E402
from postguard.model import CATEGORIES, Segment  # noqa: E402
from postguard.policy.loader import load_policy  # noqa: E402
from postguard.text import lower_for_keywords, main_language, normalise  # noqa: E402

CORPUS = REPO / "fixtures" / "corpus"
STUDIED = ["dev.zh", "dev.en", "dev.extra", "dev.breadth"] + [f"dev.blind{n}" for n in range(3, 11)]
UNSEEN = {"dev.blind11+12": ["dev.blind11", "dev.blind12"], "dev.blind13+14": ["dev.blind13", "dev.blind14"],
          "holdout": ["holdout"]}


def read(names: list[str]) -> list[dict]:
    posts = []
    for name in names:
        for line in (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                posts.append(json.loads(line))
    return posts


def features(text: str) -> str:
    return lower_for_keywords(normalise(text).text)


def score(truth: np.ndarray, predicted: np.ndarray) -> str:
    return (f"{f1_score(truth, predicted, zero_division=0):.3f} "
            f"({precision_score(truth, predicted, zero_division=0):.2f}/"
            f"{recall_score(truth, predicted, zero_division=0):.2f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.8, help="model confidence added to the rules")
    args = ap.parse_args()
    train = read(STUDIED)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                                 lowercase=False, max_features=20000)
    x_train = vectorizer.fit_transform([features(p["text"]) for p in train])
    models = {}
    for category in CATEGORIES:
        y = np.array([category in p["expected"] for p in train])
        models[category] = LogisticRegression(C=8, max_iter=3000, class_weight="balanced").fit(x_train, y)
    policy = load_policy()
    print(f"trained on {len(train)} studied posts; F1 (precision/recall)")
    for label, names in UNSEEN.items():
        test = read(names)
        x_test = vectorizer.transform([features(p["text"]) for p in test])
        found = []
        for p in test:
            findings, _ = scan_segments([Segment("text", p["text"])], policy, main_language(p["text"]))
            found.append({f.category for f in findings})
        print(f"\n{label} ({len(test)} posts)")
        print(f"{'category':22} {'rules':18} {'model ≥ 0.5':18} rules or model ≥ {args.threshold}")
        for category in CATEGORIES:
            truth = np.array([category in p["expected"] for p in test])
            rules = np.array([category in f for f in found])
            prob = models[category].predict_proba(x_test)[:, 1]
            print(f"{category:22} {score(truth, rules):18} {score(truth, prob >= 0.5):18} "
                  f"{score(truth, rules | (prob >= args.threshold))}")


if __name__ == "__main__":
    main()
