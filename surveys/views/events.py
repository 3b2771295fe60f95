"""Staff pages for events: the recent ones, and a CSV upload that ingests a file all or nothing."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from surveys.forms.events import EventsFile, EventUploadForm, line_error
from surveys.models import Event
from surveys.selectors.invitations import event_list
from surveys.services.events import MAX_BATCH, EventsRefused, events_ingest
from vocplatform.permissions import admin_required, staff_required

PAGE_SIZE = 50


def refusal_lines(parsed: EventsFile, refused: EventsRefused) -> list[str]:
    """Every error of a refused batch as "line N: field: message", in file order."""
    return [
        line_error(parsed.line_for(position), field, message)
        for position, fields in sorted(refused.errors.items())
        for field, field_messages in fields.items()
        for message in field_messages
    ]


@staff_required
def event_index(request: HttpRequest) -> HttpResponse:
    page = Paginator(event_list(viewer=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "surveys/event_list.html", {"page": page})


@admin_required
def event_upload(request: HttpRequest) -> HttpResponse:
    form = EventUploadForm(request.POST or None, request.FILES or None)
    refusals: list[str] = []
    if request.method == "POST" and form.is_valid():
        parsed: EventsFile = form.cleaned_data["file"]
        try:
            with transaction.atomic():
                result = events_ingest(items=parsed.items, source=Event.Source.CSV)
        except EventsRefused as refused:
            refusals = refusal_lines(parsed, refused)
        else:
            summary = _(
                "%(created)s events stored, %(duplicates)s duplicates skipped, %(invitations)s invitations scheduled."
            )
            counts = {"created": result.created, "duplicates": result.duplicates, "invitations": result.invitations}
            messages.success(request, summary % counts)
            return redirect("surveys:event_list")
    return render(request, "surveys/event_upload.html", {"form": form, "refusals": refusals, "max_batch": MAX_BATCH})
