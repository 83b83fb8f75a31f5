"""Money amounts in a notice and fee figures in the reports, with what they are charged per.

A notice writes "按每生每课时3元收取", "午托每月三百五十元", "材料费一百二十元/学期", "¥150/次";
a report writes "不高于2元/课时生", "不得超过*元/学期生" (the anonymised report hides its
figures behind "*"). Both become `Amount(value, per, text)`: the value in yuan (None when
hidden), what it is charged per (课时, 学期, 月, 次, 天, 年, 周, 小时; "" when unsaid), and
the words as written. Chinese numerals are read with cn2an.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+(?:点[零〇一二三四五六七八九]+)?|\*"
_PER = r"课时|节课|节|学期|个月|月|次|天|日|年|周|小时|课"
_MONEY = re.compile(
    rf"(?:[￥¥]\s*(?P<yen>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:\s*元)?"
    rf"|(?P<num>{_NUMBER})\s*(?:元|块钱|块)"
    rf"(?:(?P<jiao>[一二两三四五六七八九\d])\s*(?:角|毛)|(?<=块)(?P<tail>[一二三四五六七八九])(?![十百千万元块角毛\d]))?)"  # 两元五角, 两块五
)
_TENTHS = {ch: n for n, ch in enumerate("零一二三四五六七八九", 0)} | {"两": 2}
# "/课时", "/人/学期", "/生·月", "每课时" right after the amount
_AFTER = re.compile(rf"\s*(?:[/／]|每|一)\s*(?:(?:人|生|学生|位|个)\s*(?:[/／·]|每)?\s*)?(?P<per>{_PER})")
# "每生每课时", "每月", "每次" shortly before the amount (same clause)
_BEFORE = re.compile(rf"每\s*(?:人|生|学生|位|个)?\s*每?\s*(?P<per>{_PER})[^,，。;；:：]{{0,8}}$")
_UNITS = {"节课": "课时", "节": "课时", "课": "课时", "个月": "月", "日": "天"}
_CEILING = re.compile(r"不高于|不超过|不得超过|最高|上限|以内|以下")
_NOT_A_FEE = re.compile(r"发放|补助|补贴|报酬|工资|薪|劳务|奖励|投入|经费|预算|保证金|资金")


@dataclass(frozen=True)
class Amount:
    """One amount: yuan (None when the report hides it as *), charged per what, as written."""

    value: float | None
    per: str
    text: str
    ceiling: bool = False  # the words around it set a maximum (不高于, 不超过 ...)

    def describe(self) -> str:
        """每课时3元, 每学期120元, 60元 (no unit said)."""
        value = "*" if self.value is None else format_yuan(self.value)
        return f"每{self.per}{value}元" if self.per else f"{value}元"


def format_yuan(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def _number(text: str) -> float | None:
    """"3", "1,200", "一百二十", "三点五" → a number; "*" → None; nonsense → raises ValueError."""
    if text == "*":
        return None
    if text[0].isdigit():
        return float(text.replace(",", ""))
    return float(cn2an.cn2an(text, "smart"))


def find_amounts(text: str) -> list[Amount]:
    """Every money amount in `text`, in order, with what it is charged per when the text says."""
    amounts: list[Amount] = []
    for match in _MONEY.finditer(text):
        raw = match.group("yen") or match.group("num")
        try:
            value = _number(raw)
        except (ValueError, KeyError, TypeError):  # cn2an rejects malformed numerals ("百百")
            continue
        tenths = match.group("jiao") or match.group("tail")
        if value is not None and tenths:
            value += (int(tenths) if tenths.isdigit() else _TENTHS[tenths]) / 10
        if value is not None and not (0 < value < 10_000_000):
            continue
        after = _AFTER.match(text, match.end())
        before = _BEFORE.search(text, max(0, match.start() - 16), match.start())
        per = (after or before).group("per") if (after or before) else ""
        end = after.end() if after else match.end()
        start = before.start() if before and not after else match.start()
        clause = _clause(text, match.start())
        amounts.append(Amount(value, _UNITS.get(per, per), text[start:end].strip(), bool(_CEILING.search(clause))))
    return amounts


def _clause(text: str, at: int) -> str:
    """The clause around position `at` (between punctuation)."""
    stops = ",，。;；!?！？\n"
    start = max(text.rfind(ch, 0, at) for ch in stops) + 1
    ends = [i for i in (text.find(ch, at) for ch in stops) if i != -1]
    return text[start : min(ends) if ends else len(text)]


def fee_figures(sentence: str) -> list[Amount]:
    """Fee figures in a report sentence that have a unit (teachers' pay, budgets and deposits left out)."""
    return [a for a in find_amounts(sentence) if a.per and not _NOT_A_FEE.search(_clause(sentence, sentence.find(a.text)))]
