"""Account health: the component values of many accounts read with a fixed number of set-based
queries, scored by `loops.health.scoring`, stored as one snapshot per account and day.

A response or a loop change marks its account dirty (`health_mark_dirty`); the sweeper
recomputes dirty accounts every minute and beat recomputes everything nightly. Either way the
number of queries does not depend on the number of accounts.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from operator import or_
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from loops.health.scoring import (
    Component,
    ComponentValue,
    HealthScore,
    health_score,
    linear_score,
    recency_weighted_mean,
)
from loops.models import HealthComponent, HealthDirty, HealthSettings, HealthSnapshot, Loop
from loops.services.webhooks import bands_before, emit_band_changes
from surveys.models import Account, Invitation, Response, ResponseAnalysis

BATCH = 2000
# Marks removed per statement, each its own (account, since) condition: well inside SQLite's limit
# on the depth of an expression (1,000).
UNMARK_BATCH = 400
SCORES_YEARS = dt.timedelta(days=365)
SILENCE_WINDOW = dt.timedelta(days=180)


def score_to_100(kind: str, score: int) -> float:
    """Any scale onto 0–100, higher is happier (CES is reversed: 7 is the most effort)."""
    if kind == "nps":
        return score * 10.0
    if kind == "ces":
        return (7 - score) / 6 * 100
    return (score - 1) / 4 * 100  # CSAT, stars


def _ids_filter(account_ids: Sequence[int] | None, path: str = "account_id") -> Q:
    return Q(**{f"{path}__in": list(account_ids)}) if account_ids is not None else Q()


def _recency(rows: Iterable[tuple[int, dt.datetime, float]], now: dt.datetime) -> dict[int, float | None]:
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for account_id, at, value in rows:
        points[account_id].append(((now - at).total_seconds() / 86400, value))
    return {account_id: recency_weighted_mean(values) for account_id, values in points.items()}


def _scores(ids: Sequence[int] | None, now: dt.datetime) -> dict[int, float | None]:
    rows = (
        Response.objects.filter(_ids_filter(ids), created_at__range=(now - SCORES_YEARS, now), score__isnull=False)
        .exclude(score_kind="")
        .values_list("account_id", "created_at", "score_kind", "score")
    )
    return _recency(
        ((a, at, score_to_100(kind, s)) for a, at, kind, s in rows.iterator(chunk_size=BATCH) if s is not None), now
    )


def _sentiment(ids: Sequence[int] | None, now: dt.datetime) -> dict[int, float | None]:
    rows = ResponseAnalysis.objects.filter(
        _ids_filter(ids, "response__account_id"),
        response__created_at__range=(now - SCORES_YEARS, now),
        sentiment__isnull=False,
    ).values_list("response__account_id", "response__created_at", "sentiment")
    return _recency(((a, at, (s + 1) * 50) for a, at, s in rows.iterator(chunk_size=BATCH) if s is not None), now)


def _silence(ids: Sequence[int] | None, now: dt.datetime) -> dict[int, float | None]:
    asked = [Invitation.Status.SENT, Invitation.Status.OPENED, Invitation.Status.ANSWERED, Invitation.Status.EXPIRED]
    rows = (
        Invitation.objects.filter(_ids_filter(ids), sent_at__range=(now - SILENCE_WINDOW, now), status__in=asked)
        .values("account_id")
        .annotate(sent=Count("pk"), answered=Count("pk", filter=Q(status=Invitation.Status.ANSWERED)))
        .order_by()
    )
    return {r["account_id"]: r["answered"] / r["sent"] * 100 for r in rows if r["sent"]}


def _loops(ids: Sequence[int] | None, now: dt.datetime) -> dict[int, float | None]:
    """100 with nothing open; each open loop costs 15 points, each overdue one 25 more."""
    rows = (
        Loop.objects.filter(_ids_filter(ids), status__in=Loop.OPEN_STATUSES, opened_at__lte=now)
        .values("account_id")
        .annotate(
            open=Count("pk"),
            overdue=Count(
                "pk",
                # As the queue counts it: a loop waiting on the customer has its clock stopped.
                filter=Q(waiting_since__isnull=True)
                & (
                    Q(first_contact_at__isnull=True, first_contact_due_at__lt=now, first_contact_sla_waived=False)
                    | Q(resolution_due_at__lt=now, resolution_sla_waived=False)
                ),
            ),
        )
        .order_by()
    )
    return {r["account_id"]: max(0.0, 100.0 - 15 * r["open"] - 25 * r["overdue"]) for r in rows}


def _recovery(ids: Sequence[int] | None, now: dt.datetime) -> dict[int, float | None]:
    rows = (
        Loop.objects.filter(_ids_filter(ids), closed_at__range=(now - SCORES_YEARS, now), recovered__isnull=False)
        .values("account_id")
        .annotate(answered=Count("pk"), recovered=Count("pk", filter=Q(recovered=True)))
        .order_by()
    )
    return {r["account_id"]: r["recovered"] / r["answered"] * 100 for r in rows if r["answered"]}


READERS: dict[str, Callable[[Sequence[int] | None, dt.datetime], dict[int, float | None]]] = {
    HealthComponent.Kind.SCORES: _scores,
    HealthComponent.Kind.SENTIMENT: _sentiment,
    HealthComponent.Kind.SILENCE: _silence,
    HealthComponent.Kind.RECOVERY: _recovery,
}


def _attribute(component: HealthComponent, attributes: dict[str, Any]) -> float | None:
    value = attributes.get(component.attribute)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    assert component.zero_at is not None and component.hundred_at is not None
    return linear_score(float(value), zero_at=component.zero_at, hundred_at=component.hundred_at)


def component_values(
    accounts: Sequence[tuple[int, dict[str, Any]]], configured: Sequence[HealthComponent], now: dt.datetime
) -> dict[int, dict[str, float | None]]:
    """Every configured component's value (0–100 or None) for each (account id, custom attributes)."""
    ids = [pk for pk, _attrs in accounts]
    scoped: Sequence[int] | None = ids if len(ids) <= BATCH else None  # large runs read everything once
    by_kind = {kind: reader(scoped, now) for kind, reader in READERS.items() if any(c.kind == kind for c in configured)}
    loops = _loops(scoped, now) if any(c.kind == HealthComponent.Kind.LOOPS for c in configured) else {}
    values: dict[int, dict[str, float | None]] = {}
    for pk, attributes in accounts:
        row: dict[str, float | None] = {}
        for component in configured:
            if component.kind == HealthComponent.Kind.ATTRIBUTE:
                row[component.key] = _attribute(component, attributes)
            elif component.kind == HealthComponent.Kind.LOOPS:
                row[component.key] = loops.get(pk, 100.0)  # no open loop is a perfect score, not a missing one
            else:
                row[component.key] = by_kind[component.kind].get(pk)
        values[pk] = row
    return values


def _settings() -> HealthSettings:
    return HealthSettings.objects.first() or HealthSettings()


def health_scores(
    account_ids: Sequence[int] | None = None, *, now: dt.datetime | None = None
) -> dict[int, HealthScore]:
    now = now or timezone.now()
    configured = list(HealthComponent.objects.filter(active=True))
    components = [Component(key=c.key, label=c.label, weight=c.weight) for c in configured]
    accounts = Account.objects.all() if account_ids is None else Account.objects.filter(pk__in=list(account_ids))
    rows = list(accounts.values_list("pk", "custom_attributes").order_by("pk"))
    values = component_values(rows, configured, now)
    bands = _settings()
    return {
        pk: health_score(row, components, red_below=bands.red_below, green_from=bands.green_from)
        for pk, row in values.items()
    }


def _component_dict(value: ComponentValue) -> dict[str, Any]:
    # By hand: dataclasses.asdict deep-copies and was most of the recompute's CPU time.
    return {
        "key": value.key,
        "label": value.label,
        "weight": value.weight,
        "score": value.score,
        "normalised_weight": value.normalised_weight,
        "contribution": value.contribution,
    }


def snapshot_date(now: dt.datetime | None = None) -> dt.date:
    """The day a snapshot is filed under: the site's calendar (TIME_ZONE), the same for every viewer
    and for the nightly run, whatever the time zone of the person who asked."""
    return timezone.localdate(now or timezone.now(), timezone.get_default_timezone())


def health_recompute(
    *,
    account_ids: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Compute and store today's snapshot for the given accounts (all when None). Returns how many."""
    now = now or timezone.now()
    # A full run builds millions of small objects that all live to the end; the cyclic garbage
    # collector would rescan them again and again (measured: most of the CPU time at 5,000 accounts).
    gc.disable()
    try:
        scores = health_scores(account_ids, now=now)
    finally:
        gc.enable()
    today = snapshot_date(now)
    before = bands_before(account_ids=account_ids, today=today)
    snapshots = [
        {
            "account_id": pk,
            "date": today.isoformat(),
            "score": score.score,
            "band": score.band,
            "based_on": score.based_on,
            "components": [_component_dict(c) for c in score.components],
            "computed_at": now.isoformat(),
        }
        for pk, score in scores.items()
    ]
    _store(snapshots)
    if before:
        after = {pk: (score.band, score.score) for pk, score in scores.items()}
        transaction.on_commit(lambda: emit_band_changes(before=before, after=after, today=today), robust=True)
    if progress:
        progress(len(snapshots), len(snapshots))
    return len(snapshots)


UPSERT_PG = """
INSERT INTO loops_healthsnapshot (account_id, date, score, band, based_on, components, computed_at)
SELECT account_id, date, score, band, based_on, components, computed_at
FROM jsonb_to_recordset(%s::jsonb) AS x(
    account_id bigint, date date, score float8, band varchar, based_on int, components jsonb, computed_at timestamptz
)
ON CONFLICT (account_id, date) DO UPDATE SET score = EXCLUDED.score, band = EXCLUDED.band,
    based_on = EXCLUDED.based_on, components = EXCLUDED.components, computed_at = EXCLUDED.computed_at
"""


def _store(snapshots: list[dict[str, Any]]) -> None:
    """Upsert the day's snapshots. On PostgreSQL one statement whatever their number (one JSON
    document unpacked into rows by the server); elsewhere Django's batched upsert."""
    if not snapshots:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(UPSERT_PG, [json.dumps(snapshots)])
        return
    HealthSnapshot.objects.bulk_create(
        [
            HealthSnapshot(
                **{
                    **row,
                    "date": dt.date.fromisoformat(row["date"]),
                    "computed_at": dt.datetime.fromisoformat(row["computed_at"]),
                }
            )
            for row in snapshots
        ],
        update_conflicts=True,
        unique_fields=["account", "date"],
        update_fields=["score", "band", "based_on", "components", "computed_at"],
        batch_size=BATCH,
    )


def health_mark_dirty(*, account_id: int) -> None:
    """Ask for a recompute of this account; marking again moves `since`, so a running sweep keeps it."""
    HealthDirty.objects.bulk_create(
        [HealthDirty(account_id=account_id, since=timezone.now())],
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=["since"],
    )


def health_recompute_dirty(*, limit: int = 2000) -> list[int]:
    """The sweeper's part: recompute the accounts marked dirty longest, then unmark those not marked
    again meanwhile. Returns the ids of the accounts recomputed (their churn risk is next)."""
    started = timezone.now()
    marks = list(HealthDirty.objects.order_by("since", "account_id").values_list("account_id", "since")[:limit])
    if not marks:
        return []
    ids = [account_id for account_id, _since in marks]
    health_recompute(account_ids=ids, now=started)
    # Only the marks as read: one set again meanwhile has another `since`, also one set inside a
    # transaction that began before this sweep and committed during it (whose change the recompute
    # may not have seen), and stays for the next sweep.
    for start in range(0, len(marks), UNMARK_BATCH):
        batch = marks[start : start + UNMARK_BATCH]
        HealthDirty.objects.filter(reduce(or_, (Q(account_id=pk, since=since) for pk, since in batch))).delete()
    return ids


def health_history(*, account_id: int, today: dt.date) -> tuple[HealthSnapshot | None, HealthSnapshot | None]:
    """Today's (or the latest) snapshot and the one from about 30 days earlier, for trend and "what moved"."""
    latest = HealthSnapshot.objects.filter(account_id=account_id, date__lte=today).order_by("-date").first()
    if latest is None:
        return None, None
    earlier = (
        HealthSnapshot.objects.filter(account_id=account_id, date__lte=latest.date - dt.timedelta(days=30))
        .order_by("-date")
        .first()
    )
    return latest, earlier
