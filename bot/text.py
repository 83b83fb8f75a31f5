"""Text normalisation shared by indexing and questions: script, width, pinyin glosses, tokens.

Reports are displayed in their own script but searched in one normalised Simplified
form, so a question in either script finds them. jieba runs as our own
`jieba.Tokenizer` instance (no global state) with a domain dictionary.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba
import opencc

from bot.records import Script

jieba.setLogLevel(logging.WARNING)

# A pinyin gloss after a character: 學(xué), 陽（yáng）. Letters with tone marks only.
_PINYIN = "a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
PINYIN_GLOSS = re.compile(rf"(?<=[\u3400-\u9fff])[(（]([{_PINYIN}]{{1,8}})[)）]")
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?%?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Characters dropped when comparing texts for key matching: whitespace and punctuation.
_NOT_WORD = re.compile(r"[\s\W_]+", re.UNICODE)

_converter_lock = threading.Lock()


@lru_cache(maxsize=None)
def _converter(config: str) -> opencc.OpenCC:
    with _converter_lock:
        return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional (and mixed) Chinese to Simplified; other text unchanged."""
    return _converter("t2s").convert(text) if text else text


def to_traditional(text: str) -> str:
    """Simplified Chinese to Traditional."""
    return _converter("s2t").convert(text) if text else text


@lru_cache(maxsize=4096)
def to_script(text: str, script: Script) -> str:
    """Convert `text` into `script` (the parent's); repeated labels and quotes are cached."""
    return to_traditional(text) if script == "traditional" else to_simplified(text)


def detect_script(text: str) -> Script:
    """"traditional" when converting to Simplified changes a noticeable share of the Han characters."""
    han = _CJK.findall(text)
    if not han:
        return "simplified"
    simplified = to_simplified("".join(han))
    changed = sum(1 for a, b in zip(han, simplified) if a != b)
    # Short questions: one clearly Traditional character is enough (課, 費, 學 ...).
    threshold = 1 if len(han) <= 12 else max(2, len(han) // 20)
    return "traditional" if changed >= threshold else "simplified"


def strip_pinyin(text: str) -> str:
    """Remove pinyin glosses that follow characters: 學(xué) -> 學."""
    return PINYIN_GLOSS.sub("", text)


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation to half-width (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def normalize(text: str) -> str:
    """The search form: half-width, Simplified, no pinyin glosses, single spaces."""
    text = strip_pinyin(fold_width(text))
    return _SPACE.sub(" ", to_simplified(text)).strip()


def compact(text: str) -> str:
    """The key-matching form: `normalize` and then no whitespace or punctuation at all."""
    return _NOT_WORD.sub("", normalize(text)).lower()


def contains_key(text: str, keys: Iterable[str]) -> bool:
    """True when any key occurs in `text`, both compared in the `compact` form."""
    body = compact(text)
    return any(compact(key) and compact(key) in body for key in keys)


# Words that carry no topic: question words, particles, pronouns. Kept out of BM25.
STOPWORDS = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 么 嘛 哦 是 在 和 与 及 或 有 没 没有 不 也 都 就 还 又 很 太 被 把 对 向 从 给 让
    我 你 他 她 它 我们 你们 他们 咱 咱们 孩子 娃 小孩 请问 问 问一下 一下 想 知道 想问 您好 你好
    怎么 怎么样 怎样 如何 什么 啥 哪 哪里 哪儿 哪些 哪个 多少 几 是否 能 能不能 可以 可不可以 会 要 需要 应该
    吗 呢 这 那 这个 那个 这些 那些 一个 个 些 等 上 下 中 里 后 前 时 年 月 日 之 其 该 各 为 以 并 而 于 由
    现在 如果 因为 所以 但是 可是 还是 已经 一直 怎么办 咋 咋办 咋样 去 来 带 好 好不好 行不行 行吗 可以吗
    有没有 是不是 算不算 算 会不会 要不要 用不用 大概 一般 经常 总是 平时 到底 真的 还能 能否 得 着 过 啦 哈
    啥子 么样 一些 有些 这样 那样 这么 那么 多 呗 谁 找 意思 是什么意思 我家 俺家 说 每个 每次 每天 天天 正常 合理
    一年级 二年级 三年级 四年级 五年级 六年级 七年级 八年级 九年级 初一 初二 初三 高一 高二 高三
    处理 解决 办 咋整 不会 不能 不用 不想 才 刚 刚刚 都是 到处 得到 处 有人 没人 总 老是 一样 这种 那种 情况 事 事情
    东西 今年 去年 以后 之后 以前 特别 非常 比较 挺 好像 听说 据说 感觉 觉得 可能 一点 有点 为啥 为什么 干嘛
    搞 弄 上面 管不管 专门 娃儿 娃娃 小孩子 宝宝 闺女 儿子 女儿 老公 老婆 爱人 我老公 我老婆 楼下 楼上 隔壁 好几年 好几个 好多个 一个多
    那家 这家 市里 区里 县里 这边 那边 人家 别人 读 在读 里头 还会 还要 真的假的 真的假 真假 是真的 我娃 我娃儿 我家娃 俺娃 你娃
    爸爸 妈妈 他爸 他妈 娃他爸 娃他妈 爷爷 奶奶 外公 外婆 姥姥 姥爷 婆婆 公公 孙子 孙女 外孙 外孙女 侄儿 侄子 侄女 外甥 外甥女
    哥哥 姐姐 弟弟 妹妹 表哥 表姐 表弟 表妹 亲戚 同事 朋友 邻居 老大 老二 老三
    真有 这事 这回事 那回事 这种事 有这事 有这回事 这两年 两年 这几年 近几年 近两年 这些年
    一共 总共 还有 只有 万一 上头 这方面 那方面 方面 这块 那块 这一块 那会儿 这会儿 类似 相似 同样 一样 好多 比如 例如 譬如 问下 问问 没得 有没得 晓得 晓不晓得 咋个 咋子 么子 啥样 哪样 嘛 噻 撒 哈 咯 伐 不咯 """.split()
)


# jieba's dictionary holds phrases counted only this often (够不够, 这么晚): not real words.
RARE_ENTRY = 5
# "多不多", "管不管", "安不安全": how a question asks (like 吗), not what it asks about.
_A_NOT_A = re.compile(r"^(\w)不\1|^(\w)没\2")
# "几项", "多少所", "几个": a count asked for (the intent says so), not a word to look up.
# Sentence particles of spoken Chinese (嘛, 哈, 噻, 撒 …) that jieba may glue to the word before.
_PARTICLE_END = re.compile(r"[嘛哈噻撒咯嘞咧哟呀啊呢吧哦噢喃嗦]$")
# The tail of a question ("…管没得", "…要钱不") jieba may glue to the word before.
_QUESTION_TAIL = re.compile(r"(?:没得|没有|不)$")
# "How" jieba may glue to the verb after it in a word it does not know ("咋管", "咋个搞").
_ASKING_HEAD = re.compile(r"^(?:咋个|咋子|咋|怎么|怎)")
# Modal verbs jieba glues to the verb after them in a word it does not know ("人会来").
_MODALS = frozenset("会能要想")
_COUNT_WORD = re.compile(r"^(?:几|多少|好多|多)[项个所家门次种名人节条块成份件位张本场批]$")


class Tokenizer:
    """jieba with the domain dictionary, in search mode, without stopwords or punctuation.

    Search mode also emits the parts of long words (课后服务 -> 课后, 服务, 课后服务),
    so a parent's 服务 still meets the report's 课后服务.
    """

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        self._lock = threading.Lock()
        self.words = tuple(dict.fromkeys(w.strip() for w in words if w and w.strip()))
        self._domain = frozenset(self.words)
        for word in self.words:
            self._jieba.add_word(word, freq=20000)

    def initialize(self) -> None:
        """Load jieba's dictionary now rather than on the first question."""
        with self._lock:
            self._jieba.initialize()

    def cut(self, text: str) -> list[str]:
        """Plain jieba words of already-normalised text (punctuation dropped)."""
        with self._lock:
            words = self._jieba.lcut(text)
        return [w for w in words if _is_word(w)]

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """jieba's precise-mode words of `text` with their start and end offsets."""
        with self._lock:
            return list(self._jieba.tokenize(text))

    def frequency(self, word: str) -> int:
        """How common `word` is in jieba's dictionary (0 for a non-word)."""
        with self._lock:
            self._jieba.check_initialized()
            return int(self._jieba.FREQ.get(word) or 0)

    def commonness(self, word: str) -> float:
        """How common `word` is in general Chinese, as -log of its share of jieba's own
        dictionary counts (about 6 for 到, 7 for 看, 10 for 作业, 15 for 轮岗); infinite for a
        word of the domain dictionary. A word jieba does not know (a mis-cut such as 里会,
        or a stray phrase counted a handful of times) is as common as its characters on
        average."""
        if word in self._domain:
            return math.inf
        with self._lock:
            self._jieba.check_initialized()
            freq, total = int(self._jieba.FREQ.get(word) or 0), self._jieba.total
        if freq <= RARE_ENTRY and len(word) > 1:  # unknown, or one of jieba's stray phrases (够不够: 3)
            return sum(self.commonness(ch) for ch in word) / len(word)
        return math.log(total / (freq + 1))

    def content_words(self, text: str) -> list[str]:
        """Meaningful whole words of normalised text: jieba's precise mode without stopwords
        or bare numbers (a parent's 11点 or 200块 is their case, not a word to look up)."""
        words = (self._unparticled(w) for w in self._mended(self.cut(text)) if w not in STOPWORDS)
        return [
            w.lower() for w in words if w not in STOPWORDS and not _NUMBER.match(w) and not _COUNT_WORD.match(w) and not _A_NOT_A.match(w)
        ]

    def _mended(self, cut: list[str]) -> list[str]:
        """jieba's words with three mis-cuts of spoken questions taken apart:

        - the tail of an A-not-A question cut apart ("管得严/不严", "多/不多") goes;
        - an A glued to the word before it ("钱安/不/安全") goes back: 钱, 安全, and an A
          standing alone before the whole word ("舍/不/舍得") goes;
        - who is asked about or counted, glued to the verb ("有没有/人查", "好多/人去",
          "外头的/人会来"), leaves the verb (查, 来)."""
        kept: list[str] = []
        for n, w in enumerate(cut):
            before, after = (cut[n - 1] if n else ""), (cut[n + 1] if n + 1 < len(cut) else "")
            if before and len(w) == 2 and w[0] in "不没" and before.endswith(w[1]):
                continue
            if len(w) == 1 and after in ("不", "没") and n + 2 < len(cut) and cut[n + 2].startswith(w) and len(cut[n + 2]) > 1:
                continue  # "舍/不/舍得": the A of an A-not-A question before the whole word
            if w in ("不", "没") and len(before) == 2 and after.startswith(before[1]) and kept and kept[-1] == before and self._unknown(before):
                kept[-1] = before[0]
                continue
            if len(w) > 1 and w[0] == "人" and (before[-1:] in ("有", "得", "的") or before in ("好多", "多少")) and self._unknown(w) and self._unknown(w[:2]):
                w = w[1:]
                if len(w) > 1 and w[0] in _MODALS and self._unknown(w):
                    w = w[1:]  # "外头的/人会来": 来
            kept.append(w)
        return kept

    def _unknown(self, word: str) -> bool:
        """Is `word` a mis-cut jieba glued together (not in its dictionary or ours)?"""
        return word not in self._domain and self.frequency(word) <= RARE_ENTRY

    def _unparticled(self, word: str) -> str:
        """The word without a sentence particle or question tail jieba glued to it ("特色课嘛"
        cut as 特色/课嘛, "看哈", "有人/管没得"): a word jieba does not know that ends in one
        is the word before it."""
        if len(word) > 1 and self._unknown(word):
            head = _ASKING_HEAD.match(word)
            if head and len(word) > len(head.group(0)):
                return word[len(head.group(0)):]  # "咋管", "咋个搞": the verb asked about
            tail = _PARTICLE_END.search(word) or _QUESTION_TAIL.search(word[1:])
            if tail:
                return word[: len(word) - len(tail.group(0))]
        return word

    def tokens(self, text: str) -> list[str]:
        """BM25 tokens of already-normalised text."""
        with self._lock:
            words = self._jieba.lcut_for_search(text)
        return [w.lower() for w in words if _is_word(w) and w not in STOPWORDS]


def _is_word(token: str) -> bool:
    token = token.strip()
    return bool(token) and any(ch.isalnum() for ch in token)
