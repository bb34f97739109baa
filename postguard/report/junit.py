"""JUnit XML for CI test-report widgets (GitLab `artifacts:reports:junit`, Jenkins, Azure DevOps).

A <testsuite> per account (per source file for posts without one), a <testcase> per post, a <failure>
per finding at or above `options.fail_on`; findings below it and suppressed findings go to the
testcase's <system-out>, so they are visible without failing it. Per-post read errors are <error>s on
the post; batch input errors get a suite of their own.

Counts follow the usual JUnit meaning of one outcome per testcase: `failures` counts testcases with
at least one <failure>, `errors` testcases with an <error> and no failure. Identifiers are masked as in
SARIF unless `options.extra["unmasked"] is True`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from postguard.model import SEVERITIES, Finding, InputError, PostResult, severity_rank
from postguard.report import ReportOptions, ScanRun
from postguard.report.sarif import (
    Masker,
    artifact_path,
    post_artifact,
    should_mask,
    split_source,
    text_region,
)

INPUT_SUITE = "postguard input errors"

# characters XML 1.0 cannot carry at all, not even escaped (control characters, lone surrogates)
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` made legal for XML 1.0; ElementTree escapes the rest but writes these through as is."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class _Suite:
    def __init__(self, name: str) -> None:
        self.element = ET.Element("testsuite", name=xml_text(name))
        self.tests = self.failures = self.errors = 0

    def add(self, case: ET.Element) -> None:
        self.element.append(case)
        self.tests += 1
        if case.find("failure") is not None:
            self.failures += 1
        elif case.find("error") is not None:
            self.errors += 1


def render(run: ScanRun, out: TextIO, options: ReportOptions) -> None:
    mask = should_mask(options)
    # "never" (or anything that is not a severity) fails nothing
    threshold = severity_rank(options.fail_on) if options.fail_on in SEVERITIES else len(SEVERITIES)
    suites: dict[str, _Suite] = {}  # first-seen order: accounts interleave in an export
    for result in run.results():
        name = result.post.account or post_artifact(result.post)
        suite = suites.get(name)
        if suite is None:
            suite = suites[name] = _Suite(name)
        suite.add(_testcase(result, name, threshold, Masker(result, mask)))

    if run.input_errors:
        suite = suites[INPUT_SUITE] = _Suite(INPUT_SUITE)
        for error in run.input_errors:
            suite.add(_input_error_case(error))

    root = ET.Element("testsuites", name="postguard")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in suites.values():
        counts = {"tests": suite.tests, "failures": suite.failures, "errors": suite.errors}
        for key, value in counts.items():
            suite.element.set(key, str(value))
            totals[key] += value
        suite.element.set("skipped", "0")
        suite.element.set("time", "0")
        suite.element.set("timestamp", run.started_at)
        root.append(suite.element)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")

    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")


def _testcase(result: PostResult, classname: str, threshold: int, masker: Masker) -> ET.Element:
    post = result.post
    case = ET.Element(
        "testcase",
        classname=xml_text(classname),
        name=xml_text(post.id),
        file=xml_text(post_artifact(post)),
        time="0",
    )
    _, line = split_source(post.source)
    if line:
        case.set("line", str(line))
    below: list[str] = []
    # worst first, as everywhere else in postguard's output
    for finding in sorted(result.findings, key=lambda f: -severity_rank(f.severity)):
        if severity_rank(finding.severity) >= threshold:
            failure = ET.SubElement(
                case,
                "failure",
                message=xml_text(masker(f"{finding.rule}: {finding.message}")),
                type=finding.category,
            )
            failure.text = xml_text(_details(result, finding, masker))
        else:
            below.append(_one_line(result, finding, masker))
    for suppressed in result.suppressed:
        below.append(f"suppressed ({suppressed.reason}): " + _one_line(result, suppressed.finding, masker))
    for error in result.errors:
        element = ET.SubElement(case, "error", message=xml_text(str(error)), type="input")
        element.text = xml_text(str(error))
    if below:
        ET.SubElement(case, "system-out").text = xml_text("\n".join(below))
    return case


def _where(result: PostResult, finding: Finding) -> str:
    loc = finding.location
    if loc.kind == "image" and loc.image:
        box = f" box {list(loc.bbox)}" if loc.bbox else ""
        return f"image {loc.image}{box}"
    if loc.kind == "metadata" and loc.image:
        return f"image {loc.image} metadata {loc.field}"
    region = text_region(result.post, finding)
    where = post_artifact(result.post)
    if region:
        where += f":{region['startLine']}"
        if "startColumn" in region:
            where += f":{region['startColumn']}"
    return where


def _details(result: PostResult, finding: Finding, masker: Masker) -> str:
    lines = [
        f"{finding.severity} {finding.category} at {_where(result, finding)}",
        f"Evidence: {masker(finding.evidence)}",
        f"Why: {masker(finding.why)}",
        f"Advice: {masker(finding.advice)}",
    ]
    for ref in finding.references:
        lines.append(f"Reference: {ref.title}" + (f" <{ref.url}>" if ref.url else ""))
    return "\n".join(lines)


def _one_line(result: PostResult, finding: Finding, masker: Masker) -> str:
    return masker(
        f"{finding.severity} {finding.rule} at {_where(result, finding)}: {finding.message} "
        f"(evidence: {finding.evidence})"
    )


def _input_error_case(error: InputError) -> ET.Element:
    path, line = split_source(error.source)
    case = ET.Element(
        "testcase",
        classname=INPUT_SUITE,
        name=xml_text(error.source),
        file=xml_text(artifact_path(path)),
        time="0",
    )
    if line:
        case.set("line", str(line))
    element = ET.SubElement(case, "error", message=xml_text(error.message), type="input")
    element.text = xml_text(str(error))
    return case
