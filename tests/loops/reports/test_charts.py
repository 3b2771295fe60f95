"""The SVG charts: well-formed XML, every text escaped, noise drawn hollow and explained."""

# ruff: noqa: S314 - the XML parsed here is the charts' own output, the thing under test

from __future__ import annotations

import xml.etree.ElementTree as ET

from loops.reports.charts import TrendPoint, bar_chart, column_chart, trend_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_labels_are_escaped_and_the_svg_parses():
    hostile = '<script>alert("x")</script> & "quotes"'
    for svg in (
        bar_chart([(hostile, 3)], title=hostile),
        column_chart([(hostile, 2)], title=hostile),
        trend_chart([TrendPoint(hostile, 10, 5, 12)], title=hostile, y_min=-100, y_max=100, note=hostile),
    ):
        root = ET.fromstring(str(svg))
        assert root.tag == f"{SVG}svg" and "<script>" not in str(svg)
        assert root.find(f"{SVG}script") is None and not list(root.iter(f"{SVG}script"))
        assert hostile in [el.text for el in root.iter() if el.text]


def test_trend_chart_shows_sample_sizes_error_bars_and_hollow_noise():
    svg = str(
        trend_chart(
            [TrendPoint("Mar", 20, margin=8, n=400), TrendPoint("Apr", 25, margin=30, n=12, noise=True)],
            title="NPS",
            y_min=-100,
            y_max=100,
            note="Hollow: noise",
        )
    )
    root = ET.fromstring(svg)
    circles = list(root.iter(f"{SVG}circle"))
    assert [c.get("fill") for c in circles] == ["#0b5cad", "#fff"]
    assert len([line for line in root.iter(f"{SVG}line") if line.get("x1") == line.get("x2")]) == 2  # error bars
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert "n=400" in texts and "n=12" in texts and "Hollow: noise" in texts
    assert "Apr: 25 (noise)" in [el.text for el in root.iter(f"{SVG}title")]


def test_a_missing_value_breaks_no_chart():
    svg = str(trend_chart([TrendPoint("Mar", None, n=0), TrendPoint("Apr", 5, n=3)], title="t", y_min=0, y_max=10))
    assert len(list(ET.fromstring(svg).iter(f"{SVG}circle"))) == 1
    assert "no data" in str(bar_chart([], title="empty"))
