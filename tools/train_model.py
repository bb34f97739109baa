"""Train the statistical checks (postguard/statistical.py) and write policies/models/statistical.json.

    .venv/bin/pip install -e '.[research]'        # scikit-learn, for training only
    .venv/bin/python tools/train_model.py [--precision 0.9] [--evaluate]

One logistic regression per category over postguard.statistical.features of the engine's normalised,
lower-cased text, trained on the corpora in TRAIN. Each model's threshold is the lowest
at which its out-of-fold precision (5-fold cross-validation on the training posts) reaches --precision,
so a statistical finding is right that often on posts it was not trained on. `--evaluate` then scores
the corpora kept out of training (dev.blind15-16, holdout) with the written rules alone and with the
statistical checks, printing figures only, never a post, so those corpora stay unread.

The output is deterministic for the same corpora: the solver is liblinear with a fixed seed and weights
are rounded to 4 decimals.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score, precision_score, recall_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict  # noqa: E402

from postguard.evaluate import evaluate as evaluate_policy  # noqa: E402
from postguard.evaluate import read_corpus  # noqa: E402
from postguard.model import CATEGORIES  # noqa: E402
from postguard.statistical import features  # noqa: E402
from postguard.text import lower_for_keywords, normalise  # noqa: E402

CORPUS = REPO / "fixtures" / "corpus"
OUT = REPO / "policies" / "models" / "statistical.json"
TRAIN = ["dev.zh", "dev.en", "dev.extra", "dev.breadth"] + [f"dev.blind{n}" for n in (*range(3, 15), *range(17, 31))]
UNSEEN = {"dev.blind15+16": ["dev.blind15", "dev.blind16"], "holdout": ["holdout"]}
C = 1.0  # inverse regularisation: chosen by out-of-fold F1 among 0.3, 1 and 3


def read(names: list[str]) -> list[dict]:
    return read_corpus(CORPUS / f"{name}.jsonl" for name in names)


def lower(text: str) -> str:
    return lower_for_keywords(normalise(text).text)


def classifier() -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=5000, class_weight="balanced", solver="liblinear", random_state=0)


def threshold_for(truth: np.ndarray, prob: np.ndarray, precision: float) -> float:
    for t in np.arange(0.5, 0.991, 0.01):
        if precision_score(truth, prob >= t, zero_division=0) >= precision:
            return round(float(t), 2)
    return 0.99


def figures(truth: np.ndarray, predicted: np.ndarray) -> str:
    return (f"{f1_score(truth, predicted, zero_division=0):.3f} "
            f"({precision_score(truth, predicted, zero_division=0):.2f}/"
            f"{recall_score(truth, predicted, zero_division=0):.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--precision", type=float, default=0.9, help="out-of-fold precision each threshold must reach")
    ap.add_argument("--evaluate", action="store_true", help="score the unseen corpora afterwards (figures only)")
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()

    train = read(TRAIN)
    vectorizer = CountVectorizer(analyzer=lambda doc: list(features(doc)), min_df=2, binary=True)
    x = vectorizer.fit_transform([lower(p["text"]) for p in train])
    vocabulary = [str(f) for f in vectorizer.get_feature_names_out()]
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    print(f"{len(train)} training posts, {len(vocabulary)} features; out of fold at the chosen threshold:")
    models = {}
    for category in CATEGORIES:
        y = np.array([category in p["expected"] for p in train])
        oof = cross_val_predict(classifier(), x, y, cv=folds, method="predict_proba")[:, 1]
        threshold = threshold_for(y, oof, args.precision)
        fitted = classifier().fit(x, y)
        weights = [round(float(w), 4) for w in fitted.coef_[0]]
        models[category] = {
            "bias": round(float(fitted.intercept_[0]), 4), "threshold": threshold, "weights": weights,
            "out_of_fold": {"precision": round(float(precision_score(y, oof >= threshold)), 3),
                            "recall": round(float(recall_score(y, oof >= threshold)), 3)},
        }
        print(f"  {category:22} threshold {threshold:.2f}  F1 {figures(y, oof >= threshold)}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": 1, "features": vocabulary, "trained_on": TRAIN, "C": C, "models": models,
            "about": "written by tools/train_model.py; see docs/policies.md, 'Statistical checks'"}
    args.output.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")
    if args.evaluate:
        evaluate()


def evaluate() -> None:
    """The packs with and without their statistical checks (now using the file just written)."""
    from postguard.policy.loader import load_policy

    full = load_policy()
    statistical = [r.id for r in full.rules if any(m.kind == "model" for m in r.matchers)]
    written = load_policy(disabled=statistical)
    for label, names in UNSEEN.items():
        test = read(names)
        alone, both = evaluate_policy(written, test), evaluate_policy(full, test)
        print(f"\n{label} ({len(test)} posts): F1 (precision/recall)")
        for category in CATEGORIES:
            a, b = alone.get(category), both.get(category)
            print(f"  {category:22} written rules {a.f1:.3f} ({a.precision:.2f}/{a.recall:.2f})   "
                  f"with the statistical checks {b.f1:.3f} ({b.precision:.2f}/{b.recall:.2f})")


if __name__ == "__main__":
    main()
