"""The engine's semantics, on small packs written here (the built-in packs have their own tests)."""

from pathlib import Path

import pytest

from postguard.engine import risk, scan_post
from postguard.model import Finding, Location, Post, Suppression
from postguard.policy.loader import load_policy

PACK = """
pack: t
defaults:
  references: [{title: "test"}]
lists:
  disclosure: ["#ad", "#sponsored", 广告]
rules:
  - id: t-phone
    category: identifiability
    severity: critical
    message: {en: "Phone number.", zh: "手机号。"}
    advice: {en: "Remove it.", zh: "删除。"}
    match: [{regex: '(?<!\\d)1[3-9]\\d{9}(?!\\d)', validator: cn_mobile}]
    context:
      exclude: {words: [挂号, switchboard], before: 10, after: 0}
  - id: t-swear
    category: unprofessional
    severity: medium
    message: Profanity.
    advice: Remove it.
    languages: [en]
    match: [{keywords: [ass, hell]}]
  - id: t-code
    category: conflict_of_interest
    severity: high
    message: Code without disclosure.
    advice: Add #ad.
    match: [{keywords: [优惠码, discount code]}]
    unless: [{keywords: ["@disclosure"]}]
    unless_label: disclosure
  - id: t-bed
    category: identifiability
    severity: medium
    tags: [quasi-location]
    message: Bed.
    advice: Remove.
    match: [{regex: '(?<!\\d)\\d{1,3}床'}]
  - id: t-age
    category: identifiability
    severity: medium
    tags: [quasi-age]
    message: Age.
    advice: Remove.
    match: [{regex: '(?<!\\d)\\d{1,3}岁'}]
  - id: t-clinical
    category: identifiability
    severity: low
    report: false
    tags: [clinical]
    message: clinical
    advice: none
    match: [{keywords: [确诊]}]
  - id: t-combo
    category: identifiability
    severity: high
    message: Combination.
    advice: Remove details.
    combine: {tags: [quasi-location, quasi-age], min: 2, with: [clinical]}
    unless: [{keywords: [经患者同意]}]
    unless_label: patient consent
"""


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    path = Path(tmp_path_factory.mktemp("pack")) / "t.yml"
    path.write_text(PACK, encoding="utf-8")
    return load_policy([path], builtin=False)


def rules(result):
    return [f.rule for f in result.findings]


def test_evidence_is_the_original_text_at_start_end(policy):
    text = "第一行\n家属电话：１３８ １２３４ ５６７８ 请回电"
    result = scan_post(Post("p", text), policy)
    (f,) = result.findings
    assert f.rule == "t-phone"
    assert text[f.location.start:f.location.end] == f.evidence == "１３８ １２３４ ５６７８"
    assert (f.location.line, f.location.column) == (2, 6)


def test_messages_follow_the_post_language(policy):
    zh = scan_post(Post("p", "电话13812345678"), policy).findings[0]
    en = scan_post(Post("p", "call me on 13812345678 today please"), policy).findings[0]
    assert zh.message == "手机号。" and en.message == "Phone number."
    assert zh.messages == {"en": "Phone number.", "zh": "手机号。"}


def test_context_exclude_words_silence_a_match(policy):
    assert rules(scan_post(Post("p", "挂号电话13812345678"), policy)) == []


def test_latin_keywords_match_whole_words_only(policy):
    assert rules(scan_post(Post("p", "A thorough assessment in the shell"), policy)) == []
    assert rules(scan_post(Post("p", "what the hell was that"), policy)) == ["t-swear"]


def test_keywords_are_case_insensitive_and_survive_zero_width_characters(policy):
    assert rules(scan_post(Post("p", "Use my DISCOUNT CODE now"), policy)) == ["t-code"]
    assert rules(scan_post(Post("p", "领取优\u200b惠码"), policy)) == ["t-code"]


def test_unless_disclosure_anywhere_in_the_post_silences_the_rule(policy):
    assert rules(scan_post(Post("p", "#ad use my discount code DR10"), policy)) == []
    assert rules(scan_post(Post("p", "评论区领优惠码\n\n广告"), policy)) == []
    f = scan_post(Post("p", "use my discount code DR10"), policy).findings[0]
    assert "no disclosure found" in f.why


def test_language_scoped_rules_do_not_read_other_languages(policy):
    # t-swear is English-only: a Chinese post quoting "hell" in isolation is still English text...
    assert rules(scan_post(Post("p", "地狱 hell"), policy)) == ["t-swear"]
    # ...but a post with no Latin words is never read by it
    assert "t-swear" not in rules(scan_post(Post("p", "今天很忙"), policy))


def test_combination_rule_escalates_two_quasi_identifiers_with_a_clinical_term(policy):
    result = scan_post(Post("p", "18床93岁的大爷确诊肺癌"), policy)
    assert "t-combo" in rules(result)
    assert "t-clinical" not in rules(result)  # a signal is not reported
    combo = next(f for f in result.findings if f.rule == "t-combo")
    assert "quasi-location" in combo.why and "quasi-age" in combo.why


def test_combination_needs_the_anchor_and_enough_distinct_tags(policy):
    assert "t-combo" not in rules(scan_post(Post("p", "18床93岁的大爷出院了"), policy))
    assert "t-combo" not in rules(scan_post(Post("p", "18床确诊肺癌"), policy))


def test_front_matter_suppressions_move_findings_aside_with_their_reason(policy):
    post = Post("p", "电话13812345678", suppressions=(Suppression("t-phone", "our ward's public number"),))
    result = scan_post(post, policy)
    assert result.findings == ()
    assert result.suppressed[0].reason == "our ward's public number"
    assert result.risk.level == "none"


def test_risk_level_follows_the_worst_finding_and_rises_with_several():
    def f(sev):
        return Finding("r", "identifiability", sev, "", "", (), "", Location("text", 0, 0, 1, 1), "")

    assert risk([]).level == "none"
    assert risk([f("medium")]).level == "medium"
    assert risk([f("high")]).level == "high"
    assert risk([f("high"), f("high"), f("high")]).level == "critical"
    assert risk([f("critical")]).score >= risk([f("high"), f("medium")]).score


def test_findings_are_ordered_by_position(policy):
    result = scan_post(Post("p", "hell 13812345678 hell"), policy)
    starts = [f.location.start for f in result.findings]
    assert starts == sorted(starts)


# a pack's opening lines; the test packs below add their rules
PACK_HEAD = """
pack: p
defaults:
  references: [{title: "test"}]
rules:
"""

PREFILTER_PACK = PACK_HEAD + """  - id: p-residence
    category: identifiability
    severity: medium
    message: m
    advice: a
    match:
      - regex: '\\p{Han}{2,6}小区\\d{1,3}栋'
        trigger: [小区]
  - id: p-number
    category: identifiability
    severity: medium
    message: m
    advice: a
    match:
      - regex: 'no\\.?\\s*(?P<ev>\\d+)'
        min_digits: 6
"""


def pack_policy(tmp_path, text):
    """The policy of one pack written from `text` (no built-in packs)."""
    path = tmp_path / "p.yml"
    path.write_text(text, encoding="utf-8")
    return load_policy([path], builtin=False)


def test_trigger_words_and_digit_runs_gate_a_regex_without_changing_its_result(tmp_path):
    policy = pack_policy(tmp_path, PREFILTER_PACK)
    assert rules(scan_post(Post("p", "住在阳光小区3栋的阿姨"), policy)) == ["p-residence"]
    assert rules(scan_post(Post("p", "住在阳光花园3栋的阿姨"), policy)) == []
    assert rules(scan_post(Post("p", "hospital no. 1234567"), policy)) == ["p-number"]
    assert rules(scan_post(Post("p", "step no. 12345"), policy)) == []  # only 5 digits: the regex never runs


def test_trigger_is_for_regex_matchers_only(tmp_path):
    from postguard.policy.loader import PolicyError

    with pytest.raises(PolicyError, match="`trigger` applies to regex matchers only"):
        pack_policy(tmp_path, PREFILTER_PACK.replace("      - regex: '\\p{Han}{2,6}小区\\d{1,3}栋'\n",
                                                     "      - keywords: [小区]\n"))


def test_text_without_letters_is_still_scanned(policy):
    # an OCR'd card or a bare number has no words to guess a language from: every rule reads it
    assert rules(scan_post(Post("p", "13812345678"), policy)) == ["t-phone"]
    assert rules(scan_post(Post("p", "138 1234 5678 / 2024"), policy)) == ["t-phone"]


def test_combination_rules_obey_their_own_unless(policy):
    assert "t-combo" not in rules(scan_post(Post("p", "经患者同意分享：18床93岁的大爷确诊肺癌"), policy))
    combo = next(f for f in scan_post(Post("p", "18床93岁的大爷确诊肺癌"), policy).findings if f.rule == "t-combo")
    assert "no patient consent found" in combo.why


MATCHER_CONTEXT_PACK = PACK_HEAD + """  - id: p-discount
    category: conflict_of_interest
    severity: medium
    message: m
    advice: a
    context:
      exclude: {words: [not sponsored by anyone], window: 40}
    match:
      - keywords: [code]
        context:
          require: {words: ['%', 'off', discount], window: 15}
      - regex: '\\d+号链接'
        context:
          exclude: {words: [床], before: 10, after: 0}
"""


def test_a_matcher_can_carry_its_own_context_besides_the_rules(tmp_path):
    policy = pack_policy(tmp_path, MATCHER_CONTEXT_PACK)
    # the keyword matcher needs a discount word nearby; the regex matcher does not
    assert rules(scan_post(Post("p", "use code ANNA for 20% off"), policy)) == ["p-discount"]
    assert rules(scan_post(Post("p", "the billing code for this visit"), policy)) == []
    assert rules(scan_post(Post("p", "今晚直播3号链接"), policy)) == ["p-discount"]
    # the regex matcher's own exclusion applies to it alone
    assert rules(scan_post(Post("p", "隔壁床3号链接"), policy)) == []
    # the rule's exclusion still applies to every matcher
    assert rules(scan_post(Post("p", "code 20% off, not sponsored by anyone"), policy)) == []
    finding = scan_post(Post("p", "use code ANNA for 20% off"), policy).findings[0]
    assert "near “%”" in finding.why


def test_context_on_an_unless_matcher_is_an_error(tmp_path):
    from postguard.policy.loader import PolicyError

    pack = MATCHER_CONTEXT_PACK.replace(
        "    match:\n      - keywords: [code]",
        "    unless:\n      - keywords: ['#ad']\n        context: {require: [x]}\n    match:\n      - keywords: [code]", 1)
    with pytest.raises(PolicyError, match="`context` applies to `match` matchers, not to `unless`"):
        pack_policy(tmp_path, pack)


EXCLUSION_PACK = PACK_HEAD + """
  - id: p-claim
    category: advertising_claims
    severity: medium
    message: m
    advice: a
    match:
      - keywords: [根治]
    context:
      exclude:
        - {words: [没有, 绝无], before: 4, after: 0}
        - {words: [谨防, 没有], before: 12, after: 0}
        - {regex: '不(?:能|可能)', before: 4, after: 0}
"""


def test_each_exclusion_word_reaches_only_as_far_as_its_own_window(tmp_path):
    policy = pack_policy(tmp_path, EXCLUSION_PACK)
    assert rules(scan_post(Post("p", "我们保证根治"), policy)) == ["p-claim"]
    assert rules(scan_post(Post("p", "没有药能根治"), policy)) == []  # within 4 before
    assert rules(scan_post(Post("p", "谨防那些号称能根治的广告"), policy)) == []  # within 12 before
    assert rules(scan_post(Post("p", "谨防。我们的新疗法保证一定根治"), policy)) == ["p-claim"]  # 13 away
    assert rules(scan_post(Post("p", "没有。我们保证根治"), policy)) == []  # 没有 also reaches 12 (second window)
    assert rules(scan_post(Post("p", "绝无。我们保证根治"), policy)) == ["p-claim"]  # 绝无 reaches only 4
    assert rules(scan_post(Post("p", "不可能根治"), policy)) == []  # a window's pattern still counts
    assert rules(scan_post(Post("p", "根治没有"), policy)) == ["p-claim"]  # nothing reaches after the match


SENTENCE_PACK = PACK_HEAD + """
  - id: p-dose
    category: diagnostic_advice
    severity: medium
    message: m
    advice: a
    match:
      - regex: '\\d+(?:\\.\\d+)?\\s?mg'
    context:
      require: {words: [你, your], within: sentence}
      exclude: {words: [说明书, label], within: sentence, before: 30}
"""


def test_a_window_can_stop_at_the_end_of_the_sentence(tmp_path):
    policy = pack_policy(tmp_path, SENTENCE_PACK)
    assert rules(scan_post(Post("p", "你每天吃2.5mg就行"), policy)) == ["p-dose"]  # 2.5 stays one sentence
    assert rules(scan_post(Post("p", "你别担心。成人一般每天5mg，遵医嘱"), policy)) == []  # 你 is a sentence back
    assert rules(scan_post(Post("p", "Take 5 mg of it, your dose e.g. daily"), policy)) == ["p-dose"]
    assert rules(scan_post(Post("p", "Thanks for your question. Adults take 5 mg daily"), policy)) == []
    assert rules(scan_post(Post("p", "说明书写着每天5mg。你按这个吃5mg"), policy)) == ["p-dose"]  # 说明书 is a sentence back
    assert rules(scan_post(Post("p", "你看说明书，每天5mg"), policy)) == []  # excluded within the sentence


def test_within_accepts_only_sentence(tmp_path):
    from postguard.policy.loader import PolicyError

    with pytest.raises(PolicyError, match="within must be `sentence`"):
        pack_policy(tmp_path, SENTENCE_PACK.replace("within: sentence}", "within: paragraph}", 1))


OUTSIDE_PACK = PACK_HEAD + """
  - id: p-safety
    category: advertising_claims
    severity: medium
    message: m
    advice: a
    match:
      - regex: '(?:没有|无)任何副作用'
    context:
      exclude:
        - {words: [没有, 不是], before: 6, after: 0, outside_match: true}
"""


def test_an_exclusion_can_ignore_words_inside_the_match(tmp_path):
    policy = pack_policy(tmp_path, OUTSIDE_PACK)
    assert rules(scan_post(Post("p", "我们的产品没有任何副作用"), policy)) == ["p-safety"]  # its own 没有
    assert rules(scan_post(Post("p", "不是没有任何副作用"), policy)) == []  # a 不是 before the claim
    # without the flag the claim's own 没有 would silence it
    plain = pack_policy(tmp_path, OUTSIDE_PACK.replace(", outside_match: true", ""))
    assert rules(scan_post(Post("p", "我们的产品没有任何副作用"), plain)) == []


def test_outside_match_and_plain_exclusion_windows_of_one_rule_keep_their_own_reach(tmp_path):
    # both kinds share one word index: each word keeps its window's reach and whether it may lie inside the match
    policy = pack_policy(tmp_path, OUTSIDE_PACK.replace(
        "outside_match: true}", "outside_match: true}\n        - {words: [无, 测试], before: 0, after: 4}"))
    assert rules(scan_post(Post("p", "我们的产品没有任何副作用"), policy)) == ["p-safety"]
    assert rules(scan_post(Post("p", "没有任何副作用，测试"), policy)) == []  # 测试 within 4 after
    assert rules(scan_post(Post("p", "没有任何副作用，这是测试"), policy)) == ["p-safety"]  # 6 after: too far
    assert rules(scan_post(Post("p", "产品无任何副作用"), policy)) == []  # 无 is plain here: inside counts
