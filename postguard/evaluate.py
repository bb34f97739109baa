"""Measure the policy on a labelled corpus: precision, recall and F1 per category and language.

Corpus lines are the JSON Lines contract plus `expected`: the categories a compliance officer would flag
(an empty list for a compliant post). `lang` is optional (guessed from the text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postguard.engine import scan_segments
from postguard.model import CATEGORIES, Segment
from postguard.policy.model import Policy
from postguard.text import main_language


class CorpusError(Exception):
    pass


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    posts: int = 0
    counts: dict[tuple[str, str], Counts] = field(default_factory=dict)  # (category, lang|"all")
    false_alarms: list[dict[str, Any]] = field(default_factory=list)  # compliant posts flagged
    misses: list[dict[str, Any]] = field(default_factory=list)  # expected category not found
    wrong: list[dict[str, Any]] = field(default_factory=list)  # flagged with a category not expected

    def get(self, category: str, lang: str = "all") -> Counts:
        return self.counts.setdefault((category, lang), Counts())

    def to_dict(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "scores": {f"{c}/{lang}": {"precision": round(n.precision, 4), "recall": round(n.recall, 4),
                                       "f1": round(n.f1, 4), "tp": n.tp, "fp": n.fp, "fn": n.fn}
                       for (c, lang), n in sorted(self.counts.items())},
            "false_alarms": self.false_alarms, "misses": self.misses, "wrong_category": self.wrong,
        }


def read_corpus(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    posts = []
    for path in paths:
        with open(path, encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CorpusError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
                if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                    raise CorpusError(f"{path}:{n}: each line needs `text`")
                expected = obj.get("expected")
                if not isinstance(expected, list) or any(c not in CATEGORIES for c in expected):
                    raise CorpusError(f"{path}:{n}: `expected` must be a list of categories "
                                      f"({', '.join(CATEGORIES)})")
                obj.setdefault("id", f"{path}:{n}")
                posts.append(obj)
    return posts


def evaluate(policy: Policy, corpus: list[dict[str, Any]]) -> Evaluation:
    ev = Evaluation()
    for post in corpus:
        ev.posts += 1
        text = post["text"]
        lang = post.get("lang") or main_language(text)
        findings, _ = scan_segments([Segment("text", text)], policy, lang)
        got = {f.category for f in findings}
        expected = set(post["expected"])
        for cat in CATEGORIES:
            for key in ("all", lang):
                c = ev.get(cat, key)
                if cat in got and cat in expected:
                    c.tp += 1
                elif cat in got:
                    c.fp += 1
                elif cat in expected:
                    c.fn += 1
        rules = sorted({f"{f.rule} “{f.evidence}”" for f in findings})
        if not expected and got:
            ev.false_alarms.append({"id": post["id"], "text": text, "found": rules})
        for cat in sorted(expected - got):
            ev.misses.append({"id": post["id"], "category": cat, "text": text, "note": post.get("note", "")})
        for cat in sorted(got - expected):
            if expected:
                ev.wrong.append({"id": post["id"], "category": cat, "text": text,
                                 "found": [r for r in rules]})
    return ev


def format_text(ev: Evaluation, summary: bool = False) -> str:
    """The score table, then (unless `summary`) every false alarm and miss with its text."""
    header = f"{'category':<22}{'lang':<6}{'P':>7}{'R':>7}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}"
    lines = [f"{ev.posts} posts", "", header]
    for cat in CATEGORIES:
        for lang in ("all", "zh", "en"):
            if (cat, lang) not in ev.counts:
                continue
            c = ev.counts[(cat, lang)]
            lines.append(f"{cat if lang == 'all' else '':<22}{lang:<6}{c.precision:7.3f}{c.recall:7.3f}"
                         f"{c.f1:7.3f}{c.tp:5}{c.fp:5}{c.fn:5}")
    if summary:  # counts only: a held-out corpus stays unread
        lines += ["", f"compliant posts wrongly flagged: {len(ev.false_alarms)}; flagged with a category not "
                      f"expected: {len(ev.wrong)}; misses: {len(ev.misses)}"]
        return "\n".join(lines)
    lines += ["", f"compliant posts wrongly flagged: {len(ev.false_alarms)}"]
    for fa in ev.false_alarms:
        lines.append(f"  {fa['id']}: {', '.join(fa['found'])}\n      {_short(fa['text'])}")
    lines += ["", f"flagged with a category not expected: {len(ev.wrong)}"]
    for w in ev.wrong:
        lines.append(f"  {w['id']} [{w['category']}]: {', '.join(w['found'])}\n      {_short(w['text'])}")
    lines += ["", f"misses: {len(ev.misses)}"]
    for m in ev.misses:
        lines.append(f"  {m['id']} [{m['category']}] {_short(m['text'])}")
    return "\n".join(lines)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
