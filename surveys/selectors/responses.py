"""Read queries over responses, always narrowed by the visibility rule first.

Who answered is exposed only through the `attributed_name` and `attributed_email`
annotations, which are empty unless the customer consented to attribution. The
querysets do not load the contact, so a page built from them has nothing else to
show (and the fixed query count of list pages would catch a template reaching for
`response.contact`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, CharField, F, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from surveys.models import Account, Answer, Response, Survey
from surveys.models.responses import has_theme
from surveys.selectors.search import comments_matching
from vocplatform.models import User
from vocplatform.visibility import _System, visible

Viewer = User | AnonymousUser | _System


@dataclass(frozen=True)
class ResponseFilters:
    survey: int | None = None
    touchpoint: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    segment: str = ""
    region: str = ""
    owner: int | None = None
    band: str = ""
    q: str = ""
    flag: str = ""
    theme: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, name) not in (None, "") for name in self.__dataclass_fields__)


def viewer_zone(viewer: Viewer) -> dt.tzinfo:
    """The viewer's own time zone; the site's default for background work or a zone we do not know."""
    try:
        return zoneinfo.ZoneInfo(getattr(viewer, "time_zone", "") or "")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def attributed(field: str, response_path: str = "") -> Case:
    """The customer's name or email only where they consented to attribution, else "": the one
    place the consent rule is written (`response_path` names the response from another model)."""
    prefix = f"{response_path}__" if response_path else ""
    return Case(
        When(**{f"{prefix}consent_to_attribution": True}, then=F(f"{prefix}contact__{field}")),
        default=Value(""),
        output_field=CharField(),
    )


def _visible_responses(viewer: Viewer) -> QuerySet[Response]:
    return visible(Response.objects.all(), viewer, "account").annotate(
        attributed_name=attributed("name"), attributed_email=attributed("email")
    )


def _narrowed(responses: QuerySet[Response], filters: ResponseFilters, zone: dt.tzinfo) -> QuerySet[Response]:
    if filters.survey:
        responses = responses.filter(survey_id=filters.survey)
    if filters.touchpoint:
        responses = responses.filter(touchpoint=filters.touchpoint)
    # Dates are whole days in the viewer's time zone; both ends are inclusive.
    if filters.date_from:
        responses = responses.filter(created_at__gte=dt.datetime.combine(filters.date_from, dt.time.min, zone))
    if filters.date_to:
        next_day = filters.date_to + dt.timedelta(days=1)
        responses = responses.filter(created_at__lt=dt.datetime.combine(next_day, dt.time.min, zone))
    if filters.segment:
        responses = responses.filter(account__segment=filters.segment)
    if filters.region:
        responses = responses.filter(account__region=filters.region)
    if filters.owner:
        responses = responses.filter(account__owner_id=filters.owner)
    if filters.band:
        responses = responses.filter(score_band=filters.band)
    return _analysed(responses, filters)


def _analysed(responses: QuerySet[Response], filters: ResponseFilters) -> QuerySet[Response]:
    """Filters on what text analytics found; a staff correction wins over the model's flag."""
    if filters.flag in {"negative", "not_negative"}:
        negative = filters.flag == "negative"
        responses = responses.filter(
            Q(analysis__corrected=negative) | Q(analysis__corrected__isnull=True, analysis__negative=negative)
        )
    if filters.theme:
        responses = responses.filter(has_theme(filters.theme))
    return comments_matching(responses, filters.q)


def response_list(*, viewer: Viewer, filters: ResponseFilters | None = None) -> QuerySet[Response]:
    responses = _narrowed(_visible_responses(viewer), filters or ResponseFilters(), viewer_zone(viewer))
    return responses.select_related("survey", "account", "account__owner", "analysis").order_by("-created_at", "-pk")


def response_get(*, viewer: Viewer, pk: int) -> Response:
    """The response with its answers in question order, or 404 when it is not the viewer's to see."""
    answers = Prefetch(
        "answers", queryset=Answer.objects.select_related("question").order_by("question__position", "pk")
    )
    responses = (
        _visible_responses(viewer)
        .select_related("survey", "account", "account__owner", "analysis")
        .prefetch_related(answers)
    )
    return get_object_or_404(responses, pk=pk)


def _distinct(queryset: QuerySet[Any], field: str) -> list[str]:
    # order_by() drops the model's default ordering, which would otherwise defeat DISTINCT.
    return sorted(value for value in queryset.order_by().values_list(field, flat=True).distinct() if value)


def survey_choices() -> list[tuple[int, str]]:
    """Every survey as (pk, name): surveys are shared configuration, not anybody's accounts."""
    return list(Survey.objects.order_by("name", "pk").values_list("pk", "name"))


def response_filter_choices(*, viewer: Viewer) -> dict[str, list[Any]]:
    """What the filters offer: only values found among what the viewer may see (surveys are shared configuration)."""
    accounts = visible(Account.objects.all(), viewer)
    responses = visible(Response.objects.all(), viewer, "account")
    return {
        "surveys": survey_choices(),
        "touchpoints": _distinct(responses, "touchpoint"),
        "segments": _distinct(accounts, "segment"),
        "regions": _distinct(accounts, "region"),
        "owners": list(User.objects.filter(owned_accounts__in=accounts).distinct().order_by("username")),
    }
