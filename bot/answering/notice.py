"""What a photographed notice is about, the question it raises, and its fees beside the reports'.

`read_notice(rows)` takes the rows OCR read from a parent's photo or screenshot and finds
the kind of notice (a fee notice, a homework list, a training centre's ad, or something
else), its title, the lines that matter and its amounts. `question_for(notice, caption)`
is the question to ask the reports: the parent's caption (with the notice's topic when the
caption only says "这个"), else one inferred from the kind. `compare_fees` sets each amount
beside the fee figures the reports give, quoting them with their district; it never says
whether a notice is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answering.amounts import Amount, fee_figures, find_amounts
from bot.answering.compose import split_sentences
from bot.records import Answer, Hit
from bot.text import detect_script, to_script, to_simplified

MAX_KEY_LINES = 6
MAX_LINE = 60
_FEE_WORDS = ("收费", "缴费", "交费", "费用", "收取", "缴纳", "退费", "学费", "托管费", "服务费", "资料费", "材料费", "餐费", "价格", "优惠")
_HOMEWORK_WORDS = ("作业", "练习", "抄写", "背诵", "预习", "复习", "口算", "默写", "听写", "朗读", "听读", "签字", "试卷", "练习册", "生字")
_TRAINING_WORDS = ("招生", "报名", "培训", "辅导", "补习", "提高班", "培优", "冲刺", "集训", "一对一", "小班", "名师", "提分", "试听", "课程", "机构", "暑假班", "寒假班", "同步")
SUBJECTS = ("语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治", "道德与法治", "奥数", "作文", "阅读", "科学")
TIMES = ("周六", "周日", "周末", "双休日", "星期六", "星期日", "星期天", "节假日", "假期", "寒假", "暑假", "国庆", "五一", "春节")
_TITLE_WORDS = ("通知", "说明", "公告", "告家长书", "告知书", "一封信", "招生", "作业", "收费", "须知", "安排")
TITLE_MAX = 24
_CHROME = re.compile(r"^(\d{1,2}:\d{2}.*|收到|好的.*|谢谢.*|\d+%|[<>«»‹›]|.{0,2})$")  # status bar, quick replies
_TOPICS = (  # notice words → the reports' topic (for the inferred question and the caption)
    (("课后服务", "延时服务", "托管", "午托", "晚托", "课后延时", "社团"), "课后服务"),
    (("培训", "辅导", "补习", "招生", "提高班", "培优", "集训"), "校外培训"),
    (("作业",), "作业"),
)
_ASKS_FEES = re.compile(r"费|钱|元|贵|便宜|合理|收|价|交|缴")


@dataclass(frozen=True)
class Notice:
    """A notice as read from an image: its kind, title, the lines that matter, its amounts."""

    kind: str  # "fee", "homework", "training" or "other"
    title: str
    lines: tuple[str, ...]  # every row read (chrome included), for the question log and admins
    key_lines: tuple[str, ...]  # what the parent is shown as "what I read"
    amounts: tuple[Amount, ...] = ()
    topic: str = ""  # "课后服务", "校外培训", "作业" or ""
    subjects: tuple[str, ...] = ()  # training ads: the school subjects offered
    times: tuple[str, ...] = ()  # training ads: weekends, holidays
    confidence: float = 0.0  # the OCR's mean confidence

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Comparison:
    """One notice amount beside the report figures charged per the same thing."""

    amount: Amount
    quotes: tuple[tuple[str, str], ...]  # (district, the report's clause holding the figure)


@dataclass(frozen=True)
class NoticeAnswer:
    """The reply to a photo: what was read, the question answered, the fee comparison, the answer."""

    notice: Notice
    question: str  # shown to the parent: the caption, or the inferred question
    inferred: bool  # the parent wrote no question; the notice's kind chose it
    answer: Answer | None  # None when nothing could be asked (an unrecognised notice without a caption)
    comparisons: tuple[Comparison, ...] = ()
    other_figures: tuple[tuple[str, str], ...] = field(default=())  # report fee figures with no matching unit


def _count(text: str, words: Sequence[str]) -> int:
    return sum(1 for word in words if word in text)


def read_notice(rows: Sequence[str], confidence: float = 0.0) -> Notice:
    """Classify the rows OCR read and pick out what a parent should see."""
    lines = tuple(" ".join(row.split()) for row in rows if row.strip())
    content = [line for line in lines if not _CHROME.match(line)]
    text = to_simplified("\n".join(content))
    amounts = tuple(a for line in content for a in find_amounts(to_simplified(line)))
    subjects = tuple(s for s in SUBJECTS if s in text)
    times = tuple(t for t in TIMES if t in text)
    fee, homework, training = _count(text, _FEE_WORDS) + len(amounts), _count(text, _HOMEWORK_WORDS), _count(text, _TRAINING_WORDS)
    if training >= 2 and (subjects or "招生" in text or "报名" in text) and training >= homework:
        kind = "training"
    elif amounts and fee >= 2:
        kind = "fee"
    elif homework >= 2:
        kind = "homework"
    else:
        kind = "other"
    topic = next((name for words, name in _TOPICS if any(w in text for w in words)), "")
    if kind == "training":
        topic = "校外培训"
    title = _title(content)
    return Notice(kind, title[:MAX_LINE], lines, _key_lines(kind, content, title), amounts, topic, subjects, times, confidence)


def _title(content: list[str]) -> str:
    """A short line near the top, preferably one that names the notice (通知, 告家长书, 招生 ...)."""
    top = [line for line in content[:4] if len(line) <= TITLE_MAX and line[-1:] not in ",，、;；"]
    named = [line for line in top if any(word in line for word in _TITLE_WORDS)]
    return (named or top or content or [""])[0]


def _key_lines(kind: str, content: list[str], title: str) -> tuple[str, ...]:
    """The lines that matter for this kind of notice (the title is shown apart)."""
    rest = [line for line in content if line != title]
    if kind == "fee":
        wanted = [line for line in rest if find_amounts(to_simplified(line))]
    elif kind == "homework":
        wanted = [line for line in rest if _count(line, _HOMEWORK_WORDS) or _count(line, SUBJECTS)]
    elif kind == "training":
        wanted = [line for line in rest if _count(line, SUBJECTS) or _count(line, TIMES) or find_amounts(to_simplified(line))]
    else:
        wanted = rest
    chosen = wanted[:MAX_KEY_LINES] or rest[:MAX_KEY_LINES]
    return tuple(line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…" for line in chosen)


INFERRED = {
    ("fee", "课后服务"): "课后服务怎么收费?",
    ("fee", "校外培训"): "校外培训机构收费有什么规定?",
    ("fee", ""): "学校收费有什么规定?",
    ("homework", ""): "书面作业时间和作业量有什么规定?",
    ("training", "times"): "周末和节假日还能上学科类培训吗?",
    ("training", "subjects"): "学科类校外培训有什么规定?",
    ("training", ""): "校外培训机构有什么规定?",
}


def question_for(notice: Notice, caption: str = "") -> tuple[str, bool]:
    """(the question to ask the reports, whether it was inferred); ("", True) when there is none."""
    caption = caption.strip()
    if caption:
        if notice.topic and notice.topic not in to_simplified(caption):
            return f"{caption}({to_script(_topic_phrase(notice), detect_script(caption))})", False
        return caption, False
    if notice.kind == "training":
        detail = "times" if notice.times and notice.subjects else "subjects" if notice.subjects else ""
        return INFERRED[("training", detail)], True
    question = INFERRED.get((notice.kind, notice.topic)) or INFERRED.get((notice.kind, ""), "")
    return question, True


def _topic_phrase(notice: Notice) -> str:
    if notice.kind == "fee":
        return f"{notice.topic}收费"
    if notice.kind == "training":
        return "学科类培训" if notice.subjects else "校外培训"
    return notice.topic


def asks_about_fees(caption: str) -> bool:
    """A caption about money ("这个收费合理吗?", "贵不贵") — or no caption at all."""
    return not caption.strip() or bool(_ASKS_FEES.search(to_simplified(caption)))


def compare_fees(notice: Notice, hits: Sequence[Hit]) -> tuple[tuple[Comparison, ...], tuple[tuple[str, str], ...]]:
    """Each notice amount with the report quotes that give a figure per the same unit; and the
    quotes with figures per other units (so the parent still sees what the reports do say)."""
    figures: list[tuple[str, str, Amount]] = []  # (district, quote, figure)
    for hit in hits:
        if hit.passage.kind != "report":
            continue
        for sentence in split_sentences(hit.passage.text):
            simplified = to_simplified(sentence)
            for figure in fee_figures(simplified):
                quote = _quote_to(sentence, _clause_end(simplified, simplified.find(figure.text)))
                if (quote, figure.per) not in {(q, f.per) for _, q, f in figures}:
                    figures.append((hit.passage.region, quote, figure))
    comparisons = []
    used: set[str] = set()
    for amount in notice.amounts:
        if not amount.per:
            continue
        quotes = tuple(dict.fromkeys((region, quote) for region, quote, figure in figures if figure.per == amount.per))
        used.update(quote for _, quote in quotes)
        comparisons.append(Comparison(amount, quotes))
    others = tuple(dict.fromkeys((region, quote) for region, quote, _ in figures if quote not in used))
    return tuple(comparisons), others


MAX_QUOTE = 120


def _clause_end(text: str, at: int) -> int:
    """Where the clause holding position `at` ends: the next comma or full stop outside brackets."""
    depth = 0
    for i in range(max(at, 0), len(text)):
        ch = text[i]
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ",，;；。!?！？":
            return i
    return len(text)


def _quote_to(sentence: str, end: int) -> str:
    """The sentence up to `end`, starting at a clause boundary when the whole would be too long."""
    quote = sentence[:end].strip()
    while len(quote) > MAX_QUOTE:
        cut = min((i for i in (quote.find(ch) for ch in ",，;；") if i != -1), default=-1)
        if cut == -1:
            break
        quote = quote[cut + 1 :].strip()
    return quote
