"""Deadlines of a loop under its SLA policy: computed once when the loop opens, shifted when
a pause ends, so the escalation pass only compares stored instants with now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loops.business_time import add_business_time, business_time_between
from loops.models import Loop, SlaPolicy


@dataclass(frozen=True)
class Deadlines:
    first_contact_due_at: dt.datetime
    first_contact_warn_at: dt.datetime
    resolution_due_at: dt.datetime
    resolution_warn_at: dt.datetime


def deadlines_for(policy: SlaPolicy, start: dt.datetime) -> Deadlines:
    calendar = policy.business_calendar()
    first = add_business_time(calendar, start, dt.timedelta(hours=policy.first_contact_hours))
    resolution = add_business_time(calendar, start, dt.timedelta(hours=policy.resolution_hours))
    warn = dt.timedelta(hours=policy.warn_hours)
    return Deadlines(
        first_contact_due_at=first,
        first_contact_warn_at=max(start, first - warn),
        resolution_due_at=resolution,
        resolution_warn_at=max(start, resolution - warn),
    )


def shift_after_pause(loop: Loop, *, now: dt.datetime) -> dt.timedelta:
    """Move the pending deadlines by the working time the loop spent waiting on the customer."""
    assert loop.waiting_since is not None
    calendar = loop.sla_policy.business_calendar()
    paused = business_time_between(calendar, loop.waiting_since, now)
    warn = dt.timedelta(hours=loop.sla_policy.warn_hours)
    if loop.first_contact_at is None:
        loop.first_contact_due_at = add_business_time(calendar, loop.first_contact_due_at, paused)
        loop.first_contact_warn_at = max(now, loop.first_contact_due_at - warn)
    loop.resolution_due_at = add_business_time(calendar, loop.resolution_due_at, paused)
    loop.resolution_warn_at = max(now, loop.resolution_due_at - warn)
    return paused


def business_hours_between(policy: SlaPolicy, start: dt.datetime, end: dt.datetime) -> float:
    return business_time_between(policy.business_calendar(), start, end).total_seconds() / 3600
