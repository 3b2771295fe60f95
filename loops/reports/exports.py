"""CSV and Excel exports of responses and loops: the rows a dashboard's filters select, under the
same visibility rule, with the customer's name and email only where they consented.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return that hides one)
as a formula; every such text cell is prefixed with a single quote so it stays text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from loops.models import Loop
from loops.reports.filters import ReportFilters, loops_filtered, responses_filtered
from loops.selectors.cases import Viewer
from surveys.models import Response
from surveys.selectors.responses import attributed
from vocplatform.spreadsheets import neutralised

CHUNK = 2000

RESPONSE_COLUMNS = [
    "response id", "answered at", "survey", "touchpoint", "account id", "account", "segment", "region",
    "business unit", "score kind", "score", "band", "comment", "customer name", "customer email",
    "sentiment", "negative", "themes",
]  # fmt: skip
LOOP_COLUMNS = [
    "loop id", "opened at", "status", "priority", "account id", "account", "segment", "owner", "team",
    "reason for engagement", "first contact at", "first contact due", "resolved at", "resolution due",
    "closed at", "effort hours", "expenses", "root causes", "recovered", "customer name", "comment",
]  # fmt: skip


def _cell(value: Any, zone: dt.tzinfo) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return ""
    return neutralised(value)


def export_responses(
    *, viewer: Viewer, filters: ReportFilters, responses: QuerySet[Response] | None = None
) -> QuerySet[Response]:
    responses = responses if responses is not None else responses_filtered(viewer=viewer, filters=filters)
    return (
        responses.annotate(attributed_name=attributed("name"), attributed_email=attributed("email"))
        .select_related("survey", "account", "analysis")
        .order_by("created_at", "pk")
    )


def response_rows(responses: QuerySet[Response], zone: dt.tzinfo) -> Iterator[list[Any]]:
    for r in responses.iterator(chunk_size=CHUNK):
        analysis = getattr(r, "analysis", None)
        themes = ", ".join(t.get("name", "") for t in (analysis.themes if analysis else []) if isinstance(t, dict))
        row = [
            r.pk, r.created_at, r.survey.name, r.touchpoint, r.account.external_id, r.account.name,
            r.account.segment, r.account.region, r.account.business_unit, r.score_kind, r.score, r.score_band,
            r.comment, r.attributed_name, r.attributed_email,  # type: ignore[attr-defined]
            analysis.sentiment if analysis else None, analysis.is_negative if analysis else None, themes,
        ]  # fmt: skip
        yield [_cell(value, zone) for value in row]


def export_loops(*, viewer: Viewer, filters: ReportFilters, loops: QuerySet[Loop] | None = None) -> QuerySet[Loop]:
    loops = loops if loops is not None else loops_filtered(viewer=viewer, filters=filters)
    return (
        loops.annotate(attributed_name=attributed("name", "response"))
        .select_related("account", "owner__team", "queue_team", "response")
        .prefetch_related("root_causes")
        .order_by("opened_at", "pk")
    )


def loop_rows(loops: QuerySet[Loop], zone: dt.tzinfo) -> Iterator[list[Any]]:
    for loop in loops.iterator(chunk_size=CHUNK):
        team = loop.owner.team if loop.owner else loop.queue_team
        row = [
            loop.pk, loop.opened_at, loop.get_status_display(), loop.get_priority_display(),
            loop.account.external_id, loop.account.name, loop.account.segment, str(loop.owner or ""),
            str(team or ""), loop.reason_for_engagement, loop.first_contact_at, loop.first_contact_due_at,
            loop.resolved_at, loop.resolution_due_at, loop.closed_at, loop.effort_hours, loop.expenses,
            ", ".join(c.name for c in loop.root_causes.all()),
            "" if loop.recovered is None else ("yes" if loop.recovered else "no"),
            loop.attributed_name, loop.response.comment,  # type: ignore[attr-defined]
        ]  # fmt: skip
        yield [_cell(value, zone) for value in row]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV text line by line, for a streaming response (a UTF-8 BOM first, for Excel)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(columns)
    for row in rows:
        yield writer.writerow(row)


# An Excel workbook is built whole before the first byte goes out (at about 10,000 rows a second
# here), unlike the streamed CSV, so a web request builds one only up to this size.
XLSX_MAX_ROWS = 50_000


def xlsx_bytes(sheet: str, columns: Sequence[str], rows: Iterable[list[Any]]) -> bytes:
    from openpyxl import Workbook  # loaded on the first Excel export, not in every web process

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(list(columns))
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
