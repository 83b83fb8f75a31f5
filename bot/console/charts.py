"""Inline SVG charts: the geometry is computed here, the templates draw it (charts.html).
No JavaScript, no images: the numbers are in the page, titles carry the exact values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # CSS class: answered, tentative, refused, topic
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]
    title: str


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def stacked_columns(title: str, columns: Sequence[tuple[str, Sequence[tuple[str, int]]]], *, width: int = 640, height: int = 180) -> Chart:
    """One column per (label, [(kind, value), ...]) stacked bottom-up, e.g. questions per day."""
    left, right, bottom, top = 34, 18, 22, 8
    plot_h = height - bottom - top
    top_value = nice_max(max((sum(v for _, v in parts) for _, parts in columns), default=0))
    step = (width - left - right) / max(len(columns), 1)
    bars: list[Bar] = []
    labels = [Label(left - 4, top + 4, f"{top_value:g}", "end"), Label(left - 4, top + plot_h, "0", "end")]
    for n, (name, parts) in enumerate(columns):
        x, base = left + n * step + step * 0.15, top + plot_h
        for kind, value in parts:
            h = plot_h * value / top_value
            if value:
                bars.append(Bar(round(x, 1), round(base - h, 1), round(step * 0.7, 1), round(h, 1), kind, f"{name} {kind}: {value}"))
            base -= h
        if n % max(1, len(columns) // 6) == 0 or n == len(columns) - 1:
            labels.append(Label(round(x + step * 0.35, 1), height - 6, name))
    return Chart(width, height, tuple(bars), tuple(labels), title)


def horizontal_bars(title: str, rows: Sequence[tuple[str, int]], *, width: int = 640, row_height: int = 22) -> Chart:
    """One bar per (label, value), largest first, e.g. the week's topics."""
    left = 130
    height = max(row_height * len(rows) + 8, 30)
    top_value = nice_max(max((v for _, v in rows), default=0))
    bars, labels = [], []
    for n, (name, value) in enumerate(rows):
        y = 4 + n * row_height
        w = (width - left - 40) * value / top_value
        bars.append(Bar(left, y, round(w, 1), row_height - 6, "topic", f"{name}: {value}"))
        labels.append(Label(left - 6, y + row_height - 10, name, "end"))
        labels.append(Label(left + round(w, 1) + 4, y + row_height - 10, str(value), "start"))
    return Chart(width, height, tuple(bars), tuple(labels), title)
