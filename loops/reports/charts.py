"""Charts as SVG strings made on the server: one module for the dashboards and the PDFs.

Every piece of text that reaches the SVG (labels, titles, numbers) goes through `_text`, which
escapes it for XML, so a theme or reason typed as `<script>` stays text. The result is marked
safe only after that, for templates to include as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK, MUTED, LINE, BRAND, BAD = "#1b1f24", "#57606a", "#d0d7de", "#0b5cad", "#a40e26"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def _text(value: object) -> str:
    return str(escape(str(value)))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" font-family="{FONT}" font-size="11">'
        f"<title>{_text(title)}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text went through _text


@dataclass(frozen=True)
class TrendPoint:
    label: str
    value: float | None
    margin: float | None = None  # half-width of the confidence interval, drawn as an error bar
    n: int | None = None  # sample size, printed under the label
    noise: bool = False  # drawn hollow: a small sample, or a change within the margins of error


def _scale(low: float, high: float, top: float, bottom: float) -> tuple[float, float]:
    span = (high - low) or 1.0
    return (bottom - top) / span, low


def trend_chart(
    points: Sequence[TrendPoint],
    *,
    title: str,
    y_min: float,
    y_max: float,
    unit: str = "",
    width: int = 640,
    height: int = 230,
    note: str = "",
) -> SafeString:
    """A line over time with error bars, sample sizes, and hollow markers for noise. The ``note``
    goes under it, a line of the chart for each line of the note (an SVG text does not wrap)."""
    left, right, top, bottom = 44, 12, 12, height - 46
    note_lines = note.splitlines()
    height += 12 * max(len(note_lines) - 1, 0)
    body = _y_axis(y_min, y_max, left, width - right, top, bottom, unit)
    step = (width - left - right) / max(len(points), 1)
    ratio, low = _scale(y_min, y_max, top, bottom)

    def y(value: float) -> float:
        return bottom - (min(max(value, y_min), y_max) - low) * ratio

    path: list[str] = []
    marks: list[str] = []  # drawn after the line, so the line never hides a marker
    every = max(1, math.ceil(len(points) / 13))
    for i, point in enumerate(points):
        x = left + step * (i + 0.5)
        if i % every == 0:
            body.append(
                f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" fill="{MUTED}">{_text(point.label)}</text>'
            )
            if point.n is not None:
                body.append(
                    f'<text x="{x:.1f}" y="{bottom + 27}" text-anchor="middle" fill="{MUTED}" font-size="9">'
                    f"n={point.n}</text>"
                )
        if point.value is None:
            continue
        path.append(f"{'L' if path else 'M'}{x:.1f},{y(point.value):.1f}")
        if point.margin:
            marks.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(point.value - point.margin):.1f}" '
                f'y2="{y(point.value + point.margin):.1f}" stroke="{MUTED}" stroke-width="1"/>'
            )
        fill = "#fff" if point.noise else BRAND
        marks.append(
            f'<circle cx="{x:.1f}" cy="{y(point.value):.1f}" r="4" fill="{fill}" stroke="{BRAND}" stroke-width="2">'
            f"<title>{_text(point.label)}: {_text(_num(point.value))}{_text(unit)}"
            f"{_text(' (noise)') if point.noise else ''}</title></circle>"
        )
    if path:
        body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{BRAND}" stroke-width="1.5"/>')
    body.extend(marks)
    for i, line in enumerate(note_lines):
        yy = height - 4 - 12 * (len(note_lines) - 1 - i)
        body.append(f'<text x="{left}" y="{yy}" fill="{MUTED}" font-size="10">{_text(line)}</text>')
    return _svg(width, height, title, body)


def _y_axis(low: float, high: float, x0: float, x1: float, top: float, bottom: float, unit: str) -> list[str]:
    ratio, base = _scale(low, high, top, bottom)
    body = []
    for i in range(5):
        value = low + (high - low) * i / 4
        yy = bottom - (value - base) * ratio
        body.append(f'<line x1="{x0}" x2="{x1}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{LINE}" stroke-width="1"/>')
        body.append(
            f'<text x="{x0 - 4}" y="{yy + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{_text(_num(value))}{_text(unit)}</text>"
        )
    return body


def bar_chart(
    bars: Sequence[tuple[str, float]], *, title: str, unit: str = "", width: int = 640, max_value: float | None = None
) -> SafeString:
    """Horizontal bars, one per label, the value printed at the end of each."""
    row, label_width, top = 22, 190, 6
    height = top * 2 + row * max(len(bars), 1)
    peak = max_value or max((value for _label, value in bars), default=0) or 1
    span = width - label_width - 60
    body = []
    for i, (label, value) in enumerate(bars):
        yy = top + i * row
        length = max(value, 0) / peak * span
        short = label if len(label) <= 30 else label[:29] + "…"
        body.append(f'<text x="{label_width - 6}" y="{yy + 15}" text-anchor="end" fill="{INK}">{_text(short)}</text>')
        body.append(f'<rect x="{label_width}" y="{yy + 4}" width="{length:.1f}" height="{row - 8}" fill="{BRAND}"/>')
        body.append(
            f'<text x="{label_width + length + 4:.1f}" y="{yy + 15}" fill="{INK}">'
            f"{_text(_num(value))}{_text(unit)}</text>"
        )
    if not bars:
        body.append(f'<text x="{width / 2}" y="{top + 14}" text-anchor="middle" fill="{MUTED}">no data</text>')
    return _svg(width, height, title, body)


def column_chart(
    columns: Sequence[tuple[str, float]], *, title: str, width: int = 640, height: int = 200, bad_until: int = -1
) -> SafeString:
    """Vertical columns (a distribution); the first `bad_until + 1` are drawn in red (detractors)."""
    left, right, top, bottom = 36, 8, 16, height - 22
    peak = max((value for _label, value in columns), default=0) or 1
    body = _y_axis(0, peak, left, width - right, top, bottom, "")
    step = (width - left - right) / max(len(columns), 1)
    for i, (label, value) in enumerate(columns):
        x = left + step * i + step * 0.15
        h = value / peak * (bottom - top)
        colour = BAD if i <= bad_until else BRAND
        body.append(
            f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{_text(label)}: {_text(_num(value))}</title></rect>"
        )
        body.append(
            f'<text x="{x + step * 0.35:.1f}" y="{bottom + 14}" text-anchor="middle" fill="{MUTED}">'
            f"{_text(label)}</text>"
        )
    return _svg(width, height, title, body)
