"""Output formats. Each module has `render(run, out, options) -> None`; this registry names them.

`run` is a ScanRun: `run.results()` yields PostResults in input order (stream it: it may be consumed
once), after which `run.summary` and `run.input_errors` are complete. `run.policy` gives the rules.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from postguard.model import InputError, PostResult, Summary
    from postguard.policy.model import Policy

# format name -> module under postguard.report
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json",
    "html": "html",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
}


@dataclass(frozen=True)
class ReportOptions:
    mask: bool = False
    lang: str | None = None  # interface language for html/text: "en" | "zh" | None (from content)
    color: bool = False
    fail_on: str = "high"
    extra: dict[str, object] = field(default_factory=dict)


class ScanRun(Protocol):
    policy: Policy
    started_at: str  # ISO 8601
    summary: Summary
    input_errors: list[InputError]

    def results(self) -> Iterator[PostResult]: ...


def render(fmt: str, run: ScanRun, out: TextIO, options: ReportOptions) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"postguard.report.{FORMATS[fmt]}")
    module.render(run, out, options)
