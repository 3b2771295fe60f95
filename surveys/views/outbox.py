"""Staff pages for invitations and the outbox of emails that carry them. Validate, call a selector, render."""

from __future__ import annotations

import re

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from surveys.models import Invitation, OutboxMessage
from surveys.selectors.invitations import invitation_list, outbox_message_get, outbox_message_list
from surveys.selectors.responses import survey_choices
from vocplatform.permissions import admin_required, staff_required
from vocplatform.query_params import int_param

PAGE_SIZE = 50

# The email preview is framed with srcdoc, which inherits this policy: even if the sandbox
# were loosened by mistake, no script runs and nothing outside the site is fetched (a remote
# image in an email would tell its sender that the message was opened).
PREVIEW_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


# Every link of an email carries the customer's token: one click on a score in the preview would
# answer the survey for them. The preview keeps the links' look and drops where they go.
_LINK_TARGET = re.compile(r"""\s(?:href|action|formaction)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


def inert_links(body_html: str) -> str:
    return _LINK_TARGET.sub("", body_html)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_required
def invitation_index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Invitation.Status.values else ""
    survey_id = int_param(request.GET.get("survey"))
    invitations = invitation_list(viewer=request.user, status=status, survey=survey_id)
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/invitation_list.html",
        {
            "page": page,
            "status": status,
            "survey": survey_id,
            "statuses": Invitation.Status.choices,
            "surveys": survey_choices(),
            "query": _query_without_page(request),
        },
    )


@admin_required
def outbox_index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in OutboxMessage.Status.values else ""
    page = Paginator(outbox_message_list(viewer=request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "surveys/outbox_list.html",
        {
            "page": page,
            "status": status,
            "statuses": OutboxMessage.Status.choices,
            "query": _query_without_page(request),
        },
    )


@admin_required
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = outbox_message_get(viewer=request.user, pk=pk)
    preview = inert_links(message.body_html)
    page = render(request, "surveys/outbox_detail.html", {"message": message, "preview": preview})
    page["Content-Security-Policy"] = PREVIEW_POLICY
    return page
