"""Which rules cost the most scan time: a profile for pack writers.

    .venv/bin/python benchmarks/bench_rules.py [--posts 3000] [--top 25] [--policy PATH ...]

For every regex matcher: CPU microseconds per post, how many posts it ran on after its prefilter
(derived literals, `trigger`, `min_digits`), and how many matches it found; then, per rule, what its
context checks cost on the candidate hits. A pattern that runs on most
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

from postguard.engine import _apply_context, _candidate_hits, _matches, prepare, runnable_regexes  # noqa: E402
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
        # the engine's own prefilter, and its way of running each regex: at its start words' positions
        # where the C core gives them, else over the whole text
        for ri, mi, matcher, positions in runnable_regexes(compiled, prep):
            pattern = matcher.pattern
            start = time.process_time()
            n = sum(1 for _ in _matches(pattern, text, positions))
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
    context_costs(compiled, preps, args.top)


def context_costs(compiled, preps, top: int) -> None:
    """What each rule's `context` windows (require and exclude, their words and patterns) cost on the
    candidate hits of the posts: a window pattern without start words is searched over its whole window."""
    cost: collections.Counter[str] = collections.Counter()
    checks: collections.Counter[str] = collections.Counter()
    kept: collections.Counter[str] = collections.Counter()
    hits = [(prep, _candidate_hits(compiled, [prep])) for prep in preps]
    for prep, candidates in hits:  # first, compile the windows' patterns and word indexes these need
        for hit in candidates:
            _apply_context(compiled, hit, prep)
    for prep, candidates in hits:
        for hit in candidates:
            rule_id = compiled.rules[hit.rule_index].id
            start = time.process_time()
            passed = _apply_context(compiled, hit, prep) is not None
            cost[rule_id] += time.process_time() - start
            checks[rule_id] += 1
            kept[rule_id] += passed
    per_post = 1e6 / len(preps)
    print(f"\ncontext checks: {sum(cost.values()) * per_post:.0f} µs/post, "
          f"{sum(checks.values()) / len(preps):.1f} checks/post")
    print(f"{'µs/post':>8} {'checks':>7} {'µs each':>8} {'kept':>5}  rule")
    for rule_id, seconds in cost.most_common(top):
        print(f"{seconds * per_post:8.1f} {checks[rule_id] / len(preps):7.2f} {seconds / checks[rule_id] * 1e6:8.1f} "
              f"{kept[rule_id] / checks[rule_id]:5.0%}  {rule_id}")


if __name__ == "__main__":
    main()
