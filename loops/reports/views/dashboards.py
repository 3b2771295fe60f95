"""The dashboards, the lists behind their numbers, and the exports. Validate the filters, call
the selectors, render."""

from __future__ import annotations

from typing import Any, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from loops.reports import dashboards, exports
from loops.reports.drilldown import drill_loops, drill_responses
from loops.reports.filters import ReportFilters, filter_choices, filters_from
from surveys.models import Band
from vocplatform.permissions import staff_required

PAGE_SIZE = 50
DASHBOARDS = (
    ("feedback", "Feedback"),
    ("accountability", "Accountability"),
    ("advocacy", "Advocacy"),
    ("targets", "Targets"),
)


def _page_context(request: HttpRequest, filters: ReportFilters, name: str) -> dict[str, Any]:
    return {
        "filters": filters,
        "choices": filter_choices(viewer=request.user),
        "q": filters.query(),
        "dashboards": DASHBOARDS,
        "current": name,
    }


def _dashboard(request: HttpRequest, name: str, extra: dict[str, Any]) -> HttpResponse:
    return render(request, f"loops/reports/{name}.html", extra)


@staff_required
def feedback_dashboard(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request.GET, viewer=request.user)
    context = _page_context(request, filters, "feedback")
    context |= dashboards.feedback_context(viewer=request.user, filters=filters)
    context["bands"] = Band
    return _dashboard(request, "feedback", context)


@staff_required
def accountability_dashboard(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request.GET, viewer=request.user)
    context = _page_context(request, filters, "accountability")
    context |= dashboards.accountability_context(viewer=request.user, filters=filters, now=timezone.now())
    return _dashboard(request, "accountability", context)


@staff_required
def advocacy_dashboard(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request.GET, viewer=request.user)
    context = _page_context(request, filters, "advocacy")
    context |= dashboards.advocacy_context(viewer=request.user, filters=filters)
    return _dashboard(request, "advocacy", context)


@staff_required
def targets_dashboard(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request.GET, viewer=request.user)
    context = _page_context(request, filters, "targets")
    context |= dashboards.targets_context(viewer=request.user, filters=filters, now=timezone.now())
    return _dashboard(request, "targets", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_required
def response_drilldown(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request.GET, viewer=request.user)
    responses = (
        drill_responses(viewer=request.user, filters=filters, params=request.GET)
        .select_related("survey", "account", "analysis")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "loops/reports/response_list.html",
        {"page": page, "filters": filters, "query": _query_without_page(request), "q": filters.query()},
    )


@staff_required
def loop_drilldown(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request.GET, viewer=request.user)
    now = timezone.now()
    loops = (
        drill_loops(viewer=request.user, filters=filters, params=request.GET, now=now)
        .select_related("account", "owner", "queue_team")
        .order_by("-opened_at", "-pk")
    )
    page = Paginator(loops, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "loops/reports/loop_list.html",
        {"page": page, "filters": filters, "query": _query_without_page(request), "q": filters.query(), "now": now},
    )


def _download(request: HttpRequest, name: str, columns: list[str], rows: Any, chosen: QuerySet[Any]) -> HttpResponse:
    stamp = timezone.localdate().strftime("%Y%m%d")
    if request.GET.get("format") == "xlsx":
        if chosen[: exports.XLSX_MAX_ROWS + 1].count() > exports.XLSX_MAX_ROWS:
            csv_query = request.GET.copy()
            csv_query.pop("format")
            context = {"limit": exports.XLSX_MAX_ROWS, "csv_url": f"{request.path}?{csv_query.urlencode()}"}
            return render(request, "loops/reports/export_too_large.html", context, status=400)
        response = HttpResponse(
            exports.xlsx_bytes(name, columns, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
        return response
    streaming = StreamingHttpResponse(exports.csv_lines(columns, rows), content_type="text/csv; charset=utf-8")
    streaming["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    # Django serves either kind of response; staff_required is annotated for the common one.
    return cast(HttpResponse, streaming)


@staff_required
def response_export(request: HttpRequest) -> HttpResponse:
    """The responses behind the current filters (and figure, when the link names one)."""
    filters = filters_from(request.GET, viewer=request.user)
    chosen = drill_responses(viewer=request.user, filters=filters, params=request.GET)
    responses = exports.export_responses(viewer=request.user, filters=filters, responses=chosen)
    rows = exports.response_rows(responses, filters.zone)
    return _download(request, "responses", exports.RESPONSE_COLUMNS, rows, responses)


@staff_required
def loop_export(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request.GET, viewer=request.user)
    chosen = drill_loops(viewer=request.user, filters=filters, params=request.GET, now=timezone.now())
    loops = exports.export_loops(viewer=request.user, filters=filters, loops=chosen)
    return _download(request, "loops", exports.LOOP_COLUMNS, exports.loop_rows(loops, filters.zone), loops)
