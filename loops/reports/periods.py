"""Time buckets for trends: weeks (Monday to Sunday) for periods up to about four months, calendar
months beyond, always in the viewer's time zone and clipped to the period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from loops.reports.filters import ReportFilters

WEEKLY_UP_TO_DAYS = 126


@dataclass(frozen=True)
class Bucket:
    first: dt.date  # clipped to the period
    last: dt.date
    key: dt.date  # the unclipped start (Monday or the 1st), what the database truncates to

    @property
    def label(self) -> str:
        return f"{self.key:%b %Y}" if self.key.day == 1 and self.last.month == self.key.month else f"{self.key:%d %b}"


def granularity(filters: ReportFilters) -> str:
    return "week" if filters.days <= WEEKLY_UP_TO_DAYS else "month"


def _next_key(key: dt.date, kind: str) -> dt.date:
    if kind == "week":
        return key + dt.timedelta(days=7)
    return (key.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def buckets(filters: ReportFilters) -> list[Bucket]:
    kind = granularity(filters)
    first = filters.date_from
    key = first - dt.timedelta(days=first.weekday()) if kind == "week" else first.replace(day=1)
    result = []
    while key <= filters.date_to:
        following = _next_key(key, kind)
        result.append(
            Bucket(first=max(key, first), last=min(following - dt.timedelta(days=1), filters.date_to), key=key)
        )
        key = following
    return result


def trunc(field: str, filters: ReportFilters) -> Any:
    """The database expression putting `field` into its bucket (in the filters' zone)."""
    kind = TruncWeek if granularity(filters) == "week" else TruncMonth
    return kind(field, tzinfo=filters.zone)


def bucket_key(value: dt.datetime | dt.date, filters: ReportFilters) -> dt.date:
    """The truncated value from the database as the date of its bucket's start."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, filters.zone).date() if timezone.is_aware(value) else value.date()
    return value
