"""Homophone slips from pinyin input: 课后服误 → 课后服务, 举报电化 → 举报电话, 补科 → 补课.

Parents type with a pinyin keyboard and pick the wrong character of the same sound,
often with their dialect's merged sounds (zh/z, ch/c, sh/s, n/l, -ng/-n: 结束 typed as
借宿). A stretch of the question that never occurs in the reports but sounds like a
word of the domain vocabulary (the jieba dictionary and the term table) is replaced by
that word. Stretches the reports do contain are never touched, so a real word is not
"corrected" into another.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
# Sounds that many southern speakers (and their typing) do not tell apart.
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))
MIN_LEN, MAX_LEN = 2, 6
# Particles that follow a verb: the character before them stands as a word of its own.
_ASPECT = frozenset("了着过")
# A word this common in jieba's dictionary (借宿 140, 房价 655, 该 > 10000) is not taken for a slip.
COMMON_WORD = 300


@lru_cache(maxsize=16384)
def fuzzy_sound(char: str) -> str:
    """The toneless pinyin of one character with easily confused sounds merged."""
    sound = lazy_pinyin(char, style=Style.NORMAL)[0]
    for long, short in _INITIALS:
        if sound.startswith(long):
            sound = short + sound[len(long) :]
            break
    for long, short in _FINALS:
        if sound.endswith(long):
            sound = sound[: -len(long)] + short
            break
    return sound


def sound_key(word: str) -> str:
    return " ".join(fuzzy_sound(ch) for ch in word)


class HomophoneCorrector:
    """Replaces stretches that sound like a domain word but are not in the reports.

    `frequency` says how common a word is (jieba's dictionary). A stretch must start and
    end on word boundaries (服务怎么 never yields 务怎 ~ 无证); a two-character stretch
    must not be a word at all (房价 is not a slip for 放假); in a longer one, the words
    holding the changed characters must be rare (家长该 is not a slip for 家长改).
    """

    def __init__(
        self,
        vocabulary: Iterable[str],
        corpus_text: str,
        frequency: Callable[[str], int] = lambda _: 0,
        sample_text: str | None = None,
    ) -> None:
        """`sample_text` (a sample of the corpus) ranks sound-alike words by use instead of
        all of `corpus_text`: counting hundreds of words in a national corpus takes minutes."""
        self.corpus_text = corpus_text
        self.frequency = frequency
        self.by_sound: dict[str, str] = {}
        ranking = corpus_text if sample_text is None else sample_text
        for word in sorted(set(vocabulary), key=lambda w: (-ranking.count(w), w)):
            if MIN_LEN <= len(word) <= MAX_LEN and _HAN.match(word):
                self.by_sound.setdefault(sound_key(word), word)  # the word the reports use most wins
        self.known = frozenset(self.by_sound.values())

    def correct(self, text: str, spans: Sequence[tuple[str, int, int]] | None = None) -> tuple[str, tuple[tuple[str, str], ...]]:
        """`text` with slips replaced (longest stretch first), and the (slip, word) pairs.

        `spans` are the tokenizer's (word, start, end); without them every offset is a boundary.
        """
        spans = list(spans) if spans is not None else [(ch, n, n + 1) for n, ch in enumerate(text)]
        starts = {start: (word, end) for word, start, end in spans}
        ends = {end for _, _, end in spans} | {0}
        fixes: list[tuple[str, str]] = []
        i = 0
        out = []
        while i < len(text):
            for size in range(min(MAX_LEN, len(text) - i), MIN_LEN - 1, -1):
                if i not in starts or i + size not in ends:
                    continue
                stretch = text[i : i + size]
                word = self._replacement(stretch)
                if word and self._plausible_slip(stretch, word, i, starts):
                    fixes.append((stretch, word))
                    out.append(word)
                    i += size
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out), tuple(fixes)

    def _replacement(self, stretch: str) -> str | None:
        if stretch in self.known or not _HAN.match(stretch):
            return None
        word = self.by_sound.get(sound_key(stretch))
        if not word or stretch in self.corpus_text:  # the reports' own words are never "slips"
            return None
        return word

    def _plausible_slip(self, stretch: str, word: str, offset: int, starts: dict[int, tuple[str, int]]) -> bool:
        if len(stretch) == MIN_LEN:  # (a verb and its 了 is no slip: 建了 is not 减了)
            return self.frequency(stretch) == 0 and stretch[-1] not in _ASPECT
        changed = {offset + n for n, (a, b) in enumerate(zip(stretch, word)) if a != b}
        position = offset
        while position < offset + len(stretch):
            token, end = starts[position]
            if changed & set(range(position, end)) and self.frequency(token) >= COMMON_WORD:
                return False
            position = end
        return True
