"""Charts drawn on the server as inline SVG: no chart library, nothing fetched by the browser."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the figure as printed beside the bar
    color: str = "#1f6feb"


def horizontal_bars(bars: Sequence[Bar], *, title: str, maximum: float | None = None,
                    target: float | None = None, target_label: str = "") -> Markup:
    """One labelled bar per row; an optional dashed target line (e.g. an SLA goal)."""
    if not bars:
        return Markup("")
    row, label_w, bar_w, text_w = 24, 170, 300, 70
    width, height = label_w + bar_w + text_w, row * len(bars) + 30
    top = max([maximum or 0.0, *(b.value or 0.0 for b in bars)]) or 1.0
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, bar in enumerate(bars):
        y = 8 + i * row
        length = 0.0 if bar.value is None else bar_w * bar.value / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="lbl">'
                     f"{escape(_clip(bar.label, 22))}</text>")
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
                     f'rx="2" fill="{escape(bar.color)}"><title>{escape(bar.label)}: '
                     f"{escape(bar.text)}</title></rect>")
        parts.append(f'<text x="{label_w + length + 4:.1f}" y="{y + 15}" class="val" '
                     f'data-bar="{escape(bar.label)}">{escape(bar.text)}</text>')
    if target is not None:
        x = label_w + bar_w * target / top
        parts.append(f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 20}" class="target"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" class="lbl">'
                     f"{escape(target_label)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def axis(value: float, *, whole: bool = False) -> tuple[float, float]:
    """A round top and step for an axis reaching ``value``: steps of 1, 2 or 5 × 10ⁿ, four to
    five of them (whole numbers only, for counts)."""
    value = max(value, 1.0)
    for exponent in range(-2, 7):
        for base in (1, 2, 2.5, 5):
            step = base * 10 ** exponent
            if (whole and step != int(step)) or step < value / 5:
                continue
            return math.ceil(value / step - 1e-9) * step, step
    return value, value


def columns(values: Sequence[tuple[int, float | None, str]], *, title: str, unit: str,
            line: Sequence[tuple[int, float]] = (), line_label: str = "",
            span: tuple[int, int] | None = None) -> Markup:
    """Columns per hour of day with an optional second series drawn as dots (e.g. tickets
    issued) on its own scale, at the right. The hours shown are ``span`` (the hall's opening
    hours) widened to the hours that have data; each axis has round steps and is labelled."""
    if not values:
        return Markup("")
    hours = [h for h, _, _ in values]
    first, last = span if span is not None else (min(hours), max(hours))
    first, last = min(first, *hours), max(last, *hours)
    while last - first < 5:  # at least six hours, so one busy hour is one column of many
        first, last = max(0, first - 1), min(23, last + 1)
    slots = last - first + 1
    left, right, bottom, top_pad, plot_h = 46, 46, 30, 22, 170
    slot_w = max(22, min(56, 640 // slots))
    width, height = left + slot_w * slots + right, top_pad + plot_h + bottom
    base = top_pad + plot_h
    top, step = axis(max((v or 0.0) for _, v, _ in values))
    line_top, line_step = axis(max((v for _, v in line), default=0.0), whole=True)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<text x="{left - 6}" y="12" text-anchor="end" class="lbl">{escape(unit)}</text>']
    if line:
        parts.append(f'<text x="{width - right + 6}" y="12" class="lbl line-lbl">'
                     f"{escape(line_label)}</text>")
    ticks = round(top / step)
    for index in range(ticks + 1):  # gridlines at the left axis' round steps
        y = base - plot_h * index / ticks
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'class="{"axis" if index == 0 else "grid"}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="lbl">'
                     f"{_tick(step * index)}</text>")
    if line:  # the right axis at its own round steps
        for index in range(round(line_top / line_step) + 1):
            y = base - plot_h * line_step * index / line_top
            parts.append(f'<text x="{width - right + 6}" y="{y + 4:.1f}" class="lbl line-lbl">'
                         f"{_tick(line_step * index)}</text>")
    for hour in range(first, last + 1):
        x = left + (hour - first) * slot_w
        parts.append(f'<text x="{x + slot_w / 2:.1f}" y="{base + 16}" text-anchor="middle" '
                     f'class="lbl">{hour:02d}</text>')
    for hour, value, text in values:
        x = left + (hour - first) * slot_w
        h = 0.0 if value is None else plot_h * value / top
        parts.append(f'<rect x="{x + 3}" y="{base - h:.1f}" width="{slot_w - 6}" '
                     f'height="{h:.1f}" fill="#1f6feb" data-hour="{hour}"><title>{hour:02d}.00: '
                     f"{escape(text)}</title></rect>")
    for hour, value in line:
        cx = left + (hour - first) * slot_w + slot_w / 2
        y = base - plot_h * value / line_top
        parts.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="3.5" fill="#d9480f">'
                     f"<title>{hour:02d}.00: {value:.0f} {escape(line_label)}</title></circle>")
    parts.append(f'<text x="{left + slot_w * slots / 2:.1f}" y="{height - 1}" '
                 f'text-anchor="middle" class="lbl">jam</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _tick(value: float) -> str:
    """A step's label as Indonesians write numbers: 2,5 rather than 2.5."""
    return f"{value:.0f}" if value == int(value) else f"{value:g}".replace(".", ",")


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
