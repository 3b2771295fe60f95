"""The filters every dashboard figure, drill-down list, export and pack shares, and the two
querysets they narrow: responses and loops, each starting from the visibility rule."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from loops.models import Loop
from loops.selectors.cases import Viewer, loops_visible
from surveys.models import Invitation, Response
from surveys.selectors.responses import viewer_zone
from vocplatform.query_params import date_param, int_param
from vocplatform.visibility import visible

DEFAULT_DAYS = 84  # twelve weeks: enough points for a trend, recent enough to act on
MAX_DAYS = 366 * 5


@dataclass(frozen=True)
class ReportFilters:
    """A period of whole days in `zone` (both ends inclusive) and the slicers of the dashboards."""

    date_from: dt.date
    date_to: dt.date
    zone: dt.tzinfo = field(default=dt.UTC, compare=False)
    survey: int | None = None
    touchpoint: str = ""
    segment: str = ""
    region: str = ""
    business_unit: str = ""
    product_line: str = ""
    team: int | None = None
    owner: int | None = None

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time.min, self.zone)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: midnight after the last day."""
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, self.zone)

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def with_period(self, date_from: dt.date, date_to: dt.date) -> ReportFilters:
        return replace(self, date_from=date_from, date_to=date_to)

    def query(self, **extra: Any) -> str:
        """The filters as a query string, for links down to the rows behind a figure."""
        params = QueryDict(mutable=True)
        params["from"] = self.date_from.isoformat()
        params["to"] = self.date_to.isoformat()
        for name in ("survey", "touchpoint", "segment", "region", "business_unit", "product_line", "team", "owner"):
            value = getattr(self, name)
            if value not in (None, ""):
                params[name] = str(value)
        for name, value in extra.items():
            if value not in (None, ""):
                params[name] = str(value)
        return params.urlencode()


def default_filters(*, viewer: Viewer, today: dt.date | None = None, days: int = DEFAULT_DAYS) -> ReportFilters:
    zone = viewer_zone(viewer)
    today = today or timezone.localdate(timezone=zone)
    return ReportFilters(date_from=today - dt.timedelta(days=days - 1), date_to=today, zone=zone)


def filters_from(params: QueryDict, *, viewer: Viewer, today: dt.date | None = None) -> ReportFilters:
    """Read the filters from a query string; anything malformed falls back to its default."""
    base = default_filters(viewer=viewer, today=today)
    date_from = date_param(params.get("from")) or base.date_from
    date_to = date_param(params.get("to")) or base.date_to
    if date_from > date_to or (date_to - date_from).days > MAX_DAYS:
        date_from, date_to = base.date_from, base.date_to
    return replace(
        base,
        date_from=date_from,
        date_to=date_to,
        survey=int_param(params.get("survey")),
        touchpoint=params.get("touchpoint", "").strip()[:80],
        segment=params.get("segment", "").strip()[:60],
        region=params.get("region", "").strip()[:60],
        business_unit=params.get("business_unit", "").strip()[:80],
        product_line=params.get("product_line", "").strip()[:80],
        team=int_param(params.get("team")),
        owner=int_param(params.get("owner")),
    )


def product_line_q(name: str, account_path: str) -> Q:
    """Accounts selling this product line (a JSON list on the account)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{account_path}product_lines__contains": [name]})
    # SQLite has no JSON containment: match the quoted element in the stored text, encoded the way
    # Django saved it (json.dumps, ASCII escapes). Case-insensitive there, the only difference.
    return Q(**{f"{account_path}product_lines__icontains": json.dumps(name)})


def account_slicers(filters: ReportFilters, path: str) -> Q:
    condition = Q()
    if filters.segment:
        condition &= Q(**{f"{path}segment": filters.segment})
    if filters.region:
        condition &= Q(**{f"{path}region": filters.region})
    if filters.business_unit:
        condition &= Q(**{f"{path}business_unit": filters.business_unit})
    if filters.product_line:
        condition &= product_line_q(filters.product_line, path)
    return condition


def responses_filtered(*, viewer: Viewer, filters: ReportFilters, period: bool = True) -> QuerySet[Response]:
    """Responses the viewer may see, in the period, narrowed by every slicer. Owner and team are
    the account's manager and that manager's team."""
    responses = visible(Response.objects.all(), viewer, "account").filter(account_slicers(filters, "account__"))
    if period:
        responses = responses.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if filters.survey:
        responses = responses.filter(survey_id=filters.survey)
    if filters.touchpoint:
        responses = responses.filter(touchpoint=filters.touchpoint)
    if filters.owner:
        responses = responses.filter(account__owner_id=filters.owner)
    if filters.team:
        responses = responses.filter(account__owner__team_id=filters.team)
    return responses.order_by()


def invitations_filtered(*, viewer: Viewer, filters: ReportFilters) -> QuerySet[Invitation]:
    """Invitations sent in the period under the same slicers: the denominator of the response rate."""
    invitations = visible(Invitation.objects.all(), viewer, "account").filter(
        account_slicers(filters, "account__"),
        sent_at__gte=filters.start,
        sent_at__lt=filters.end,
    )
    if filters.survey:
        invitations = invitations.filter(survey_id=filters.survey)
    if filters.touchpoint:
        invitations = invitations.filter(survey__touchpoint=filters.touchpoint)
    if filters.owner:
        invitations = invitations.filter(account__owner_id=filters.owner)
    if filters.team:
        invitations = invitations.filter(account__owner__team_id=filters.team)
    return invitations.order_by()


def team_q(team_id: int) -> Q:
    """A loop belongs to its owner's team, or while unassigned to the team whose queue holds it."""
    return Q(owner__team_id=team_id) | Q(owner__isnull=True, queue_team_id=team_id)


def loops_filtered(*, viewer: Viewer, filters: ReportFilters, period: bool = True) -> QuerySet[Loop]:
    """Loops the viewer may see (the loop visibility rule), opened in the period unless `period`
    is False, narrowed by every slicer. Owner and team are the loop's owner and team."""
    loops = loops_visible(viewer).filter(account_slicers(filters, "account__"))
    if period:
        loops = loops.filter(opened_at__gte=filters.start, opened_at__lt=filters.end)
    if filters.survey:
        loops = loops.filter(response__survey_id=filters.survey)
    if filters.touchpoint:
        loops = loops.filter(response__touchpoint=filters.touchpoint)
    if filters.owner:
        loops = loops.filter(owner_id=filters.owner)
    if filters.team:
        loops = loops.filter(team_q(filters.team))
    return loops.order_by()


def filter_choices(*, viewer: Viewer) -> dict[str, Any]:
    """What the filter form offers: values found among what the viewer may see."""
    from surveys.models import Account
    from surveys.selectors.responses import response_filter_choices
    from vocplatform.models import Team, User

    choices = response_filter_choices(viewer=viewer)
    accounts = visible(Account.objects.all(), viewer).order_by()
    choices["business_units"] = sorted({u for u in accounts.values_list("business_unit", flat=True).distinct() if u})
    lines = accounts.values_list("product_lines", flat=True).distinct()
    choices["product_lines"] = sorted({name for combo in lines for name in (combo or []) if isinstance(name, str)})
    teams = Team.objects.order_by("name")
    if isinstance(viewer, User) and not viewer.is_cx_admin:
        teams = teams.filter(Q(supervisor=viewer) | Q(members=viewer)).distinct()
    choices["teams"] = list(teams)
    return choices
