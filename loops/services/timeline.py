"""The loop's timeline: every change, with who, when, before and after."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from loops.models import HealthDirty, Loop, LoopEvent
from vocplatform.models import User


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    return str(value)[:500]


def record(
    loop: Loop,
    *,
    actor: User | None,
    action: str,
    field: str = "",
    before: object = None,
    after: object = None,
    at: dt.datetime | None = None,
) -> LoopEvent:
    # Every loop change passes here, so here its account's health is marked for the sweeper.
    HealthDirty.objects.update_or_create(account_id=loop.account_id, defaults={"since": timezone.now()})
    return LoopEvent.objects.create(
        loop=loop,
        actor=actor,
        action=action[:80],
        field=field[:80],
        before=_text(before),
        after=_text(after),
        at=at or timezone.now(),
    )
