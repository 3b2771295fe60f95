"""The rows behind a dashboard number. Each figure's link carries the dashboard's filters plus
what the figure counted (a score band, a theme, an accountability figure, a group); these
selectors apply exactly the conditions the figure was counted with."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import QueryDict

from loops.models import Loop
from loops.reports.accountability import FIGURES, figure_loops
from loops.reports.advocacy import DURATION_BANDS, duration_q, group_q
from loops.reports.filters import ReportFilters, invitations_filtered, loops_filtered, responses_filtered
from loops.selectors.cases import Viewer
from surveys.models import Band, Response
from surveys.models.responses import has_theme
from surveys.models.surveys import SCALES
from vocplatform.query_params import int_param

GROUP_DIMENSIONS = ("reason", "segment", "business_unit", "product_line")


def drill_responses(*, viewer: Viewer, filters: ReportFilters, params: QueryDict) -> QuerySet[Response]:
    """kind, band, score, min_score, theme; figure=answered for the response rate's numerator
    (responses to the invitations sent in the period, whenever they came)."""
    if params.get("figure") == "answered":
        sent = invitations_filtered(viewer=viewer, filters=filters).values("pk")
        responses = responses_filtered(viewer=viewer, filters=filters, period=False).filter(invitation__in=sent)
    else:
        responses = responses_filtered(viewer=viewer, filters=filters)
    kind = params.get("kind", "")
    if kind in SCALES:
        responses = responses.filter(score_kind=kind, score__isnull=False)
    if params.get("band", "") in Band.values:
        responses = responses.filter(score_band=params["band"])
    if (score := int_param(params.get("score"), digits=9)) is not None:
        responses = responses.filter(score=score)
    if (low := int_param(params.get("min_score"), digits=9)) is not None:
        responses = responses.filter(score__gte=low)
    if theme := params.get("theme", "").strip()[:80]:
        responses = responses.filter(has_theme(theme))
    return responses


def drill_loops(*, viewer: Viewer, filters: ReportFilters, params: QueryDict, now: dt.datetime) -> QuerySet[Loop]:
    """figure (one of the accountability figures), or a group (dimension + value), a root cause
    (cause) or a duration band (duration) among the loops opened in the period."""
    figure = params.get("figure", "")
    if figure in FIGURES:
        return figure_loops(viewer=viewer, filters=filters, figure=figure, now=now)
    loops = loops_filtered(viewer=viewer, filters=filters)
    dimension = params.get("dimension", "")
    if dimension in GROUP_DIMENSIONS and "value" in params:
        loops = loops.filter(group_q(dimension, params.get("value", "").strip()[:200]))
    if (cause := int_param(params.get("cause"), digits=9)) is not None:
        loops = loops.filter(root_causes=cause)
    band = int_param(params.get("duration"), digits=9)
    if band is not None and band < len(DURATION_BANDS):
        _label, low, high = DURATION_BANDS[band]
        loops = loops.filter(duration_q(low, high))
    return loops.filter(Q())
