"""Bar charts as inline SVG, drawn on the server and readable without colour: bars are
outlined and hatched, every bar carries its value written next to it, and the chart has a
`<title>` and a `<desc>` (`role="img"`, `aria-labelledby`). The table beside each chart
is the accessible alternative; the chart only makes the shape visible at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 640
BAR_COLOUR = "#000091"  # outline and hatching: 11:1 against white
TEXT_COLOUR = "#161616"


@dataclass(frozen=True)
class Bar:
    label: str  # under (columns) or above (rows) the bar
    value: float
    shown: str  # the value as written on the chart ("12", "45 %")


def _defs(chart_id: str) -> Markup:
    return Markup(
        '<defs><pattern id="{0}-hachures" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="{1}" stroke-width="3"/>'
        "</pattern></defs>"
    ).format(chart_id, BAR_COLOUR)


def _frame(chart_id: str, title: str, description: str, height: int, body: Markup) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="graphique" id="{0}" '
        'role="img" aria-labelledby="{0}-titre {0}-desc" '
        'viewBox="0 0 {1} {2}" width="100%" '
        'font-family="sans-serif" font-size="13" fill="{3}">'
        '<title id="{0}-titre">{4}</title>'
        '<desc id="{0}-desc">{5}</desc>'
        "{6}{7}</svg>"
    ).format(chart_id, WIDTH, height, TEXT_COLOUR, title, description, _defs(chart_id), body)


def _bar(chart_id: str, x: float, y: float, width: float, height: float) -> Markup:
    return Markup(
        '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" '
        'fill="url(#{}-hachures)" stroke="{}" stroke-width="1.5"/>'
    ).format(x, y, width, height, chart_id, BAR_COLOUR)


VALUE = Markup(' font-weight="bold"')
CENTRED_VALUE = Markup(' text-anchor="middle" font-weight="bold"')
CENTRED_LABEL = Markup(' text-anchor="middle" font-size="12"')


PLAIN = Markup("")


def _text(x: float, y: float, text: str, attributes: Markup = PLAIN) -> Markup:
    return Markup('<text x="{:.1f}" y="{:.1f}"{}>{}</text>').format(x, y, attributes, text)


def column_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """Vertical bars (one per week, say), the value above each, the label below."""
    height, top, bottom, left = 240, 24, 40, 8
    plot = height - top - bottom
    peak = max((bar.value for bar in bars), default=0) or 1
    slot = (WIDTH - 2 * left) / max(len(bars), 1)
    body = [
        Markup('<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="{3}" stroke-width="1"/>').format(
            left, top + plot, WIDTH - left, TEXT_COLOUR
        )
    ]
    for index, bar in enumerate(bars):
        x = left + index * slot
        size = plot * bar.value / peak
        centre = x + slot / 2
        if size > 0:
            body.append(_bar(chart_id, x + slot * 0.15, top + plot - size, slot * 0.7, size))
        body.append(_text(centre, top + plot - size - 6, bar.shown, CENTRED_VALUE))
        body.append(_text(centre, top + plot + 18, bar.label, CENTRED_LABEL))
    return _frame(chart_id, title, description, height, Markup("").join(body))


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
        body.append(_text(left, y + 14, bar.label))
        if size > 0:
            body.append(_bar(chart_id, left, y + 20, size, 18))
        body.append(_text(left + size + 6, y + 34, bar.shown, VALUE))
    return _frame(chart_id, title, description, height, Markup("").join(body))
