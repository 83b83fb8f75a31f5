"""Normalisation: script, width, pinyin glosses, key matching, tokens."""

from __future__ import annotations

import pytest

from bot.text import Tokenizer, compact, contains_key, detect_script, normalize, strip_pinyin, to_script


def test_pinyin_glosses_are_removed_from_a_report_line() -> None:
    line = "云陽(yáng)縣實(shí)施“五大行動(dòng)” 深入推動(dòng)“雙減”落地見(jiàn)效"
    assert strip_pinyin(line) == "云陽縣實施“五大行動” 深入推動“雙減”落地見效"


def test_pinyin_gloss_rule_leaves_chinese_parentheses_alone() -> None:
    assert strip_pinyin("(云陽縣教委供稿)") == "(云陽縣教委供稿)"
    assert strip_pinyin("乡镇(街道)") == "乡镇(街道)"


def test_normalize_gives_the_simplified_search_form() -> None:
    assert normalize("學(xué)習(xí)  課後服務，ＡＢ１") == "学习 课后服务,AB1"


def test_script_detection() -> None:
    assert detect_script("課後服務有哪些社團") == "traditional"
    assert detect_script("课后服务有哪些社团") == "simplified"
    assert detect_script("5+2?") == "simplified"


def test_to_script_round_trip() -> None:
    assert to_script("课后服务收费", "traditional") == "課後服務收費"
    assert to_script("課後服務收費", "simplified") == "课后服务收费"


def test_keys_match_after_normalisation() -> None:
    assert compact("不高于 2 元/課時") == "不高于2元课时"
    assert contains_key("按照不高于2元/课时生标准收取", ["2元/课时"])
    assert contains_key("叫停整改利用法定節(jié)假日、休息日開展", ["法定节假日休息日"])
    assert not contains_key("课后服务", ["耗材"])


def test_tokenizer_keeps_domain_words_and_drops_question_words() -> None:
    tokens = Tokenizer(["课后服务", "5+2"]).tokens("请问课后服务怎么收费?5+2")
    assert "课后服务" in tokens and "5+2" in tokens and "收费" in tokens
    assert "请问" not in tokens and "怎么" not in tokens and "?" not in tokens


def test_tokenizers_do_not_share_state() -> None:
    a = Tokenizer(["隐形变异"])
    b = Tokenizer()
    assert "隐形变异" in a.cut("查处隐形变异培训")
    assert "隐形变异" not in b.cut("查处隐形变异培训")


def test_commonness_tells_everyday_words_from_rare_and_domain_ones() -> None:
    tokenizer = Tokenizer(["课后服务"])
    assert tokenizer.commonness("到") < tokenizer.commonness("作业") < tokenizer.commonness("轮岗")
    assert tokenizer.commonness("课后服务") == float("inf")  # a domain word is never common
    # a mis-cut or a stray dictionary phrase is as common as its characters
    assert tokenizer.commonness("里会") == pytest.approx((tokenizer.commonness("里") + tokenizer.commonness("会")) / 2)
    assert tokenizer.commonness("够不够") < tokenizer.commonness("作业")


def test_a_not_a_question_forms_are_not_content_words() -> None:
    tokenizer = Tokenizer(["培训机构"])
    assert tokenizer.content_words("培训机构多不多") == ["培训机构"]


def test_a_particle_glued_to_a_word_is_not_part_of_it() -> None:
    tokenizer = Tokenizer()
    words = tokenizer.content_words("涪陵课后有哪些特色课嘛,想看哈")
    assert "课嘛" not in words and "课" in words and "看哈" not in words
    assert "哈尔滨" in tokenizer.content_words("哈尔滨的学校")  # a real word ending in such a character stays whole


def test_the_tail_of_a_split_a_not_a_question_is_not_a_word() -> None:
    tokenizer = Tokenizer()
    assert tokenizer.content_words("泸州作业管得严不严哦") == ["泸州", "作业", "管得严"]
    assert "多份" not in tokenizer.content_words("发了好多份")  # a count asked for, not a word


def test_an_a_not_a_question_whose_a_jieba_glued_to_the_word_before_is_taken_apart() -> None:
    tokenizer = Tokenizer()
    assert tokenizer.content_words("交的钱安不安全") == ["交", "钱", "安全"]  # jieba: 钱安 / 不 / 安全


def test_someone_asked_about_is_not_glued_to_what_they_do() -> None:
    tokenizer = Tokenizer()
    assert tokenizer.content_words("到底有没有人管") == ["管"]  # jieba: 有没有 / 人管
    assert tokenizer.content_words("有人员配备吗") == ["人员配备"]  # a word starting with 人 stays whole
    assert "人去" not in tokenizer.content_words("派了好多人去")  # jieba: 好多 / 人去
    assert tokenizer.content_words("外头的人会来上课不") == ["外头", "上课"]  # jieba: 的 / 人会来
    assert tokenizer.content_words("现在有人管没得") == ["管"]  # jieba: 有人 / 管没得


def test_only_is_not_a_content_word() -> None:
    assert Tokenizer().content_words("还是只有城里的学校有") == ["城里", "学校"]


def test_the_a_of_an_a_not_a_question_before_the_whole_word_is_not_a_word() -> None:
    assert Tokenizer().content_words("到底舍不舍得花钱") == ["舍得", "花钱"]  # jieba: 舍 / 不 / 舍得
