"""Staff pages: term associations over any filtered set of comments; topic discovery with accept-into-taxonomy."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from surveys.selectors.analysis import theme_names
from surveys.selectors.insights import term_report, topic_candidates
from surveys.selectors.responses import response_filter_choices
from surveys.services.themes import theme_accept
from surveys.views.responses import _filters
from vocplatform.permissions import admin_required, staff_required
from vocplatform.query_params import int_param


def _bounded(raw: str | None, default: int, low: int, high: int) -> int:
    value = int_param(raw, digits=9)
    return default if value is None else min(high, max(low, value))


@staff_required
def term_associations_page(request: HttpRequest) -> HttpResponse:
    filters = _filters(request.GET)
    report = term_report(viewer=request.user, filters=filters) if filters.active else None
    context = {
        "filters": filters,
        "report": report,
        "choices": response_filter_choices(viewer=request.user),
        "themes": theme_names(),
    }
    return render(request, "surveys/insights_terms.html", context)


@admin_required
def topic_discovery_page(request: HttpRequest) -> HttpResponse:
    filters = _filters(request.GET)
    days = _bounded(request.GET.get("days"), 90, 1, 730)
    topics = _bounded(request.GET.get("topics"), 6, 2, 12)
    candidates = topic_candidates(viewer=request.user, days=days, topics=topics, filters=filters)
    context = {
        "filters": filters,
        "days": days,
        "topics": topics,
        "candidates": candidates,
        "choices": response_filter_choices(viewer=request.user),
    }
    return render(request, "surveys/insights_topics.html", context)


@admin_required
@require_POST
def topic_accept(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    keywords = [k.strip() for k in request.POST.get("keywords", "").split(",") if k.strip()]
    try:
        theme = theme_accept(name=name, keywords=keywords)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Theme “%(name)s” added to the taxonomy.") % {"name": theme.name})
    return redirect("surveys:topic_discovery")
