"""Which rules cost the most scan time: a profile for pack writers.

    .venv/bin/python benchmarks/bench_rules.py [--posts 3000] [--top 25] [--policy PATH ...]

For every regex matcher: CPU microseconds per post, how many posts it ran on after its prefilter
(derived literals, `trigger`, `min_digits`), and how many matches it found. A pattern that runs on most
posts and rarely matches wants a more selective literal; one that is slow per run wants an anchor
literal first instead of a leading class or lookbehind. Also prints each pack's share. CPU time
(process_time) is used so that a busy machine distorts the ranking less than wall time would.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_scan import corpus_posts  # noqa: E402

from postguard.engine import prepare, runnable_regexes  # noqa: E402
from postguard.model import Segment  # noqa: E402
from postguard.policy.loader import load_policy  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=3000)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--policy", action="append", default=[], help="add a pack file or folder")
    args = ap.parse_args()
    policy = load_policy([Path(p) for p in args.policy])
    compiled = policy.compiled
    preps = [prepare([Segment("text", p)])[0] for p in corpus_posts(args.posts)]
    cost: collections.Counter[tuple[int, int]] = collections.Counter()
    runs: collections.Counter[tuple[int, int]] = collections.Counter()
    found: collections.Counter[tuple[int, int]] = collections.Counter()
    for prep in preps:
        text = prep.norm.text
        for ri, mi, matcher in runnable_regexes(compiled, prep):  # the engine's own prefilter
            pattern = matcher.pattern
            start = time.process_time()
            n = sum(1 for _ in pattern.finditer(text))
            cost[ri, mi] += time.process_time() - start
            runs[ri, mi] += 1
            found[ri, mi] += n
    per_post = 1e6 / len(preps)
    total = sum(cost.values())
    print(f"{len(preps)} posts; regexes: {total * per_post:.0f} µs/post, "
          f"{sum(runs.values()) / len(preps):.1f} runs/post")
    packs: collections.Counter[str] = collections.Counter()
    for (ri, _mi), seconds in cost.items():
        packs[compiled.rules[ri].category] += seconds
    print("per pack (µs/post): " + ", ".join(f"{k} {v * per_post:.0f}" for k, v in packs.most_common()))
    print(f"\n{'µs/post':>8} {'ran on':>7} {'matches':>7}  rule[matcher]  pattern")
    for (ri, mi), seconds in cost.most_common(args.top):
        rule = compiled.rules[ri]
        share = runs[ri, mi] / len(preps)
        print(f"{seconds * per_post:8.1f} {share:7.0%} {found[ri, mi]:7d}  {rule.id}[{mi}]  "
              f"{rule.matchers[mi].source[:70]!r}")


if __name__ == "__main__":
    main()
