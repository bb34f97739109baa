"""The JSON report (schema postguard-report/1), streamed: posts are written as they are scanned and the
summary comes after them, so memory does not grow with the number of posts."""

from __future__ import annotations

import json
from typing import Any, TextIO

from postguard.mask import MASKED_CATEGORIES, mask_spans, mask_value
from postguard.model import PostResult
from postguard.report import ReportOptions, ScanRun

SCHEMA = "postguard-report/1"


def masked_post(result: PostResult) -> dict[str, Any]:
    """The post as a dict with identifiers masked in text, OCR text and evidence alike."""
    data = result.to_dict()
    every = result.findings + tuple(s.finding for s in result.suppressed)
    identifiers = [f for f in every if f.category in MASKED_CATEGORIES]
    text_spans = [
        (f.location.start, f.location.end)
        for f in identifiers
        if f.location.kind == "text" and f.location.start is not None and f.location.end is not None
    ]
    data["text"] = mask_spans(result.post.text, text_spans)
    for img, img_data in zip(result.images, data["images"], strict=True):
        spans = [
            (f.location.start, f.location.end)
            for f in identifiers
            if f.location.kind == "image" and f.location.image == img.path
            and f.location.start is not None and f.location.end is not None
        ]
        img_data["ocr_text"] = mask_spans(img.ocr_text, spans)
    for key in ("findings", "suppressed"):
        for f in data[key]:
            if f["category"] in MASKED_CATEGORIES:
                f["evidence"] = mask_value(f["evidence"])
    return data


def render(run: ScanRun, out: TextIO, options: ReportOptions) -> None:
    from postguard import __version__

    head = {
        "schema": SCHEMA,
        "tool": {"name": "postguard", "version": __version__},
        "policy": {
            "packs": [f"{p.name}@{p.version}" for p in run.policy.packs],
            "rules": len(run.policy.rules),
        },
        "started_at": run.started_at,
    }
    out.write("{\n")
    for key, value in head.items():
        out.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    out.write('  "posts": [')
    first = True
    for result in run.results():
        data = masked_post(result) if options.mask else result.to_dict()
        out.write("\n    " if first else ",\n    ")
        out.write(json.dumps(data, ensure_ascii=False))
        first = False
    out.write("\n  ],\n" if not first else "],\n")
    out.write(f'  "errors": {json.dumps([e.to_dict() for e in run.input_errors], ensure_ascii=False)},\n')
    summary = run.summary.to_dict(input_errors=len(run.input_errors))
    out.write(f'  "summary": {json.dumps(summary, ensure_ascii=False)}\n')
    out.write("}\n")
