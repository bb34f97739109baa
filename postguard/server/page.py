"""The pre-check page: one HTML document with inline CSS and script, and its strict CSP.

Escaping follows the HTML report: jinja2 autoescapes every `{{ }}`, the page data travels as JSON in a
`<script type="application/json">` (made safe by `script_json`), and the script draws findings with
`textContent` only. The CSP allows exactly the one inline script (by hash), connections to this server
only, and images from `blob:` (the user's own files) and `data:` (redacted copies): no CDN, no network.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from postguard.report import i18n
from postguard.report.assets import inline_assets
from postguard.report.html import script_json

if TYPE_CHECKING:
    from postguard.policy.model import Policy
    from postguard.server.app import Limits

TEMPLATES = Path(__file__).with_name("templates")
DEBOUNCE_MS = 100  # pause in typing before a check; the check itself takes a few ms (bench_serve.py)

PLATFORMS: list[tuple[str, dict[str, str]]] = [
    ("wechat", {"en": "WeChat", "zh": "微信"}),
    ("weibo", {"en": "Weibo", "zh": "微博"}),
    ("douyin", {"en": "Douyin", "zh": "抖音"}),
    ("xiaohongshu", {"en": "Xiaohongshu", "zh": "小红书"}),
    ("x", {"en": "X (Twitter)", "zh": "X（推特）"}),
    ("instagram", {"en": "Instagram", "zh": "Instagram"}),
    ("facebook", {"en": "Facebook", "zh": "Facebook"}),
    ("other", {"en": "Other", "zh": "其他"}),
]

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Pre-check a post",
        "subtitle": "Paste a draft, add the pictures, see what to fix before you publish.",
        "privacy": "Private by design: the draft and pictures are checked on this computer, in memory or a "
                   "temporary folder deleted after each check. Nothing is logged, kept, published or sent "
                   "anywhere.",
        "platform": "Platform",
        "draft": "Draft",
        "placeholder": "Type or paste your post here (Chinese or English)…",
        "drop": "Drop pictures here, or click to choose",
        "drop_hint": "Up to {n} pictures, {mb} MiB each. Text in pictures is read (OCR), which takes a "
                     "few seconds.",
        "checking": "Checking…",
        "reading_images": "Reading text in pictures…",
        "no_findings": "No problems found.",
        "findings_n": "{n} findings",
        "risk": "Risk",
        "safe": "Safe version",
        "safe_hint": "Proposes a rewritten draft and redacted pictures. Accept or reject each change.",
        "safe_stale": "The draft changed since the safe version was made: make it again.",
        "changes": "Changes",
        "no_changes": "No automatic changes needed.",
        "accept": "Accept",
        "notes": "Still to do by hand",
        "result": "Safe text",
        "copy": "Copy",
        "copied": "Copied",
        "download": "Download",
        "download_image": "Download redacted picture",
        "boxes_filled": "{n} areas covered",
        "images_safe": "Redacted pictures (boxes filled, all metadata removed)",
        "remove_image": "Remove",
        "evidence": "Evidence",
        "why": "Why it fired",
        "advice": "How to fix",
        "fix": "Suggested fix",
        "references": "Guidance",
        "location": "Where",
        "in_text": "draft",
        "in_image": "picture",
        "in_metadata": "picture metadata",
        "error": "Error",
        "kind_remove": "remove",
        "kind_replace": "replace",
        "kind_generalise": "generalise",
        "kind_disclose": "add disclosure",
        "kind_delete": "delete (forbidden claim)",
        "fix_remove": "Remove it.",
        "fix_replace": "Replace with “{r}”.",
        "fix_generalise": "Generalise to “{r}”.",
        "fix_disclose": "Add “{r}” at the start.",
        "not_scanned": "Not scanned",
        "image_error": "Could not read",
        "server_error": "The check failed: {e}",
        "lang_switch": "中文",
        "rules_n": "{n} rules",
    },
    "zh": {
        "title": "发布前自查",
        "subtitle": "粘贴草稿、加上图片，发布前看清哪里需要修改。",
        "privacy": "隐私保护：草稿和图片只在本机检查，仅在内存或检查结束即删除的临时文件夹中处理；不记录日志、"
                   "不保存、不发布、不向任何地方发送。",
        "platform": "发布平台",
        "draft": "草稿",
        "placeholder": "在这里输入或粘贴帖子（中文或英文）……",
        "drop": "把图片拖到这里，或点击选择",
        "drop_hint": "最多 {n} 张，每张不超过 {mb} MiB。会识别图片中的文字（OCR），需要几秒钟。",
        "checking": "正在检查……",
        "reading_images": "正在识别图片中的文字……",
        "no_findings": "未发现问题。",
        "findings_n": "发现 {n} 处问题",
        "risk": "风险",
        "safe": "生成安全版本",
        "safe_hint": "给出改写后的草稿和遮挡处理后的图片；每处修改都可以接受或拒绝。",
        "safe_stale": "生成安全版本后草稿又改过了，请重新生成。",
        "changes": "修改",
        "no_changes": "不需要自动修改。",
        "accept": "接受",
        "notes": "仍需手动处理",
        "result": "安全文本",
        "copy": "复制",
        "copied": "已复制",
        "download": "下载",
        "download_image": "下载处理后的图片",
        "boxes_filled": "已遮挡 {n} 处",
        "images_safe": "处理后的图片（已遮挡，已去除全部元数据）",
        "remove_image": "移除",
        "evidence": "原文",
        "why": "触发原因",
        "advice": "修改建议",
        "fix": "建议修改",
        "references": "依据",
        "location": "位置",
        "in_text": "草稿",
        "in_image": "图片",
        "in_metadata": "图片元数据",
        "error": "错误",
        "kind_remove": "删除",
        "kind_replace": "替换",
        "kind_generalise": "泛化",
        "kind_disclose": "添加广告标识",
        "kind_delete": "删除（违规宣传）",
        "fix_remove": "删除。",
        "fix_replace": "替换为“{r}”。",
        "fix_generalise": "泛化为“{r}”。",
        "fix_disclose": "在开头加上“{r}”。",
        "not_scanned": "未识别",
        "image_error": "无法读取",
        "server_error": "检查失败：{e}",
        "lang_switch": "English",
        "rules_n": "{n} 条规则",
    },
}


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@functools.lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    return inline_assets(TEMPLATES / "page.css", TEMPLATES / "page.js")


def csp(script_hash: str, *, meta: bool = False) -> str:
    """The page's policy; the <meta> copy leaves out frame-ancestors, which only works as a header."""
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src blob: data:; connect-src 'self'; "
        f"script-src '{script_hash}'; base-uri 'none'; form-action 'none'"
    )
    return policy if meta else policy + "; frame-ancestors 'none'"


def render(policy: Policy, limits: Limits, lang: str | None, token: str | None) -> tuple[str, str]:
    """(the page, its Content-Security-Policy). `lang` None: the script picks from the browser."""
    css, js, script_hash = _assets()
    labels = {
        code: {"cat": i18n.CATEGORY_LABELS[code], "tag": i18n.CATEGORY_TAGS[code],
               "sev": i18n.SEVERITY_LABELS[code], "lvl": i18n.LEVEL_LABELS[code]}
        for code in ("en", "zh")
    }
    data: dict[str, Any] = {
        "lang": lang,
        "t": STRINGS,
        "labels": labels,
        "platforms": [[key, names] for key, names in PLATFORMS],
        "token": token,  # only ever in a page served to a request that presented it
        "debounce": DEBOUNCE_MS,
        "maxImages": limits.max_images,
        "maxImageMiB": limits.max_image_bytes // 2**20,
        "rules": len(policy.rules),
    }
    first = lang or "zh"
    html = _env().get_template("page.html.j2").render(
        lang=first, t=STRINGS[first], css=Markup(css), js=Markup(js), csp=csp(script_hash, meta=True),
        data_json=Markup(script_json(data)), platforms=PLATFORMS,
    )
    return html, csp(script_hash)
