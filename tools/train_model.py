"""Train the statistical checks (postguard/statistical.py) and write policies/models/statistical.json.

    .venv/bin/pip install -e '.[research]'        # scikit-learn, for training only
    .venv/bin/python tools/train_model.py [--precision 0.9] [--evaluate]

One logistic regression per category over postguard.statistical.features of the engine's normalised,
lower-cased text, trained on the corpora in TRAIN. A statistical finding is reported only where no written
rule of its category fired, so its threshold is chosen for that job: among the thresholds at which the
model's out-of-fold precision (5-fold cross-validation on the training posts) reaches --precision, the one
that gives the best out-of-fold F1 of "a written rule fired, or the check passed its threshold (and its
pack's `unless` let it report)" on RULES_UNSEEN, the training corpora no rule writer read. (On the corpora
the rules were written from, the rules look better than they are and the check's share is understated.)
`--evaluate` then scores the corpora kept out of training (dev.blind15-16, holdout) with the written rules
alone and with the statistical checks, printing figures only, never a post, so those corpora stay unread.

The output is deterministic for the same corpora and packs: the solver is liblinear with a fixed seed and
weights are rounded to 4 decimals.
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

from postguard.engine import scan_segments  # noqa: E402
from postguard.evaluate import evaluate as evaluate_policy  # noqa: E402
from postguard.evaluate import read_corpus  # noqa: E402
from postguard.model import CATEGORIES  # noqa: E402
from postguard.statistical import features  # noqa: E402
from postguard.text import lower_for_keywords, normalise  # noqa: E402

CORPUS = REPO / "fixtures" / "corpus"
OUT = REPO / "policies" / "models" / "statistical.json"
TRAIN = ["dev.zh", "dev.en", "dev.extra", "dev.breadth"] + [f"dev.blind{n}" for n in (*range(3, 15), *range(17, 94))]
# training corpora that no rule writer read (each was scored once as unseen before it joined training)
RULES_UNSEEN = [f"dev.blind{n}" for n in range(17, 31)]
UNSEEN = {"dev.blind15+16": ["dev.blind15", "dev.blind16"], "holdout": ["holdout"]}
C = 1.0  # inverse regularisation: chosen by out-of-fold F1 among 0.3, 1 and 3


def read(names: list[str]) -> list[dict]:
    """The posts of these corpora, each with the name of its corpus under "corpus"."""
    return [{**post, "corpus": name} for name in names for post in read_corpus([CORPUS / f"{name}.jsonl"])]


def lower(text: str) -> str:
    return lower_for_keywords(normalise(text).text)


def classifier() -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=5000, class_weight="balanced", solver="liblinear", random_state=0)


def threshold_for(truth: np.ndarray, prob: np.ndarray, precision: float,
                  rules: np.ndarray, allowed: np.ndarray, tuning: np.ndarray) -> float:
    """The threshold with the best F1 of the rules and the check together on the `tuning` posts (each F1
    averaged with its neighbours', so that one post does not decide), among those where the check alone
    keeps its out-of-fold precision."""
    grid = [round(float(t), 2) for t in np.arange(0.5, 0.991, 0.01)]
    usable = [t for t in grid if precision_score(truth, prob >= t, zero_division=0) >= precision]
    if not usable:
        return 0.99
    together = [f1_score(truth[tuning], (rules | (allowed & (prob >= t)))[tuning], zero_division=0) for t in grid]
    smooth = {t: float(np.mean(together[max(0, i - 2):i + 3])) for i, t in enumerate(grid)}
    return max(usable, key=lambda t: (smooth[t], -t))


def rule_outcomes(posts: list[dict]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per category and post: whether a written rule fired, and whether the statistical check's own
    post-level conditions (its pack's `unless`, `requires`) would let it report."""
    from postguard.engine import _first_post_match, prepare
    from postguard.model import Segment
    from postguard.policy.loader import load_policy

    full = load_policy()
    compiled = full.compiled
    statistical = {compiled.rules[ri].category: ri for ri in compiled.statistical_rules}
    written = load_policy(disabled=[compiled.rules[ri].id for ri in compiled.statistical_rules])
    fired = {c: np.zeros(len(posts), bool) for c in CATEGORIES}
    allowed = {c: np.zeros(len(posts), bool) for c in CATEGORIES}
    for n, post in enumerate(posts):
        findings, _signals = scan_segments([Segment("text", post["text"])], written)
        for f in findings:
            fired[f.category][n] = True
        prep = prepare([Segment("text", post["text"])])[0]
        texts = [(prep.norm.text, prep.lower)]
        for category, ri in statistical.items():
            requires, unless = compiled.post_checks[ri]
            allowed[category][n] = (
                all(_first_post_match(compiled.post_matchers[m], texts) is not None for m in requires)
                and not any(_first_post_match(compiled.post_matchers[m], texts) is not None for m in unless))
    return fired, allowed


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
    fired, allowed = rule_outcomes(train)
    tuning = np.array([p["corpus"] in RULES_UNSEEN for p in train])
    print(f"{len(train)} training posts, {len(vocabulary)} features; out of fold at the chosen threshold "
          f"(the check alone; the rules and the check on the {int(tuning.sum())} posts of RULES_UNSEEN):")
    models = {}
    for category in CATEGORIES:
        y = np.array([category in p["expected"] for p in train])
        oof = cross_val_predict(classifier(), x, y, cv=folds, method="predict_proba")[:, 1]
        threshold = threshold_for(y, oof, args.precision, fired[category], allowed[category], tuning)
        together = fired[category] | (allowed[category] & (oof >= threshold))
        fitted = classifier().fit(x, y)
        weights = [round(float(w), 4) for w in fitted.coef_[0]]
        models[category] = {
            "bias": round(float(fitted.intercept_[0]), 4), "threshold": threshold, "weights": weights,
            "out_of_fold": {"precision": round(float(precision_score(y, oof >= threshold)), 3),
                            "recall": round(float(recall_score(y, oof >= threshold)), 3)},
        }
        print(f"  {category:22} threshold {threshold:.2f}  F1 {figures(y, oof >= threshold)}   "
              f"with the rules {figures(y[tuning], together[tuning])}")
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
    written = load_policy(disabled=[full.compiled.rules[ri].id for ri in full.compiled.statistical_rules])
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
