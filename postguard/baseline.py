"""Baselines: accept the findings a project already has, so CI fails only on new ones.

A finding's identity is (where the post lives, rule id, sha256 of the normalised evidence), never its
line number: editing text elsewhere in a file must not resurrect a baselined finding, and changing the
matched text itself (a different phone number, say) must. The file stores hashes only, so a baseline
can be committed without carrying patient data (after detect-secrets' baseline).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, TextIO

from postguard.model import Finding, Post, PostResult, Risk, SuppressedFinding

SCHEMA = "postguard-baseline/1"
REASON = "accepted in the baseline"

_LINE_SUFFIX = re.compile(r":\d+$")


class BaselineError(Exception):
    """A baseline file that cannot be used; the message is one line: what, where, what to do."""


def normalise_evidence(evidence: str) -> str:
    """NFKC, lowercased, whitespace and invisible format characters removed.

    So that re-typing a number with full-width digits, a space or a zero-width joiner does not turn an
    accepted finding into a new one.
    """
    text = unicodedata.normalize("NFKC", evidence).lower()
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def portable_path(path: str) -> str:
    """`path` relative to the working directory when it lies inside it, with forward slashes.

    Baselines and CI reports are read on other machines (and other OSes), so paths must not depend on
    where the checkout sits.
    """
    return _portable(path, os.getcwd()) if path else path


@lru_cache(maxsize=4096)  # every finding of a post asks for the same file; commonpath is not cheap
def _portable(path: str, cwd: str) -> str:
    absolute = os.path.abspath(os.path.join(cwd, path))
    try:
        inside = os.path.commonpath([absolute, cwd]) == cwd
    except ValueError:  # different drives on Windows
        inside = False
    shown = os.path.relpath(absolute, cwd) if inside else path
    return shown.replace(os.sep, "/")


def post_key(post: Post) -> str:
    """Where the post lives: its file, plus its id when the file holds several posts (`path:line`).

    Posts read from stdin or an API have no file, so their id stands in.
    """
    if post.source_path:
        key = portable_path(post.source_path)
        # "file.jsonl:12" means one post among many in that file: the line can move, the id cannot
        return f"{key}#{post.id}" if _LINE_SUFFIX.search(post.source or "") else key
    return post.id


def fingerprint(post: Post, finding: Finding) -> str:
    """A stable hex id for this finding in this post (see the module docstring for what it rests on)."""
    evidence_hash = hashlib.sha256(normalise_evidence(finding.evidence).encode("utf-8")).hexdigest()
    identity = "\x00".join((post_key(post), finding.rule, evidence_hash))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


@dataclass(frozen=True, order=True)
class BaselineEntry:
    fingerprint: str
    rule: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"fingerprint": self.fingerprint, "rule": self.rule, "source": self.source}


def write_baseline(results: Iterable[PostResult], out: TextIO) -> int:
    """Write a baseline accepting every (unsuppressed) finding in `results`; return how many entries.

    Entries are de-duplicated and sorted so the file diffs cleanly in review.
    """
    entries: set[BaselineEntry] = set()
    for result in results:
        for finding in result.findings:
            entries.add(BaselineEntry(fingerprint(result.post, finding), finding.rule, post_key(result.post)))
    ordered = sorted(entries, key=lambda e: (e.source, e.rule, e.fingerprint))
    doc = {"schema": SCHEMA, "findings": [e.to_dict() for e in ordered]}
    json.dump(doc, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return len(ordered)


@dataclass
class Baseline:
    """Loaded baseline. `contains` records what it matched, so `unused()` can report stale entries."""

    path: str
    entries: dict[str, BaselineEntry]
    _used: set[str] = field(default_factory=set, repr=False)

    def __len__(self) -> int:
        return len(self.entries)

    def contains(self, post: Post, finding: Finding) -> bool:
        fp = fingerprint(post, finding)
        if fp in self.entries:
            self._used.add(fp)
            return True
        return False

    def unused(self) -> list[BaselineEntry]:
        """Entries no finding matched so far: fixed problems, or files that moved. Sorted."""
        return sorted(
            (e for fp, e in self.entries.items() if fp not in self._used),
            key=lambda e: (e.source, e.rule, e.fingerprint),
        )

    def apply(
        self, result: PostResult, rescore: Callable[[tuple[Finding, ...]], Risk] | None = None
    ) -> PostResult:
        """Move the findings this baseline accepts into `suppressed` (reason REASON).

        `rescore` recomputes the post's risk from the findings that remain; without it the risk is
        left as it was, except that a post with no findings left has risk none.
        """
        kept: list[Finding] = []
        accepted: list[SuppressedFinding] = []
        for finding in result.findings:
            if self.contains(result.post, finding):
                accepted.append(SuppressedFinding(finding, REASON, f"baseline:{self.path}"))
            else:
                kept.append(finding)
        if not accepted:
            return result
        findings = tuple(kept)
        if rescore is not None:
            risk = rescore(findings)
        elif not findings:
            risk = Risk(0, "none")
        else:
            risk = result.risk
        return replace(result, findings=findings, suppressed=result.suppressed + tuple(accepted), risk=risk)


def _bad(path: str, what: str, where: str | None = None) -> BaselineError:
    return BaselineError(
        f"{where or path}: {what}; recreate it with `postguard baseline create {path} PATH...`"
    )


def load_baseline(path: str) -> Baseline:
    """Read a baseline written by write_baseline. Raises BaselineError (one line) if it cannot."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc: Any = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: baseline file not found; create it with `postguard baseline create {path} PATH...`"
        ) from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise _bad(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _bad(path, f"not valid JSON ({exc.msg})", f"{path}:{exc.lineno}:{exc.colno}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise _bad(path, f"not a postguard baseline (schema {found!r}, expected {SCHEMA!r})")
    items = doc.get("findings")
    if not isinstance(items, list):
        raise _bad(path, '"findings" must be a list')
    entries: dict[str, BaselineEntry] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("fingerprint", "rule", "source")
        ):
            raise _bad(path, f'findings[{i}] needs string fields "fingerprint", "rule" and "source"')
        fp = item["fingerprint"]
        if not re.fullmatch(r"[0-9a-f]{64}", fp):
            raise _bad(path, f"findings[{i}]: fingerprint {fp[:20]!r} is not a sha256 hex digest")
        entries[fp] = BaselineEntry(fp, item["rule"], item["source"])
    return Baseline(path, entries)
