"""Policy packs on disk -> a compiled Policy: finding the files, a content-keyed cache of parsed packs,
unique rule ids, configuration overrides. Parsing YAML lives in postguard.policy.parser, imported only when
a pack is not in the cache (YAML is the slowest part of start-up)."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from postguard.policy.model import PackInfo, Policy, Rule

_T = TypeVar("_T")

# policies/ at the top of the repository; postguard/policies links to it so that wheels carry the packs
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "policies"


class PolicyError(Exception):
    """A malformed policy. str() is one line: `file:line: rule-id: problem`."""

    def __init__(self, path: str, line: int | None, rule_id: str | None, problem: str) -> None:
        self.path, self.line, self.rule_id, self.problem = path, line, rule_id, problem
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {rule_id + ': ' if rule_id else ''}{problem}")


def _cache_file(shown: str, data: bytes) -> Path | None:
    """Where a parsed file is cached: keyed by its content, its path, and the code that reads it."""
    if os.environ.get("POSTGUARD_NO_POLICY_CACHE"):
        return None
    try:
        import platformdirs

        here = Path(__file__).resolve().parent
        code = [here / "loader.py", here / "parser.py", here / "model.py", here / "prefilter.py", here / "compiler.py",
                here.parent / "text.py", here.parent / "statistical.py", here.parent / "data" / "t2s.txt"]
        stamp = "|".join(f"{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in code)
    except (ImportError, OSError):
        return None
    # the resolved path too: a `model:` file is named relative to the pack
    where = str(Path(shown).resolve())
    key = hashlib.sha256(b"\0".join([data, shown.encode(), where.encode(), stamp.encode(),
                                     sys.version.encode()])).hexdigest()
    return Path(platformdirs.user_cache_dir("postguard")) / "policy" / f"{key}.pickle"


def cached(shown: str, data: bytes, build: Callable[[], _T]) -> _T:
    """build(), or its pickled result from an earlier run on the same content and code. A pack's YAML and a
    model file's JSON are the slowest parts of start-up; their pickles load several times faster."""
    cache = _cache_file(shown, data)
    if cache is not None and cache.is_file():
        try:
            with open(cache, "rb") as fh:
                value: _T = pickle.load(fh)
            return value
        except Exception:  # a stale or broken entry is built again and rewritten
            pass
    value = build()
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only cache folder only costs speed
    return value


def load_pack(path: str | os.PathLike[str]) -> tuple[PackInfo, list[Rule]]:
    """Read one YAML pack file (or its parsed copy from the cache). Raises PolicyError."""
    shown = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise PolicyError(shown, None, None, f"cannot read policy file: {exc.strerror}") from None

    def parse() -> tuple[PackInfo, list[Rule]]:
        from postguard.policy.parser import parse_pack

        return parse_pack(shown, data)

    return cached(shown, data, parse)


def pack_files(path: str | os.PathLike[str]) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        return sorted(q for q in p.rglob("*") if q.suffix in (".yml", ".yaml") and q.is_file())
    if not p.exists():
        raise PolicyError(str(p), None, None, "no such policy file or folder")
    return [p]


def load_policy(
    paths: Iterable[str | os.PathLike[str]] | None = None,
    *,
    builtin: bool = True,
    disabled: Iterable[str] = (),
    severity_overrides: dict[str, str] | None = None,
) -> Policy:
    """Load the built-in packs (unless builtin=False) plus extra pack files or folders.

    Raises PolicyError on the first problem. Rule ids must be unique across all packs.
    """
    from postguard.policy.compiler import compile_policy

    files: list[Path] = []
    if builtin:
        files.extend(pack_files(BUILTIN_DIR))
    for p in paths or ():
        files.extend(pack_files(p))
    packs: list[PackInfo] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for f in files:
        info, pack_rules = load_pack(f)
        packs.append(info)
        for r in pack_rules:
            if r.id in seen:
                raise PolicyError(r.source, None, r.id, f"duplicate rule id (first defined at {seen[r.id]})")
            seen[r.id] = r.source
            rules.append(r)
    disabled = set(disabled)
    overrides = severity_overrides or {}
    for rule_id in list(disabled) + list(overrides):
        if rule_id not in seen:
            raise PolicyError("configuration", None, rule_id, "no rule with this id")
    kept = []
    for r in rules:
        if r.id in disabled:
            continue
        if r.id in overrides:
            r = _replace(r, severity=overrides[r.id])
        kept.append(r)
    policy = Policy(packs, kept)
    _check_combinations(policy)
    policy.compiled = compile_policy(policy)
    return policy


def _replace(rule: Rule, **changes: Any) -> Rule:
    from dataclasses import replace

    return replace(rule, **changes)


def _check_combinations(policy: Policy) -> None:
    tags = {t for r in policy.rules for t in r.tags}
    for r in policy.rules:
        if r.combine is None:
            continue
        for t in r.combine.tags + r.combine.with_tags:
            if t not in tags:
                raise PolicyError(r.source, None, r.id, f"combine names tag {t!r} that no rule carries")
