"""Bar charts as inline SVG, drawn on the server and readable without colour: bars are
outlined and hatched, every bar carries its value written next to it, and the chart has a
`<title>` and a `<desc>` (`role="img"`, `aria-labelledby`). The table beside each chart
is the accessible alternative; the chart only makes the shape visible at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
BAR_COLOUR = "#000091"  # outline and hatching: 11:1 against white
TEXT_COLOUR = "#161616"


@dataclass(frozen=True)
class Bar:
    label: str  # under (columns) or above (rows) the bar
    value: float
    shown: str  # the value as written on the chart ("12", "45 %")


def _defs(chart_id: str) -> str:
    return (
        f'<defs><pattern id="{chart_id}-hachures" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BAR_COLOUR}" stroke-width="3"/>'
        "</pattern></defs>"
    )


def _frame(chart_id: str, title: str, description: str, height: int, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphique" id="{chart_id}" '
        f'role="img" aria-labelledby="{chart_id}-titre {chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'font-family="sans-serif" font-size="13" fill="{TEXT_COLOUR}">'
        f'<title id="{chart_id}-titre">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{_defs(chart_id)}{body}</svg>"
    )


def _bar(chart_id: str, x: float, y: float, width: float, height: float) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'fill="url(#{chart_id}-hachures)" stroke="{BAR_COLOUR}" stroke-width="1.5"/>'
    )


def column_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """Vertical bars (one per week, say), the value above each, the label below."""
    height, top, bottom, left = 240, 24, 40, 8
    plot = height - top - bottom
    peak = max((bar.value for bar in bars), default=0) or 1
    slot = (WIDTH - 2 * left) / max(len(bars), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot}" x2="{WIDTH - left}" y2="{top + plot}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    ]
    for index, bar in enumerate(bars):
        x = left + index * slot
        size = plot * bar.value / peak
        centre = x + slot / 2
        if size > 0:
            body.append(_bar(chart_id, x + slot * 0.15, top + plot - size, slot * 0.7, size))
        body.append(
            f'<text x="{centre:.1f}" y="{top + plot - size - 6:.1f}" text-anchor="middle" '
            f'font-weight="bold">{escape(bar.shown)}</text>'
        )
        body.append(
            f'<text x="{centre:.1f}" y="{top + plot + 18:.1f}" text-anchor="middle" '
            f'font-size="12">{escape(bar.label)}</text>'
        )
    return _frame(chart_id, title, description, height, "".join(body))


def row_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars (one per type, say): the label above each bar, the value after it."""
    row, top, left, label_room = 46, 8, 8, 70
    height = top * 2 + row * max(len(bars), 1)
    peak = max((bar.value for bar in bars), default=0) or 1
    usable = WIDTH - 2 * left - label_room
    body = []
    for index, bar in enumerate(bars):
        y = top + index * row
        size = usable * bar.value / peak
        body.append(f'<text x="{left}" y="{y + 14}">{escape(bar.label)}</text>')
        if size > 0:
            body.append(_bar(chart_id, left, y + 20, size, 18))
        body.append(
            f'<text x="{left + size + 6:.1f}" y="{y + 34}" font-weight="bold">'
            f"{escape(bar.shown)}</text>"
        )
    return _frame(chart_id, title, description, height, "".join(body))
