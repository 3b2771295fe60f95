"""Staff pages for accounts, contacts and imports. Validate, call a selector or service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from surveys.forms.imports import ImportUploadForm
from surveys.selectors.crm import (
    AccountFilters,
    account_filter_choices,
    account_get,
    account_list,
    contact_get,
    contact_list,
    import_job_get,
    import_job_list,
)
from surveys.services.import_jobs import import_job_confirm, import_job_create
from vocplatform.models import User
from vocplatform.permissions import admin_required, staff_required
from vocplatform.query_params import int_param

PAGE_SIZE = 50


@staff_required
def account_index(request: HttpRequest) -> HttpResponse:
    filters = AccountFilters(
        q=request.GET.get("q", "").strip()[:100],
        segment=request.GET.get("segment", ""),
        region=request.GET.get("region", ""),
        owner=int_param(request.GET.get("owner")),
        unowned=request.GET.get("owner") == "none",
        outcome=request.GET.get("outcome", ""),
    )
    page = Paginator(account_list(viewer=request.user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/account_list.html",
        {
            "page": page,
            "filters": filters,
            "choices": account_filter_choices(viewer=request.user),
            "query": query.urlencode(),
        },
    )


@staff_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_get(viewer=request.user, pk=pk)
    contacts = contact_list(viewer=request.user, account_id=account.pk)
    return render(request, "surveys/account_detail.html", {"account": account, "contacts": contacts})


@staff_required
def contact_index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(contact_list(viewer=request.user, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "surveys/contact_list.html", {"page": page, "q": q, "query": urlencode({"q": q})})


@staff_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = contact_get(viewer=request.user, pk=pk)
    return render(request, "surveys/contact_detail.html", {"contact": contact})


@admin_required
def import_index(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            job = import_job_create(
                user=user,
                kind=form.cleaned_data["kind"],
                filename=getattr(request.FILES.get("file"), "name", None) or "upload.csv",
                content=form.cleaned_data["file"],
                options=form.options(),
            )
        return redirect("surveys:import_detail", pk=job.pk)
    page = Paginator(import_job_list(viewer=user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "surveys/import_list.html", {"form": form, "page": page})


@admin_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_get(viewer=request.user, pk=pk)  # type: ignore[arg-type]
    # The count of every error found (only the first ones are kept to list), else the kept ones.
    error_count = job.summary.get("error_count", len(job.errors))
    context = {
        "job": job,
        "busy": job.status in {"validating", "importing"},
        "error_count": error_count,
        "headings": _preview_headings(job.preview),
    }
    return render(request, "surveys/import_detail.html", context)


def _preview_headings(preview: dict[str, Any]) -> list[list[str]]:
    """The preview's headings; a job checked before they were stored as a list has the two maps."""
    if "headings" in preview:
        return list(preview["headings"])
    fields = [[field, column] for column, field in preview.get("columns", {}).items()]
    return fields + [[column, kind] for column, kind in preview.get("custom_types", {}).items()]


@admin_required
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = import_job_get(viewer=request.user, pk=pk)  # type: ignore[arg-type]
    return JsonResponse(
        {"status": job.status, "label": job.get_status_display(), "percent": job.percent, "rows_done": job.rows_done}
    )


@admin_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_get(viewer=request.user, pk=pk)  # type: ignore[arg-type]
    with transaction.atomic():
        started = import_job_confirm(job=job, skip_invalid=request.POST.get("skip_invalid") == "1")
    if not started:
        messages.warning(request, _("This import is not waiting for confirmation any more."))
    return redirect("surveys:import_detail", pk=job.pk)
