"""Hand-made scan results for the HTML report tests and benchmark: no engine, no OCR.

Three accounts, Chinese and English posts, findings in every category with offsets that really point
at their evidence (one nested inside another), an image with OCR boxes and a GPS tag, an image that was
not scanned, a suppressed finding, two compliant posts, an input error, and a post carrying an XSS
payload in its text, its URL and a reference link.
"""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

from fake_run import BaseFakeRun
from PIL import Image, ImageDraw, ImageFont

from postguard.model import (
    Finding,
    ImageResult,
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
from postguard.report.html import render

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
PHONE = "13812345678"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
XSS_LINK = "javascript:alert(1)"

NHC = Reference("互联网诊疗监管细则（试行）第十八条", "https://www.nhc.gov.cn/yzygj/s3594q/202203/fa87807fa6e1411e9afeb82a4211f287.shtml")
GMC = Reference("GMC, Doctors' use of social media (2013) ¶17", "https://www.gmc-uk.org/ethical-guidance/social-media")
FTC = Reference("FTC Endorsement Guides, 16 CFR 255.5", "https://www.ecfr.gov/current/title-16/part-255/section-255.5")
ADLAW = Reference("广告法 第九条、第十六条", "https://www.samr.gov.cn/")
EVIL = Reference("evil reference", XSS_LINK)
NO_URL = Reference("Hospital social media policy §4 (internal)", None)


def _rule(rule_id: str, category: str, severity: str, en: str, zh: str, advice_en: str, advice_zh: str,
          refs: tuple[Reference, ...]) -> Rule:
    return Rule(rule_id, category, severity, {"en": en, "zh": zh}, {"en": advice_en, "zh": advice_zh}, refs,
                pack="postguard-core")


RULES: dict[str, Rule] = {r.id: r for r in (
    _rule("id-cn-mobile", "identifiability", "critical", "A mobile phone number is published",
          "发布了手机号码", "Remove the number; never publish a patient's contact details.",
          "删除号码；不得公开患者联系方式。", (NHC, GMC)),
    _rule("id-record-number", "identifiability", "high", "A hospital record number is published",
          "发布了住院号/病历号", "Remove or replace the record number.", "删除或替换住院号。", (NHC,)),
    _rule("id-quasi-combination", "identifiability", "medium",
          "Several details together could identify the patient", "多项信息组合后可识别患者",
          "Drop at least two of: age, sex, record number, place, date.", "至少删除年龄、性别、住院号、地点、日期中的两项。",
          (GMC,)),
    _rule("id-ocr-name", "identifiability", "high", "A patient's name is visible in the image",
          "图片中可见患者姓名", "Crop or blur the name before posting.", "发布前裁剪或打码姓名。", (NHC,)),
    _rule("id-ocr-bed", "identifiability", "medium", "A bed number is visible in the image", "图片中可见床号",
          "Blur the bed number.", "对床号打码。", (NHC,)),
    _rule("id-exif-gps", "identifiability", "high", "The photo carries GPS coordinates", "照片包含 GPS 定位",
          "Strip location metadata (EXIF) before posting.", "发布前清除照片的位置信息（EXIF）。", (GMC,)),
    _rule("dx-online-prescribing", "diagnostic_advice", "high", "Offers to prescribe without a consultation",
          "未经面诊承诺开方", "Invite people to book a proper consultation instead.", "请引导患者正规就诊。",
          (NHC,)),
    _rule("ad-cure-guarantee", "advertising_claims", "high", "Guarantees a cure", "保证治愈",
          "Remove cure guarantees; describe evidence, not outcomes.", "删除保证治愈类表述。", (ADLAW, FTC)),
    _rule("ad-superlative", "advertising_claims", "medium", "Uses an absolute superlative", "使用绝对化用语",
          "Remove superlatives such as 最先进 / the best.", "删除“最先进”等绝对化用语。", (ADLAW,)),
    _rule("coi-undisclosed-promo", "conflict_of_interest", "medium",
          "Promotes a product with a discount code but no disclosure", "推广产品但未声明利益关系",
          "Add a clear disclosure such as #ad at the start.", "在开头明确标注“广告”或合作关系。", (FTC,)),
    _rule("up-insult", "unprofessional", "medium", "Insults patients", "侮辱患者",
          "Remove the insult; criticise behaviour, not people.", "删除侮辱性词语。", (GMC, NO_URL)),
    _rule("up-raw-markup", "unprofessional", "low", "Post contains raw markup", "帖子包含原始代码",
          "Remove the markup.", "删除代码。", (EVIL, NO_URL)),
)}


def finding(post: Post, rule_id: str, evidence: str, why: str = "pattern matched", lang: str = "en") -> Finding:
    """A text finding whose start/end point at `evidence` in the post body, as the engine gives them."""
    start = post.text.index(evidence)
    before = post.text[:start]
    line = before.count("\n") + 1
    column = start - (before.rfind("\n") + 1) + 1
    r = RULES[rule_id]
    return Finding(r.id, r.category, r.severity, r.message(lang), r.advice(lang), r.references, evidence,
                   Location("text", start, start + len(evidence), line, column), why,
                   messages=dict(r.messages), advices=dict(r.advices))


def ocr_finding(rule_id: str, image: str, ocr_text: str, evidence: str, bbox: tuple[int, int, int, int],
                why: str) -> Finding:
    start = ocr_text.index(evidence)
    r = RULES[rule_id]
    return Finding(r.id, r.category, r.severity, r.message("zh"), r.advice("zh"), r.references, evidence,
                   Location("image", start, start + len(evidence), image=image, bbox=bbox), why,
                   messages=dict(r.messages), advices=dict(r.advices))


def gps_finding(image: str, evidence: str) -> Finding:
    r = RULES["id-exif-gps"]
    return Finding(r.id, r.category, r.severity, r.message("zh"), r.advice("zh"), r.references, evidence,
                   Location("metadata", image=image, field="GPSInfo"), f"EXIF GPSInfo is {evidence}",
                   messages=dict(r.messages), advices=dict(r.advices))


# ---- the lab-report image: drawn with Pillow, so the boxes are the real positions of the text ----
LAB_IMAGE = "images/lab-report.png"
LAB_SIZE = (900, 600)
LAB_LINES = ("检验报告单", "姓名: 李小明   性别: 男   年龄: 52", "床号: 12   科室: 内分泌科", "空腹血糖 11.2 mmol/L ↑",
             "糖化血红蛋白 8.1 % ↑")
LAB_OCR = "\n".join(LAB_LINES)


@functools.lru_cache(maxsize=1)
def lab_image() -> tuple[str, dict[str, tuple[int, int, int, int]]]:
    """(thumbnail data URI, {evidence: bbox in original pixels})."""
    img = Image.new("RGB", LAB_SIZE, "#fbfaf6")
    draw = ImageDraw.Draw(img)
    big = ImageFont.truetype(CJK_FONT, 44)
    font = ImageFont.truetype(CJK_FONT, 32)
    boxes: dict[str, tuple[int, int, int, int]] = {}
    draw.rectangle((20, 20, LAB_SIZE[0] - 20, LAB_SIZE[1] - 20), outline="#c9c4b5", width=3)
    y = 50
    for i, line in enumerate(LAB_LINES):
        f = big if i == 0 else font
        x = 60 if i else 330
        draw.text((x, y), line, font=f, fill="#222")
        for ev in ("姓名: 李小明", "床号: 12"):
            if line.startswith(ev):
                left, t, r, b = draw.textbbox((x, y), ev, font=f)
                boxes[ev] = (left - 4, t - 4, r - left + 8, b - t + 8)
        y += 100 if i == 0 else 80
    thumb = img.copy()
    thumb.thumbnail((450, 450))
    buf = io.BytesIO()
    thumb.save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), boxes


def sample_results() -> list[PostResult]:
    thumb, boxes = lab_image()
    out: list[PostResult] = []

    p1 = Post("weibo-4981", "【门诊日记】今天来了一位 52 岁的王阿姨，住院号 ZY20240315，电话 " + PHONE + "，吃了三个月的药还是没好。\n"
              "有类似情况的朋友可以私信我，我直接给你开方子，不用来医院。", account="dr_li", platform="weibo",
              published_at="2024-03-05T21:14:00+08:00", url="https://weibo.com/1234/4981",
              source="exports/weibo.jsonl:1")
    out.append(PostResult(p1, (
        finding(p1, "id-cn-mobile", PHONE, f"11-digit mobile number {PHONE} after the context word 电话", "zh"),
        finding(p1, "id-quasi-combination", "52 岁的王阿姨，住院号 ZY20240315",
                "age + surname/honorific + record number in one post (3 quasi-identifiers)", "zh"),
        finding(p1, "id-record-number", "住院号 ZY20240315", "record-number pattern after 住院号", "zh"),
        finding(p1, "dx-online-prescribing", "我直接给你开方子，不用来医院",
                "offer to prescribe (开方) together with 不用来医院; no consultation mentioned", "zh"),
    ), Risk(97, "critical"), language="zh"))

    # emoji before the evidence: offsets are code points, JavaScript counts UTF-16 units
    p2 = Post("ig-20240402", "Thrilled 🙌🏻✨ to partner with VitaBoost! Their new supplement is a 100% cure for chronic "
              "fatigue - guaranteed results in 7 days.\nUse code DRSMITH20 for 20% off.", account="dr_smith",
              platform="instagram", published_at="2024-04-02T08:00:00Z", source="exports/instagram.json:2")
    out.append(PostResult(p2, (
        finding(p2, "ad-cure-guarantee", "100% cure for chronic fatigue", "'100% cure' is a cure guarantee"),
        finding(p2, "ad-cure-guarantee", "guaranteed results in 7 days", "'guaranteed results' promises an outcome"),
        finding(p2, "coi-undisclosed-promo", "Use code DRSMITH20",
                "discount code near a brand name; no disclosure (#ad, #sponsored, paid partnership) in the post"),
    ), Risk(82, "high"), language="en"))

    p3 = Post("xhs-lab", "分享一份化验单，大家看看这个指标高不高？", images=(LAB_IMAGE, "images/clip.heic"),
              account="dr_wang", platform="xiaohongshu", published_at="2024-04-18T12:30:00+08:00",
              source="posts/xhs-lab.md")
    out.append(PostResult(p3, (
        ocr_finding("id-ocr-name", LAB_IMAGE, LAB_OCR, "姓名: 李小明", boxes["姓名: 李小明"],
                    "OCR text: the label 姓名 followed by 2–3 Han characters"),
        ocr_finding("id-ocr-bed", LAB_IMAGE, LAB_OCR, "床号: 12", boxes["床号: 12"],
                    "OCR text: the label 床号 followed by a number"),
        gps_finding(LAB_IMAGE, "31.2304, 121.4737"),
    ), Risk(78, "high"), images=(
        ImageResult(LAB_IMAGE, "scanned", LAB_OCR, width=LAB_SIZE[0], height=LAB_SIZE[1], thumbnail=thumb),
        ImageResult("images/clip.heic", "not_scanned", detail="HEIC needs pillow-heif: pip install postguard[heic]"),
    ), language="zh"))

    p4 = Post("tw-1777", "Another 14-hour shift. Honestly some of these patients are idiots who google everything.",
              images=("images/missing.jpg",), account="dr_smith", platform="twitter",
              published_at="2024-01-20T23:55:00Z", source="exports/twitter.js:17")
    out.append(PostResult(p4, (finding(p4, "up-insult", "idiots", "insult 'idiots' about patients"),),
                          Risk(45, "medium"), images=(ImageResult("images/missing.jpg", "error",
                                                                  detail="file not found"),),
                          errors=(InputError("images/missing.jpg", "file not found; check the path"),),
                          language="en"))

    xss_text = (f"Testing the editor: {XSS_SCRIPT} then {XSS_IMG} and [click me]({XSS_LINK}).\n"
                "Call 13900001111 for details.")
    p5 = Post("xss-1", xss_text, account="dr_smith", platform="blog", published_at="2024-02-11",
              url=XSS_LINK, source="posts/xss.md")
    out.append(PostResult(p5, (
        finding(p5, "id-cn-mobile", "13900001111", "11-digit mobile number"),
        finding(p5, "up-raw-markup", XSS_SCRIPT, "HTML tag <script> in the text"),
    ), Risk(70, "high"), language="en"))

    p6 = Post("wx-ads", "本院引进德国最先进的设备，欢迎预约体检。", account="dr_wang", platform="wechat",
              published_at="2024-05-06T10:00:00+08:00", source="exports/wechat.csv:9")
    out.append(PostResult(p6, (), Risk(0, "none"), suppressed=(SuppressedFinding(
        finding(p6, "ad-superlative", "最先进", "superlative 最先进", "zh"),
        "Quoted from the hospital's approved announcement (广审文号 2024-001)", "front matter"),), language="zh"))

    p7 = Post("wx-health", "秋冬季是轮状病毒腹泻高发期，注意口服补液，孩子精神差要及时就医。", account="dr_li",
              platform="wechat", published_at="2024-05-20T09:00:00+08:00", source="exports/wechat.csv:12")
    out.append(PostResult(p7, (), Risk(0, "none"), language="zh"))

    p8 = Post("tw-1802", "Flu season is here: wash your hands and get your vaccine at any community clinic.",
              account="dr_smith", platform="twitter", published_at="2024-03-28T14:00:00Z",
              source="exports/twitter.js:31")
    out.append(PostResult(p8, (), Risk(0, "none"), language="en"))

    p9 = Post("weibo-5012", "这款护肝片我自己吃了半年，效果最好，评论区抽三位送！", account="dr_li", platform="weibo",
              published_at="2024-05-12T19:40:00+08:00", source="exports/weibo.jsonl:6")
    out.append(PostResult(p9, (
        finding(p9, "ad-superlative", "效果最好", "superlative 最好 about a product", "zh"),
    ), Risk(35, "medium"), language="zh"))
    return out


@dataclass
class FakeRun(BaseFakeRun):
    policy: Policy = field(default_factory=lambda: Policy(
        [PackInfo("postguard-core", "2024.05", "policies/core"), PackInfo("cn-medical-ads", "1.2.0", "policies/ads")],
        list(RULES.values())))
    started_at: str = "2024-05-21T09:30:00+08:00"


def make_run(results: list[PostResult] | None = None) -> FakeRun:
    return FakeRun(results if results is not None else sample_results(),
                   late_input_errors=[InputError("exports/weibo.jsonl:7", "not valid JSON (Expecting value); "
                                                 "fix or remove the line")])


def render_report(run: FakeRun | None = None, **options: object) -> str:
    out = io.StringIO()
    render(run or make_run(), out, ReportOptions(**options))  # type: ignore[arg-type]
    return out.getvalue()


def write_report(path: Path, run: FakeRun | None = None, **options: object) -> Path:
    path.write_text(render_report(run, **options), encoding="utf-8")
    return path
