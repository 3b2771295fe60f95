"""The work queues: "My loops" for managers, the team queue for supervisors, everything for admins."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone

from loops.models import Loop, Priority
from loops.selectors.cases import QueueFilters, assignable_staff, loop_queue, queue_counts, steps_overdue
from vocplatform.models import User
from vocplatform.permissions import staff_required
from vocplatform.query_params import int_param

PAGE_SIZE = 50
SCOPES = ("mine", "team", "all")


def _filters(params: QueryDict, default_scope: str) -> QueueFilters:
    scope = params.get("scope", default_scope)
    status = params.get("status", "")
    priority = params.get("priority", "")
    owner = params.get("owner", "")
    return QueueFilters(
        scope=scope if scope in SCOPES else default_scope,
        status=status if status in Loop.Status.values else "",
        priority=priority if priority in Priority.values else "",
        overdue=params.get("overdue") == "1",
        owner=int_param(owner),
    )


def _default_scope(request: HttpRequest) -> str:
    user = request.user
    return "team" if getattr(user, "is_supervisor", False) or getattr(user, "is_cx_admin", False) else "mine"


@staff_required
def loop_index(request: HttpRequest) -> HttpResponse:
    filters = _filters(request.GET, _default_scope(request))
    now = timezone.now()
    page = Paginator(loop_queue(viewer=request.user, filters=filters, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "loops/loop_list.html",
        {
            "page": page,
            "filters": filters,
            "counts": queue_counts(viewer=request.user, scope=filters.scope, now=now),
            "now": now,
            "statuses": Loop.Status.choices,
            "priorities": Priority.choices,
            "owners": assignable_staff() if filters.scope != "mine" else [],
            "query": query.urlencode(),
            "overdue_steps": steps_overdue(viewer=request.user, today=timezone.localdate())[:20]
            if isinstance(request.user, User)
            else [],
        },
    )
