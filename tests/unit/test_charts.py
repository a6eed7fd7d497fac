"""The SVG charts: well-formed, labelled for assistive technologies, every value written
on the chart (readable without colour), text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.reports.charts import Bar, column_chart, row_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


@pytest.mark.parametrize("draw", [column_chart, row_chart])
def test_the_chart_is_an_image_named_by_its_title_and_description(draw):
    svg = parse(draw("hebdo", "Rendez-vous par semaine", "Douze semaines.", [Bar("30/11", 3, "3")]))
    assert svg.get("role") == "img"
    title, desc = svg.get("aria-labelledby").split()
    assert svg.find(f".//svg:title[@id='{title}']", NS).text == "Rendez-vous par semaine"
    assert svg.find(f".//svg:desc[@id='{desc}']", NS).text == "Douze semaines."


@pytest.mark.parametrize("draw", [column_chart, row_chart])
def test_every_bar_has_its_value_and_label_written(draw):
    bars = [Bar("30/11", 12, "12"), Bar("07/12", 0, "0"), Bar("14/12", 5, "5")]
    svg = parse(draw("c", "t", "d", bars))
    texts = [t.text for t in svg.iterfind(".//svg:text", NS)]
    for bar in bars:
        assert bar.label in texts and bar.shown in texts
    rects = svg.findall(".//svg:rect[@stroke]", NS)
    assert len(rects) == 2  # a zero draws no bar, only its value
    assert all(r.get("fill") == "url(#c-hachures)" for r in rects)


def test_bar_heights_follow_the_values():
    svg = parse(column_chart("c", "t", "d", [Bar("a", 10, "10"), Bar("b", 5, "5")]))
    high, low = (float(r.get("height")) for r in svg.findall(".//svg:rect[@stroke]", NS))
    assert high == pytest.approx(2 * low)


@pytest.mark.parametrize("draw", [column_chart, row_chart])
def test_text_is_escaped_and_an_empty_chart_still_draws(draw):
    svg = parse(draw("c", "<script>", "a & b", [Bar("<b>", 0, "0")]))
    assert svg.find("svg:title", NS).text == "<script>"
    assert "<b>" in [t.text for t in svg.iterfind(".//svg:text", NS)]
    assert parse(draw("vide", "t", "d", [])).get("role") == "img"


def test_french_figures():
    from datetime import timedelta

    from app.reports.wording import lead_time, percent

    assert percent(3 / 76) == "3,9\u202f%"
    assert percent(0.5) == "50\u202f%"
    assert percent(None) == "—"
    assert lead_time(timedelta(days=2, hours=4)) == "2 j 4 h"
    assert lead_time(timedelta(days=10)) == "10 j"
    assert lead_time(timedelta(minutes=20)) == "moins d'une heure"
    assert lead_time(None) == "—"
