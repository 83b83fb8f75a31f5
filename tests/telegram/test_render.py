"""bot.telegram.render: escaping, safe splitting under 4,096, answer layouts, inline cards."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.records import Answer, Hotline, Passage, Quote
from bot.telegram.render import (
    MAX_MESSAGE,
    Span,
    excerpt_pages,
    inline_cards,
    paginate,
    render_answer,
    render_forwardable,
    utf16_len,
)

TAG = re.compile(r'<(/?)(b|i|blockquote|a)(?: href="[^"<>]*")?>')
ENTITY = re.compile(r"&(amp|lt|gt|quot|#x?[0-9a-fA-F]+);")


def well_formed(part: str) -> bool:
    """Only our tags, balanced and properly nested; every & starts a whole entity; no stray <."""
    stack: list[str] = []
    for match in TAG.finditer(part):
        closing, name = match.groups()
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    rest = TAG.sub("", part)
    return not stack and "<" not in rest and ">" not in rest and rest.count("&") == len(ENTITY.findall(rest))


def visible(part: str) -> str:
    return html.unescape(TAG.sub("", part))


def passage(text: str, region: str = "重庆市涪陵区") -> Passage:
    return Passage(id=1, doc_id="d.txt", title="报告", region=region, section="", text=text, search_text=text, start=0, end=len(text))


def quote(text: str) -> Quote:
    return Quote(text, passage(text), "《报告》, 重庆市涪陵区")


def make_answer(question: str = "课后服务怎么收费?", lead: str = "每生每课时不超过2元。", excerpts=("摘录一。",), extra=(), script="simplified") -> Answer:
    return Answer(
        question=question,
        abstained=False,
        script=script,
        quotes=(quote(lead), *map(quote, excerpts)),
        extra_excerpts=tuple(map(quote, extra)),
        hotlines=(Hotline(region="全国", name="12345政务服务便民热线", number="12345", note="可反映<问题>&投诉"),),
        notice="说明:各地规定不尽相同。",
        confidence=0.9,
    )


def test_user_and_report_text_is_escaped() -> None:
    answer = make_answer(question="<b>hi</b> & 课后", lead="费用<2元 & >1元 </i><script>", excerpts=('"引号" <a href=x>',))
    [message] = render_answer(answer)
    assert "<script>" not in message and "&lt;script&gt;" in message
    assert "费用&lt;2元 &amp; &gt;1元" in message
    assert well_formed(message)
    forward = render_forwardable(answer, "bot")[0]
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; 课后" in forward and well_formed(forward)


def test_answer_layout_leads_with_the_quote_and_its_source() -> None:
    [message] = render_answer(make_answer())
    text = visible(message)
    assert text.startswith("答:每生每课时不超过2元。\n——《报告》, 重庆市涪陵区")
    assert "相关摘录:" in text and "• 摘录一。" in text
    assert "说明:各地规定不尽相同。" in text
    assert "📞 12345政务服务便民热线: 12345(可反映<问题>&投诉)" in text


def test_traditional_answers_get_traditional_labels() -> None:
    text = visible(render_answer(make_answer(script="traditional"))[0])
    assert "相關摘錄:" in text and "諮詢和投訴渠道:" in text
    assert "相关摘录" not in text


def test_abstention_and_faq_layouts() -> None:
    abstained = Answer(question="天气?", abstained=True, script="simplified", message="抱歉,没有找到。", hotlines=make_answer().hotlines)
    text = visible(render_answer(abstained)[0])
    assert text.startswith("抱歉,没有找到。") and "12345" in text
    faq = Passage(id=2, doc_id="faq.toml", title="常见问题解答", region="全部地区", section="", text="几点结束?", search_text="几点结束?", start=0, end=5, kind="faq", answer="17:30。", author="李老师", date="2026-11-20")
    answered = Answer(question="几点结束?", abstained=False, script="simplified", message="17:30。", faq=faq, notice="说明:以上是李老师的答复。")
    text = visible(render_answer(answered)[0])
    assert text.startswith("答:17:30。\n——李老师, 2026-11-20")


def test_a_long_answer_is_split_into_valid_messages_without_losing_text() -> None:
    lead = ("家长反映<作业>&负担😀。" * 700)[:9000]
    answer = make_answer(lead=lead, excerpts=("摘录" * 1500,))
    parts = render_answer(answer)
    assert len(parts) >= 3
    for part in parts:
        assert 0 < utf16_len(part) <= MAX_MESSAGE
        assert well_formed(part), part[:200]
    assert visible("".join(parts)).replace("\n", "").count("😀") == lead.count("😀")
    assert lead.replace("\n", "") in visible("".join(parts)).replace("\n", "")


@settings(max_examples=150, deadline=None)
@given(
    blocks=st.lists(
        st.lists(st.tuples(st.text(alphabet=st.sampled_from("ab<>&\"'\n。😀课"), max_size=120), st.sampled_from(["", "b", "i", "blockquote"])), min_size=1, max_size=4),
        min_size=1,
        max_size=6,
    ),
    limit=st.integers(min_value=40, max_value=200),  # above the longest tag pair plus one entity
)
def test_paginate_never_breaks_a_tag_or_an_entity(blocks: list[list[tuple[str, str]]], limit: int) -> None:
    spans = [tuple(Span(text, tag) for text, tag in block) for block in blocks]
    parts = paginate(spans, limit=limit)
    for part in parts:
        assert utf16_len(part) <= limit
        assert well_formed(part)
    original = "".join(text for block in blocks for text, _ in block).replace("\n", "")
    assert visible("".join(parts)).replace("\n", "") == original


def test_excerpt_pages_hold_the_further_excerpts() -> None:
    answer = make_answer(extra=("甲。", "乙。", "丙。", "丁。", "戊。"))
    pages = excerpt_pages(answer, per_page=2)
    assert len(pages) == 3
    assert "甲。" in pages[0] and "乙。" in pages[0] and "戊。" in pages[2]
    assert all(visible(p).startswith("更多摘录(问:课后服务怎么收费?)") for p in pages)
    assert excerpt_pages(make_answer(), per_page=2) == []


def test_forwardable_reply_is_self_contained() -> None:
    [message] = render_forwardable(make_answer(), "shuangjian_bot")
    text = visible(message)
    assert text.startswith("❓ 家长的问题:\n课后服务怎么收费?")
    assert "<blockquote>课后服务怎么收费?</blockquote>" in message
    for piece in ("每生每课时不超过2元。", "《报告》, 重庆市涪陵区", "各地规定不尽相同", "12345", "@shuangjian_bot"):
        assert piece in text


def test_inline_cards_are_at_most_five_and_fit() -> None:
    answer = make_answer(excerpts=("一。", "二。"), extra=tuple(f"摘录{n}。" for n in range(8)))
    cards = inline_cards(answer, "bot", limit=5)
    assert len(cards) == 5
    assert cards[0].title.startswith("回答:课后服务怎么收费")
    assert "每生每课时不超过2元" in cards[0].description
    for card in cards:
        assert utf16_len(card.html) <= MAX_MESSAGE and well_formed(card.html)
        assert "课后服务怎么收费?" in visible(card.html)  # each card quotes the question
    abstained = Answer(question="天气?", abstained=True, script="simplified", message="抱歉,没有找到。")
    assert len(inline_cards(abstained)) == 1
