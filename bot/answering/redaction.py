"""Redaction marks in anonymised reports, as parents see them.

The anonymised survey report hides figures, names and years with `*`, `**` and `XX`
("不得超过*元/学期生", "自20XX年秋学期开始", "*区现有*所…"). The index keeps the marks
(searching stays exact); only what a parent reads changes: a hidden figure or year
becomes "(原文隐去)" as a whole, so no figure appears half-hidden, and a hidden name
before 区/县/小学/中学… becomes "某" ("某小学"), as the district itself is called
"某区(匿名)". Works on both scripts (the marks are ASCII or full-width).
"""

from __future__ import annotations

import re

HIDDEN = "(原文隐去)"
_STARS = r"[*＊]+"
# A hidden year: 20XX年, 20**年, XX年 (with the 年, so "(原文隐去)秋学期" reads whole).
_YEAR = re.compile(r"(?:\d{0,3}(?:XX|xx|ＸＸ|[*＊]{2,})|\d{2}[Xx]{1,2})\s*年(?:度)?")
# A hidden name: the mark stands right before a place or school suffix.
_NAME = re.compile(rf"(?:{_STARS}|XX|ＸＸ)(?=(?:区|县|市|镇|乡|街道|小学|中学|学校|幼儿园|集团|公司|机构)(?![0-9*]))")
# A hidden figure with the digits, decimal point or 余 around it: "2*", "*.5", "*余".
_FIGURE = re.compile(rf"[0-9.]*(?:{_STARS}|(?<![A-Za-z])XX(?![A-Za-z]))[0-9.]*(?:余)?\s*(?:%|％)?")


def has_marks(text: str) -> bool:
    """Does the text hold a redaction mark?"""
    return bool(_YEAR.search(text) or _NAME.search(text) or _FIGURE.search(text))


def unredact(text: str) -> str:
    """The text as a parent reads it: every mark rendered whole, never half a figure."""
    if "*" not in text and "＊" not in text and "X" not in text and "x" not in text and "Ｘ" not in text:
        return text
    text = _YEAR.sub(HIDDEN, text)
    text = _NAME.sub("某", text)
    text = _FIGURE.sub(HIDDEN, text)
    text = re.sub(rf"(?:{re.escape(HIDDEN)})+", HIDDEN, text)
    return text.replace("(" + HIDDEN, "(原文隐去").replace(HIDDEN + ")", "原文隐去)")


def mostly_hidden(text: str) -> bool:
    """Is every figure of the text hidden (a statistic that tells nothing)?"""
    text = _NAME.sub("某", text)
    text = _YEAR.sub("", text)  # a hidden year hides no figure
    hidden = len(_FIGURE.findall(text))
    shown = len(re.findall(r"(?<![0-9.*＊])\d+(?:\.\d+)?(?![0-9.*＊Xx])", _FIGURE.sub("", _YEAR.sub("", text))))
    return hidden > 0 and shown == 0
