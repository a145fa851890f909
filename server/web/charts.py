"""Charts drawn on the server as inline SVG: no chart library, nothing fetched by the browser."""

from __future__ import annotations

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


def columns(values: Sequence[tuple[int, float | None, str]], *, title: str, unit: str,
            line: Sequence[tuple[int, float]] = (), line_label: str = "") -> Markup:
    """Columns per hour of day (0–23 shown only where there is data) with an optional second
    series drawn as dots (e.g. tickets issued), on its own scale."""
    if not values:
        return Markup("")
    hours = [h for h, _, _ in values]
    first, last = min([*hours, 7]), max([*hours, 17])  # at least a working day, so one busy
    # hour still draws as one column among many rather than one wall
    slots = last - first + 1
    left, bottom, plot_h, slot_w = 40, 28, 160, max(18, min(40, 600 // slots))
    width, height = left + slot_w * slots + 10, plot_h + bottom + 16
    top = max(1.0, *((v or 0.0) for _, v, _ in values))
    line_top = max((v for _, v in line), default=0.0) or 1.0
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{plot_h + 8}" x2="{width - 6}" y2="{plot_h + 8}" class="axis"/>',
             f'<text x="{left - 4}" y="14" text-anchor="end" class="lbl">{top:.0f}</text>',
             f'<text x="{left - 4}" y="{plot_h + 8}" text-anchor="end" class="lbl">0</text>',
             f'<text x="{left}" y="{height - 2}" class="lbl">{escape(unit)}</text>']
    for hour, value, text in values:
        x = left + (hour - first) * slot_w
        h = 0.0 if value is None else plot_h * value / top
        parts.append(f'<rect x="{x + 2}" y="{plot_h + 8 - h:.1f}" width="{slot_w - 4}" '
                     f'height="{h:.1f}" fill="#1f6feb"><title>{hour:02d}.00: {escape(text)}'
                     f"</title></rect>")
        parts.append(f'<text x="{x + slot_w / 2:.1f}" y="{plot_h + 22}" text-anchor="middle" '
                     f'class="lbl">{hour:02d}</text>')
    for hour, value in line:
        cx = left + (hour - first) * slot_w + slot_w / 2
        y = plot_h + 8 - plot_h * value / line_top
        parts.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="3.5" fill="#d9480f">'
                     f"<title>{hour:02d}.00: {value:.0f} {escape(line_label)}</title></circle>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
