from postguard.text import languages, line_col, main_language, normalise


def test_full_width_digits_are_matched_and_mapped_back_to_the_original():
    original = "电话：１３８ １２３４－５６７８，谢谢"
    norm = normalise(original)
    start = norm.text.index("13812345678")
    o_start, o_end = norm.span(start, start + 11)
    assert original[o_start:o_end] == "１３８ １２３４－５６７８"


def test_spaces_and_dashes_inside_phone_numbers_are_removed():
    assert "13812345678" in normalise("call 138 1234 5678").text
    assert "13812345678" in normalise("call 138-1234-5678").text


def test_dates_and_short_ranges_keep_their_separators():
    assert normalise("2023-10-05 每次1-2片").text == "2023-10-05 每次1-2片"


def test_zero_width_characters_inside_words_are_removed():
    original = "加\u200b微\u200c信"
    norm = normalise(original)
    assert norm.text == "加微信"
    assert norm.span(0, 3) == (0, len(original))


def test_traditional_chinese_is_mapped_to_simplified_one_to_one():
    norm = normalise("住院號：醫院")
    assert norm.text == "住院号:医院"
    assert len(norm.text) == len("住院號：醫院")


def test_identity_mapping_for_plain_text():
    norm = normalise("plain text 普通文本")
    assert norm.starts is None
    assert norm.span(2, 5) == (2, 5)


def test_language_detection():
    assert languages("患者 bed 4") == ("zh", "en")
    # Han characters outside the common block count too, and a lone Latin letter or a digit is no language
    assert languages("㐀 4") == ("zh",) and languages("𠀀") == ("zh",) and languages("〇") == ("zh",)
    assert languages("a 4 ½ “é”") == () and languages("") == ()
    assert main_language("今天门诊很忙 OK") == "zh"
    assert main_language("Busy clinic today 忙") == "en"


def test_line_col_is_one_based():
    assert line_col("ab\ncd", 4) == (2, 2)


def test_shipped_traditional_table_matches_opencc():
    import pytest

    pytest.importorskip("opencc")
    from postguard.text import T2S_DATA, build_traditional_table

    assert T2S_DATA.read_text(encoding="utf-8") == build_traditional_table(), \
        "regenerate postguard/data/t2s.txt with postguard.text.build_traditional_table()"
