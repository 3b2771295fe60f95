"""The reports page: ask for a pack, watch it render, download it from the archive; the
distribution schedules with their "send now" button; the account report as a direct download."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loops.models import GeneratedReport, ReportKind, ReportSchedule
from loops.reports.distribution import report_create, reports_visible, schedule_report_create, schedules_visible
from loops.reports.filters import default_filters
from loops.reports.forms import ReportRequestForm
from loops.reports.packs import render_pack
from loops.tasks import report_render_task
from vocplatform.models import User
from vocplatform.permissions import staff_required
from vocplatform.queueing import enqueue_on_commit

# A second "Send now" this soon after one is a double click, not a wish for a second pack.
SEND_NOW_REPEAT = dt.timedelta(minutes=1)

PAGE_SIZE = 25


def _viewer(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_required let them in
    return request.user


@staff_required
def report_index(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    if request.method == "POST":
        form = ReportRequestForm(request.POST, user=user)
        if form.is_valid():
            report = _request_report(user, form.cleaned_data)
            return redirect("loops:report_detail", pk=report.pk)
    else:
        week = default_filters(viewer=user, days=7)
        form = ReportRequestForm(user=user, initial={"date_from": week.date_from, "date_to": week.date_to})
    archive = reports_visible(user).select_related("rendered_as", "schedule").defer("pdf")
    page = Paginator(archive, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "loops/reports/index.html",
        {"form": form, "page": page, "schedules": schedules_visible(user), "query": ""},
    )


def _request_report(user: User, data: dict[str, object]) -> GeneratedReport:
    account = data.get("account_obj")
    date_from, date_to = data["date_from"], data["date_to"]
    assert isinstance(date_from, dt.date) and isinstance(date_to, dt.date)
    with transaction.atomic():
        report = report_create(
            kind=str(data["kind"]),
            rendered_as=user,
            requested_by=user,
            date_from=date_from,
            date_to=date_to,
            team=data.get("team") if data["kind"] == ReportKind.WEEKLY else None,  # type: ignore[arg-type]
            account_id=getattr(account, "pk", None),
        )
        enqueue_on_commit(report_render_task, report.pk, swept=True)
    return report


def _report(request: HttpRequest, pk: int) -> GeneratedReport:
    return get_object_or_404(reports_visible(_viewer(request)).defer("pdf"), pk=pk)


@staff_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    return render(request, "loops/reports/report_detail.html", {"report": report})


@staff_required
def report_status(request: HttpRequest, pk: int) -> JsonResponse:
    report = _report(request, pk)
    return JsonResponse({"status": report.status, "label": report.get_status_display(), "percent": report.percent})


@staff_required
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(reports_visible(_viewer(request)), pk=pk, status=GeneratedReport.Status.DONE)
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


@staff_required
@require_POST
def schedule_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send now: a run outside the schedule, for the period that ends yesterday; shown rendering."""
    schedule = get_object_or_404(schedules_visible(_viewer(request)), pk=pk)
    with transaction.atomic():
        # Locked, so that a double click's second POST waits for the first and finds its pack.
        ReportSchedule.objects.select_for_update().filter(pk=schedule.pk).first()
        now = timezone.now()
        pending = (
            GeneratedReport.objects.filter(schedule=schedule, due_at__isnull=True)
            .filter(
                Q(status__in=[GeneratedReport.Status.QUEUED, GeneratedReport.Status.RENDERING])
                | Q(created_at__gte=now - SEND_NOW_REPEAT)
            )
            .order_by("-pk")
            .first()
        )
        if pending is not None:
            messages.info(request, _("This pack is already on its way to the list."))
            return redirect("loops:report_detail", pk=pending.pk)
        report = schedule_report_create(schedule=schedule, run_at=now, due_at=None)
        report.requested_by = _viewer(request)
        report.save(update_fields=["requested_by"])
        enqueue_on_commit(report_render_task, report.pk, swept=True)
    messages.success(request, _("Rendering the pack; it is emailed to the list when ready."))
    return redirect("loops:report_detail", pk=report.pk)


@staff_required
def account_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The account report, rendered at once (a few pages): 404 for an account not the viewer's."""
    user = _viewer(request)
    filters = default_filters(viewer=user, days=90)
    _title, rendered = render_pack(kind=ReportKind.ACCOUNT, viewer=user, filters=filters, account_id=pk)
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="account-{pk}-{filters.date_to:%Y%m%d}.pdf"'
    return response
