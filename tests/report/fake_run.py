"""A stand-in for the engine's ScanRun, shared by the report tests: results stream once; the summary and
input errors fill up as they do in a real run. Helpers subclass it to give their own policy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from postguard.model import InputError, PostResult, Summary
from postguard.policy.model import Policy


@dataclass
class BaseFakeRun:
    post_results: list[PostResult]
    late_input_errors: list[InputError] = field(default_factory=list)
    policy: Policy = field(default_factory=lambda: Policy([], []))
    started_at: str = "2024-05-02T09:30:00+08:00"
    summary: Summary = field(default_factory=Summary)
    input_errors: list[InputError] = field(default_factory=list)
    consumed: bool = False

    def results(self) -> Iterator[PostResult]:
        assert not self.consumed, "results() may be consumed only once"
        self.consumed = True
        for result in self.post_results:
            self.summary.add(result)
            yield result
        # like a reader that meets a bad line at the end of a file: known only after streaming
        self.input_errors.extend(self.late_input_errors)
