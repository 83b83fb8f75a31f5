"""Character accuracy of OCR against known text (tests and bench/bench_ocr.py).

Both texts are compared without whitespace and with full-width forms folded
(`，` = `,`), since a layout's spaces and the width of punctuation say nothing about
whether the characters were read right. Accuracy = 1 − edit distance / length of the truth.
"""

from __future__ import annotations

import unicodedata


def comparable(text: str) -> str:
    """NFKC (full-width → half-width), no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def character_accuracy(read: str, truth: str) -> float:
    """1 − edit distance / characters of the truth (0 when everything is wrong or missing)."""
    truth, read = comparable(truth), comparable(read)
    if not truth:
        return 1.0 if not read else 0.0
    return max(0.0, 1.0 - edit_distance(read, truth) / len(truth))
