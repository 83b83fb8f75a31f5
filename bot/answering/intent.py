"""What a question wants, and whether a report sentence gives it.

A question asks for a channel ("what do I do": 怎么办, 找谁, 去哪投诉), a figure (how
much money, what standard), a count (how many, what share), a time (when, how long), how
often (answered by 每月, 定期 …), a permission (may they, must we), a way (how) or a
fact. A report sentence is a rule (不得, 不早于, 按…标准, 自愿, 减免 …), a channel
(举报电话, 信箱, 投诉 …) or a statistic (a count, a share or money spent with no rule
in it: "99.76%的学校…达标", "投入3.8亿元…").

The answer composer asks `lead_fit(intent, sentence)` for every candidate lead: a
statistic never leads a how / how much / when / may-they question when another
sentence states the rule, and a question whose candidates are all statistics gets a
tentative answer. Scope (who and where a rule is for) is meant to be added here too.
"""

from __future__ import annotations

import enum
import re


class Intent(enum.Enum):
    REMEDY = "remedy"  # what do I do, whom do I tell
    FIGURE = "figure"  # how much money, what standard
    COUNT = "count"  # how many, what share (a statistic answers it)
    TIME = "time"  # when, until when, how long
    OFTEN = "often"  # how often (多久一次, 一周几次)
    PERMISSION = "permission"  # may they, must we, is it allowed
    HOW = "how"  # how is it done
    FACT = "fact"  # anything else

    @property
    def wants_rule(self) -> bool:
        """Questions a statistic does not answer."""
        return self in (Intent.FIGURE, Intent.TIME, Intent.OFTEN, Intent.PERMISSION, Intent.HOW)


_REMEDY = re.compile(
    r"怎么办|咋办|咋个办|如何是好|找谁|找哪|向谁|跟谁说|去[哪那][儿里]?(?:投诉|举报|反[映应]|告)|哪[里儿](?:能|可以)(?:查|管)|[哪那][里儿](?:能|可以)?(?:投诉|举报|反[映应])"
    r"|(?:怎么|如何|能不能|可以|能|该|要|想)(?:去)?(?:投诉|举报|反映|维权)|投诉|举报|维权|反映一下|去哪[儿里]?说|找哪个部门"
    r"|退不[回了出]|不给退|不退钱|要不回|(?:怎么|如何|咋|能不能|能|可以)(?:把钱|把学费)?(?:要|追|讨|拿|退)回|我(?:该|能|可以)(?:做|怎么)"
    r"|(?:想|要)退[^,，。?？]{0,4}[,，]?\s*(?:咋整|咋弄|咋搞|咋个搞|怎么弄|怎么搞)"  # "现在想退,咋整" (去哪里反应: 反映 mistyped)
)
# A bare 时间 is a topic (作业时间, 睡眠时间), not "when": only 什么时间, 时间是… ask for one.
_OFTEN = re.compile(r"(?:多久|多长时间|几天|多少天|隔多久)[^,，。?？]{0,4}一[次回趟]|一[周月年天]几[次回趟]|每[周月年天]几[次回趟]|每学期几次|多频繁|频率")
# ... and a sentence saying how often: 每月, 定期 (not a count: 讲座85次)
FREQUENCY = re.compile(r"每[日天周月年]|每学期|每学年|定期|常态化")
_TIME = re.compile(r"几点|几号|什么时候|啥时候|何时|多久|多长时间|哪天|几月|到几(?![家所个次项名位人件条门种批块份])|(?:什么|啥|哪个)时间|时间(?:是|定在|为)|几个?小时|多少小时|几分钟|多少分钟|几天")
_FIGURE = re.compile(r"多少钱|几[元块]|标准|(?<!预)收费|费用|价格|价钱|交钱|花钱|要钱|收钱(?![给补上办开教辅])|[收交付]多少|学费|托管费|费(?:要|是|大概)?(?:好多|多少)|(?:工资|薪水|薪资)(?:大概|一个月|每月|有)?(?:多少|好多)")
# Measure words: 几 or 好多 before one asks "how many" (好多 in southwestern Mandarin:
# "具体好多嘛", "关了好多家", "发了好多份"; not "布置得好多哦", "太好多了": so much).
_MEASURE = "个家所节次门项种份块名位件条本张场期批届支处座间台套钱人"
_COUNT = re.compile(
    rf"多少|几[{_MEASURE}]|几成|比例|占比|数据|数字|统计|全部|全都|所有|[^效]率|多不多|高不高|满不满意|满意|(?<![得太])好多(?:[{_MEASURE}]|嘛|哦|啊|呀|$)"
)
# A teacher or tutor taking money for lessons ("去他屋头补课要收钱"): what they do, not a price asked.
_PAID_TUTORING = re.compile(r"(?:补课|补习|辅导|家教|上课)[^,，。?？!！]{0,4}收钱|收钱[^,，。?？!！]{0,4}(?:补课|补习|辅导|上课)")
# "想布置好多就布置好多", "要收多少就收多少": whatever amount they like, not "how many".
_WHATEVER = re.compile(r"(\w{1,3})(?:好多|多少)就\1(?:好多|多少)")
_OPINION = re.compile(r"(?:咋个|咋|怎么|如何)(?:说|看|评价)|反响|满不满意")
_PERMISSION = re.compile(r"能不能|可不可以|可以.{0,12}吗|能.{0,12}吗|允许|准不准|是否|会不会|要不要|必须|非得|得.{0,6}吗|算不算|违规|合法|违法")
_HOW = re.compile(r"怎么|怎样|如何|咋|什么办法|哪些措施|什么措施|什么要求|有什么规定|什么规定")

# A sentence that states a rule or a practice a parent can rely on.
RULE = re.compile(
    r"不得|不允许|不准|不能|不早于|不晚于|不超过|不高于|不低于|严禁|禁止|杜绝|叫停|严控|严格|要求|应当|必须|须|按照|按|"
    r"标准(?!化)|原则|自愿|规定|减免|由家长|收取|收费|免费|无偿|可以|允许|公示|公开|公布|举报|整治|查处|关停|规范|监管|实行|推行|"
    r"落实|执行|开展|开设|提供|建立|完善|设立|制定|印发|出台|引导|鼓励|探索"
)
CHANNEL = re.compile(r"举报电话|举报信箱|投诉举报|监督举报|投诉电话|举报平台|监督平台|热线|信箱|信访")
# Counts, shares and money: what a statistic is made of.
STAT_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|万|亿|余?(?:所|家|个|名|人|项|次|场|门|块|份|件|篇|册|座|元|平方米))|百分点")
_SPENDING = re.compile(r"投入|经费|预算|资金")
# A question about what the government puts in ("舍不舍得花钱", "一年投好多"), not what a family pays.
_PUBLIC_MONEY = re.compile(r"舍不舍得|舍得|投入|投了|投好多|投多少|政府[^,，。?？]{0,6}花")
# What answers "how much does it cost": a rate, a charge, who pays, an exemption, how
# prepaid fees are kept (not a bare mention of 收费, as in "招生收费等行为").
_FEE_RULE = re.compile(
    r"(?:\d+(?:\.\d+)?|[*＊]+)\s*元\s*/|收取|收费标准|按[^,。;]{0,12}收费|不得[^,。;]{0,8}收费|乱收费|减免|免费|无偿|由家长承担|缴纳|补贴|补助"
    r"|预收费|退费|资金监管|资金[^。;]{0,24}监管"
)
# What answers "when / until when / how long": a clock time, a duration, a time relative
# to something (不早于家长下班时间), a start, the days concerned (not "每日常规").
TIME_EXPR = re.compile(
    r"\d+\s*[:：点时]|(?:\d+(?:\.\d+)?|[一二三四五六七八九十两半]+)\s*个?(?:小时|分钟|天|周|个月)|下班时间|放学|结束时间|开始时间|不早于|不晚于"
    r"|提前离校|推迟到校|上下班|自[^,。;]{0,12}(?:开始|起)|节假日|休息日|假期|寒暑假|寒假|暑假|周末"
)


# Question words that ask for a kind of answer (a time, an amount, a rule), not what it is
# about: a sentence holding only these ("时间" for 多久) does not speak of the question,
# and a report lacking them ("规定") does not lack the topic.
FORM_WORDS = re.compile(r"^(?:(?:硬性|具体|明确|相关|有关)(?:规定|要求|数字|数据)|具体|详细|多久|几点|几时|什么时候|啥时候|多长时间|多长|时长|时间|多少钱|多少|几|标准|规定|要求|情况|办法|政策|措施|制度|准|不准|准不准|允许|不允许|允不允许|让不让|一次|几次|频率|地方|手续|流程|程序|条件|做法|上限|下限|封顶|数据|数字|统计|上午|中午|下午|傍晚|晚上|早上)$")

# A verb and how it turned out (管好, 做完, 学懂, 管住): asks whether something is done, and
# the reports say so with their own words (严管, 控制达标), so it is not what the question is about.
# So is a judgement of how much (睡眠不够, 作业太多): the parent's complaint, not its topic.
_OUTCOME = re.compile(r"^(?:[管做写学弄搞办教考读背记抓带改批讲听看][好完懂会住够]|不够|不足|太多|太少|太晚|太早|太累|太重|太难|太贵|过多|过重)$")


def says_outcome(word: str) -> bool:
    """Is the word a verb with its result (管好, 做完) or a judgement of how much (不够),
    not a topic of its own?"""
    return bool(_OUTCOME.match(word))


# A price asked for ("多少钱", "价格", "一节课收多少"): only an amount answers it.
_PRICE = re.compile(r"多少钱|好多钱|几[元块]钱?|价格|价钱|[收交付]多少|[收交]好多|贵不贵|费(?:用)?(?:要|是|大概)?(?:好多|多少)|(?:工资|薪水|薪资)(?:大概|一个月|每月|有)?(?:多少|好多)")


def asks_price(text: str) -> bool:
    """Does the message ask for a price (not only whether one pays)?"""
    return bool(_PRICE.search(text))


# Answers only a sentence of one kind gives: a calendar date ("寒假啥时候放", "几号开学":
# a rule about 节假日 does not say when the holidays are), an age ("满几岁才能上幼儿园"),
# the papers to bring ("上小学要准备哪些材料": a list of documents, not 耗材).
_KINDS = (
    (
        re.compile(r"几岁|多大(?:年龄|岁数)?(?:才|可以|能)|满几|年龄"),
        re.compile(r"\d+\s*(?:周岁|岁)|[一二三四五六七八九十]+\s*(?:周岁|岁)"),
    ),
    (
        re.compile(r"几号|几月几|(?:什么|啥子?)时候(?:放假|放|开学|收假)|(?:放假|开学|收假)(?:是|在|的)?(?:哪天|哪一天|几号|什么时候|啥子?时候|时间)"),
        re.compile(r"\d+\s*月\s*\d+\s*[日号]|\d+\s*[日号](?:起|前|至|到)"),
    ),
    (
        re.compile(r"(?:准备|带|交|提供|办)(?:好)?(?:哪些|啥子?|什么|些)(?:材料|资料|证件|证明|手续|证)|(?:材料|证件|手续)(?:要|需要)?(?:准备)?(?:哪些|啥子?|什么)"),
        re.compile(r"户口簿|户口本|身份证|居住证|出生证|证明材料|材料清单|证件"),
    ),
)


def asks_kind(text: str) -> re.Pattern[str] | None:
    """What a sentence must hold to answer the message, when it asks for a day, an age or
    papers to bring; None for any other question."""
    return next((given for asked, given in _KINDS if asked.search(text)), None)


# A rate asked for ("参与率多少", "占比", "几成"): only a share answers it (45万人 is a count).
_RATE = re.compile(r"(?<![效])率|比例|占比|百分之|几成")
_SHARE_GIVEN = re.compile(r"\d+(?:\.\d+)?\s*[%％]|[一二三四五六七八九]成|百分之")


def asks_rate(text: str) -> bool:
    """Does the message ask for a rate or a share?"""
    return bool(_RATE.search(text))


def gives_share(sentence: str) -> bool:
    """Does the sentence state a share (98.9%, 九成)?"""
    return bool(_SHARE_GIVEN.search(sentence))


# A clause telling a worry ("怕退不了", "担心卷钱跑路") says what might happen, not what to do now.
_WORRY = re.compile(r"(?:^|(?<=[,，。.!！?？;；\s]))(?:就怕|生怕|怕|担心|万一)[^,，。.!！?？;；\s]*")


def is_remedy(text: str) -> bool:
    """Does the message ask what to do or whom to tell (anywhere in it but a worry)?"""
    return bool(_REMEDY.search(_WORRY.sub("", text)))


def intent_of(text: str) -> Intent:
    """The question's intent (on the normalised Simplified text)."""
    text = _WHATEVER.sub("", text)  # "想布置好多就布置好多": as much as they like, not "how many"
    if is_remedy(text):
        return Intent.REMEDY
    if _OFTEN.search(text):
        return Intent.OFTEN
    if _TIME.search(text):
        return Intent.TIME
    if _PUBLIC_MONEY.search(text):  # how much the district spends: its spending figures answer
        return Intent.COUNT
    if _FIGURE.search(_PAID_TUTORING.sub("", text)):  # "去他屋头补课要收钱": paid tutoring told, no price asked
        return Intent.FIGURE
    if _COUNT.search(text) or _OPINION.search(text):  # what people think is answered by a satisfaction rate
        return Intent.COUNT
    if _PERMISSION.search(text):
        return Intent.PERMISSION
    if _HOW.search(text):
        return Intent.HOW
    return Intent.FACT


def is_statistic(sentence: str) -> bool:
    """A count, a share or money spent, with no rule in it."""
    if not STAT_FIGURE.search(sentence):
        return False
    if _SPENDING.search(sentence) and re.search(r"\d+(?:\.\d+)?\s*(?:万|亿)?元", sentence):
        return True
    return not RULE.search(sentence)


def is_channel(sentence: str) -> bool:
    """Does the sentence name a way to report or complain?"""
    return bool(CHANNEL.search(sentence))


def lead_fit(intent: Intent, sentence: str) -> bool:
    """May this sentence lead the answer to a question with this intent?"""
    if intent is Intent.REMEDY:
        return is_channel(sentence)
    if intent is Intent.FIGURE:
        return bool(_FEE_RULE.search(sentence)) and not is_statistic(sentence)
    if intent is Intent.TIME:
        return bool(TIME_EXPR.search(sentence)) and not is_statistic(sentence)
    if intent is Intent.OFTEN:
        return bool(FREQUENCY.search(sentence))
    if intent.wants_rule:
        return not is_statistic(sentence)
    return True
