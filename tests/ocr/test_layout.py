"""bot.ocr.layout: boxes → rows → paragraphs, from geometry alone (no OCR runs here)."""

from __future__ import annotations

from bot.ocr.accuracy import character_accuracy, edit_distance
from bot.ocr.layout import OcrLine, OcrPage


def box(text: str, left: float, top: float, right: float, height: float = 30.0, score: float = 0.99) -> OcrLine:
    return OcrLine(text, score, ((left, top), (right, top), (right, top + height), (left, top + height)))


def test_boxes_on_one_row_are_joined_left_to_right() -> None:
    page = OcrPage((box("每课时3元", 400, 102, 560), box("收费标准:", 100, 100, 380), box("请按时缴纳。", 100, 160, 400)))
    assert page.text == "收费标准:每课时3元\n请按时缴纳。"


def test_latin_words_on_one_row_keep_a_space() -> None:
    assert OcrPage((box("Unit", 100, 100, 180), box("3", 200, 100, 220))).text == "Unit 3"


def test_wrapped_rows_become_one_paragraph_headings_and_outline_items_do_not() -> None:
    page = OcrPage(
        (
            box("示例区工作报告", 400, 40, 760),  # centred title
            box("一、课后服务", 100, 100, 400),
            box("全区学校课后服务实现全覆盖每天不少于", 100, 160, 1000),  # runs to the right edge
            box("2小时。", 100, 220, 250),
            box("课后服务费按每课时2元收取,", 100, 280, 800),  # ends in a comma
            box("困难学生免收。", 100, 340, 400),
            box("二、作业管理", 100, 400, 400),
        )
    )
    assert page.paragraphs().split("\n") == [
        "示例区工作报告",
        "一、课后服务",
        "全区学校课后服务实现全覆盖每天不少于2小时。",
        "课后服务费按每课时2元收取,困难学生免收。",
        "二、作业管理",
    ]


def test_confidence_is_weighted_by_characters_and_turned_pages_are_noticed() -> None:
    page = OcrPage((box("课后服务收费通知", 0, 0, 400, score=1.0), box("?", 0, 50, 20, score=0.0)))
    assert abs(page.confidence - 8 / 9) < 1e-9
    tall = OcrPage(tuple(OcrLine("课后服务", 0.9, ((x, 0), (x + 30, 0), (x + 30, 200), (x, 200))) for x in (0, 50, 100)))
    assert tall.mostly_vertical and not page.mostly_vertical


def test_character_accuracy_ignores_spaces_and_punctuation_width() -> None:
    assert character_accuracy("收费标准：每课时 3 元", "收费标准:每课时3元") == 1.0
    assert character_accuracy("收费标准:每课时8元", "收费标准:每课时3元") == 0.9
    assert character_accuracy("", "收费") == 0.0
    assert edit_distance("kitten", "sitting") == 3
