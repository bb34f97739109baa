"""A small hand-made scan for the CI format tests (sarif, junit, github): no engine, no OCR.

Three accounts' worth of posts in Chinese and English with text, image (OCR box) and metadata
findings, a suppressed finding, a per-post error (an unreadable image) and a batch input error.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from fake_run import BaseFakeRun

from postguard.model import (
    Finding,
    InputError,
    Location,
    Post,
    PostResult,
    Reference,
    Risk,
    SuppressedFinding,
)
from postguard.policy.model import PackInfo, Policy, Rule
from postguard.report import ReportOptions

PHONE = "13812345678"
RESIDENT_ID = "110101199003071234"
GMC = Reference("GMC, Using social media as a medical professional (2024) ¶19", "https://www.gmc-uk.org/x")


def rule(
    rule_id: str, category: str, severity: str, en: str, zh: str = "", refs: tuple[Reference, ...] = ()
) -> Rule:
    messages = {"en": en, **({"zh": zh} if zh else {})}
    advices = {"en": f"Fix: {en.lower()}", **({"zh": f"建议：删除{zh}"} if zh else {})}
    return Rule(rule_id, category, severity, messages, advices, refs, tags=("demo",))


RULES: tuple[Rule, ...] = (
    rule("zh-phone-number", "identifiability", "critical", "Patient phone number", "患者电话号码", (GMC,)),
    rule("cn-resident-id", "identifiability", "critical", "Resident ID number", "身份证号"),
    rule("exif-gps", "identifiability", "high", "Photo carries GPS coordinates"),
    rule("ocr-patient-name", "identifiability", "high", "Patient name in an image", "图片中的患者姓名"),
    rule("cure-claim", "advertising_claims", "high", "Claims a guaranteed cure", "保证治愈"),
    rule("undisclosed-sponsor", "conflict_of_interest", "medium", "Sponsored content without disclosure"),
    rule("profanity", "unprofessional", "low", "Profanity"),
    Rule("signal-only", "identifiability", "low", {"en": "signal"}, {}, (), report=False),
)
_BY_ID = {r.id: r for r in RULES}


def text_finding(post: Post, rule_id: str, evidence: str, why: str = "pattern matched") -> Finding:
    """A finding on `evidence` in the post body, with offsets and line/column as the engine gives them."""
    start = post.text.index(evidence)
    before = post.text[:start]
    line = before.count("\n") + 1 + post.text_line_offset
    column = start - (before.rfind("\n") + 1) + 1
    r = _BY_ID[rule_id]
    return Finding(
        rule=r.id,
        category=r.category,
        severity=r.severity,
        message=r.message("en"),
        advice=r.advice("en"),
        references=r.references,
        evidence=evidence,
        location=Location("text", start, start + len(evidence), line, column),
        why=why,
        messages=dict(r.messages),
        advices=dict(r.advices),
    )


def image_finding(rule_id: str, image: str, evidence: str, bbox: tuple[int, int, int, int]) -> Finding:
    r = _BY_ID[rule_id]
    return Finding(
        r.id,
        r.category,
        r.severity,
        r.message("zh"),
        r.advice("zh"),
        r.references,
        evidence,
        Location("image", 0, len(evidence), image=image, bbox=bbox),
        "OCR text matched",
    )


def metadata_finding(rule_id: str, image: str, evidence: str) -> Finding:
    r = _BY_ID[rule_id]
    return Finding(
        r.id,
        r.category,
        r.severity,
        r.message("en"),
        r.advice("en"),
        r.references,
        evidence,
        Location("metadata", image=image, field="GPSInfo"),
        f"EXIF GPSInfo is {evidence}",
    )


ZH_TEXT = f"今天门诊遇到一位老病号。\n\n他的电话 {PHONE}，身份证 {RESIDENT_ID}。\n真是个傻X病人。\n"
EN_TEXT = "Our new clinic opens Monday!\nThis supplement is a 100% cure, guaranteed: no side effects.\n"


def build_results(zh_text: str = ZH_TEXT) -> list[PostResult]:
    zh = Post(
        id="2024-05-01-病例",
        text=zh_text,
        account="dr_li",
        platform="weibo",
        source="posts/2024-05-01 病例.md",
        source_path="posts/2024-05-01 病例.md",
        text_line_offset=4,  # front matter above the body
    )
    zh_findings = (
        text_finding(zh, "zh-phone-number", PHONE, why=f"11-digit mobile {PHONE} near 电话"),
        text_finding(zh, "cn-resident-id", RESIDENT_ID),
    )
    zh_suppressed = (
        SuppressedFinding(
            text_finding(zh, "profanity", "傻X"), "quoted from a patient complaint", "front matter"
        ),
    )
    en = Post(
        id="clinic-opening",
        text=EN_TEXT,
        images=("images/lab report.png", "images/broken.jpg"),
        account="dr_smith",
        source="posts/clinic-opening.md",
        source_path="posts/clinic-opening.md",
    )
    en_findings = (
        text_finding(en, "cure-claim", "100% cure, guaranteed"),
        image_finding("ocr-patient-name", "images/lab report.png", "姓名: 王小明", (120, 40, 200, 32)),
        metadata_finding("exif-gps", "images/lab report.png", "31.2304, 121.4737"),
    )
    feed_text = "Loving this brand's vitamins, damn they work.\n"
    feed = Post(
        id="p3",
        text=feed_text,
        source="exports/feed.jsonl:3",
        source_path="exports/feed.jsonl",
        text_line_offset=2,
    )
    feed_findings = (
        text_finding(feed, "undisclosed-sponsor", "Loving this brand's vitamins"),
        text_finding(feed, "profanity", "damn"),
    )
    clean = Post(
        id="p4", text="Wash your hands.\n", source="exports/feed.jsonl:4", source_path="exports/feed.jsonl"
    )
    return [
        PostResult(zh, zh_findings, Risk(95, "critical"), suppressed=zh_suppressed, language="zh"),
        PostResult(
            en,
            en_findings,
            Risk(80, "high"),
            errors=(InputError("images/broken.jpg", "cannot identify image file"),),
        ),
        PostResult(feed, feed_findings, Risk(40, "medium")),
        PostResult(clean, (), Risk(0, "none")),
    ]


@dataclass
class FakeRun(BaseFakeRun):
    policy: Policy = field(
        default_factory=lambda: Policy([PackInfo("demo", "1.0", "policies/demo")], list(RULES))
    )


def fake_run(zh_text: str = ZH_TEXT) -> FakeRun:
    return FakeRun(
        build_results(zh_text),
        late_input_errors=[InputError("exports/feed.jsonl:7", "not valid JSON (Expecting value)")],
    )


def render_with(
    render: Callable[[FakeRun, TextIO, ReportOptions], None],
    run: FakeRun | None = None,
    **options: object,
) -> str:
    extra = options.pop("extra", {})
    assert isinstance(extra, dict)
    opts = ReportOptions(extra=extra, **options)  # type: ignore[arg-type]
    out = io.StringIO()
    render(run or fake_run(), out, opts)
    return out.getvalue()
