"""The escalation pass, run by Celery beat: reminders before a deadline, escalations after it,
and overdue plan steps, all set-based.

Each kind of fact is one `INSERT … SELECT … ON CONFLICT DO NOTHING`: the candidates are
chosen by the database from stored deadlines, and the unique constraints (one escalation
per loop, stage and level; one notification per escalation or per overdue step) make a
second pass, or two workers at once, insert nothing new. The number of queries depends on
the number of configured escalation levels (and of time zones among plan-step owners), never on
the number of loops.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, Left
from django.utils import timezone

from loops.models import Escalation, EscalationLevel, Loop, Notification, PlanStep
from loops.services.webhooks import emit_escalations

# The transaction-level advisory lock that serialises escalation passes (any constant: "escalate").
PASS_LOCK = 0x657363616C617465

STAGES: dict[str, str] = {
    Escalation.Stage.FIRST_CONTACT: "first-contact",
    Escalation.Stage.RESOLUTION: "resolution",
}


@dataclass
class PassResult:
    reminders: int = 0
    escalations: int = 0
    notifications: int = 0
    overdue_steps: int = 0
    by_level: dict[int, int] = field(default_factory=dict)


def _insert_select(model: type[models.Model], columns: list[str], queryset: QuerySet) -> int:  # type: ignore[type-arg]
    """INSERT the rows a values_list of annotations selects, skipping any that break a unique constraint."""
    sql, params = queryset.query.sql_with_params()
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) {sql} ON CONFLICT DO NOTHING", params)
        return max(cursor.rowcount, 0)


def _pending(stage: str) -> Q:
    if stage == Escalation.Stage.FIRST_CONTACT:
        return Q(first_contact_at__isnull=True, first_contact_sla_waived=False, status__in=Loop.OPEN_STATUSES)
    return Q(resolution_sla_waived=False, status__in=Loop.OPEN_STATUSES)


def _one_pass_at_a_time() -> None:
    """PostgreSQL: a second pass waits for the first to commit. Each pass locks the loops it acts on,
    a set per stage and level; two passes taking those sets in turn could deadlock. (SQLite runs
    one writer at a time anyway.) The second pass then finds the first's work done."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PASS_LOCK])


def _escalate(stage: str, level: int, threshold: Q, recipient: models.Expression | F, now: dt.datetime) -> int:
    # The candidates are locked (on PostgreSQL): a close or a pause committed while the pass waits
    # is seen, and that loop drops out, instead of being escalated from the pass's older snapshot.
    candidates = (
        Loop.objects.select_for_update(of=("self",), no_key=True)
        .filter(_pending(stage), threshold, waiting_since__isnull=True)
        .annotate(
            c_stage=Value(stage, output_field=CharField()),
            c_level=Value(level, output_field=IntegerField()),
            c_cycle=F("reopened_count"),
            c_recipient=recipient,
            c_at=Value(now, output_field=models.DateTimeField()),
        )
        .filter(c_recipient__isnull=False)
        .order_by("pk")
        # The loop's own column first: Django names the locked table (OF) after the columns selected.
        .values_list("pk", "c_stage", "c_level", "c_cycle", "c_recipient", "c_at")
    )
    return _insert_select(Escalation, ["loop_id", "stage", "level", "cycle", "recipient_id", "at"], candidates)


def _watch_escalated(stage: str, level: int) -> None:
    """A person named on an escalation level (a director, say) watches the loops escalated to them,
    as an alert rule's extra recipients do: they may then open what they are told about."""
    pending = Escalation.objects.filter(stage=stage, level=level, notification__isnull=True, recipient__is_active=True)
    watching = Loop.watchers.through
    watching.objects.bulk_create(
        [
            watching(loop_id=loop_id, user_id=user_id)
            for loop_id, user_id in pending.values_list("loop_id", "recipient_id")
        ],
        ignore_conflicts=True,
    )


def _notify_escalations(stage: str, level: int, now: dt.datetime) -> int:
    what = STAGES[stage]
    column = "first_contact" if stage == Escalation.Stage.FIRST_CONTACT else "resolution"
    prefix: Value | Case = Value(f"Escalation L{level}: {what} SLA breached for ")
    if level == 0:
        # A pass that comes after the deadline (beat was down, or the loop opened late) does not
        # call it "due soon": the owner is told it was missed.
        prefix = Case(
            When(**{f"loop__{column}_due_at__lt": now}, then=Value(f"Reminder: {what} SLA missed for ")),
            default=Value(f"Reminder: {what} SLA due soon for "),
        )
    rows = (
        # Someone no longer active staff is told nothing (the escalation itself is still recorded).
        Escalation.objects.filter(stage=stage, level=level, notification__isnull=True, recipient__is_active=True)
        .annotate(
            c_recipient=F("recipient_id"),
            c_loop=F("loop_id"),
            c_escalation=F("pk"),
            c_key=Concat(Value("esc:"), Cast("pk", CharField()), output_field=CharField()),
            c_kind=Value("reminder" if level == 0 else "escalation", output_field=CharField()),
            c_text=Left(Concat(prefix, F("loop__account__name"), output_field=CharField()), 300),
            c_created=Value(now, output_field=models.DateTimeField()),
        )
        .order_by()
        .values_list("c_recipient", "c_loop", "c_escalation", "c_key", "c_kind", "c_text", "c_created")
    )
    columns = ["recipient_id", "loop_id", "escalation_id", "key", "kind", "text", "created_at"]
    return _insert_select(Notification, columns, rows)


def _notify_overdue_steps(now: dt.datetime) -> int:
    """Steps whose due date has passed in their owner's time zone, the one the owner picks and
    sees dates in: one INSERT per time zone among the owners, never one per step."""
    pending = PlanStep.objects.filter(loop__status__in=Loop.OPEN_STATUSES, owner__is_active=True).exclude(
        status=PlanStep.Status.DONE
    )
    latest_today = (now + dt.timedelta(hours=14)).date()  # no time zone is ahead of UTC+14
    zones = pending.filter(due_on__lt=latest_today).order_by().values_list("owner__time_zone", flat=True).distinct()
    return sum(_notify_overdue_steps_in(pending, zone, now) for zone in sorted(zones))


def _notify_overdue_steps_in(pending: QuerySet[PlanStep], zone: str, now: dt.datetime) -> int:
    today = now.astimezone(_zone(zone)).date()
    overdue = pending.filter(owner__time_zone=zone, due_on__lt=today)
    # Their loops locked first, as the escalations' are: the INSERT below (a statement of its own,
    # with a fresh snapshot) then sees a close committed while the pass waited.
    list(
        Loop.objects.select_for_update(no_key=True)
        .filter(pk__in=overdue.values("loop_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rows = (
        overdue.annotate(
            c_recipient=F("owner_id"),
            c_loop=F("loop_id"),
            c_key=Concat(Value("step-overdue:"), Cast("pk", CharField()), output_field=CharField()),
            c_kind=Value("step_overdue", output_field=CharField()),
            c_text=Left(Concat(Value("Overdue plan step: "), F("description"), output_field=CharField()), 300),
            c_created=Value(now, output_field=models.DateTimeField()),
        )
        .order_by()
        .values_list("c_recipient", "c_loop", "c_key", "c_kind", "c_text", "c_created")
    )
    return _insert_select(Notification, ["recipient_id", "loop_id", "key", "kind", "text", "created_at"], rows)


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC  # a name the user model's validator would refuse; its default zone


def _threshold(stage: str, field_name: str, at: dt.datetime) -> Q:
    """A reminder goes out at its warning time; a deadline is missed only after it has passed, as
    the queue, the loop page and the reports count it (a contact logged at the deadline is on time)."""
    column = "first_contact" if stage == Escalation.Stage.FIRST_CONTACT else "resolution"
    lookup = "lte" if field_name == "warn_at" else "lt"
    return Q(**{f"{column}_{field_name}__{lookup}": at})


def escalations_run(*, now: dt.datetime | None = None) -> PassResult:
    """One escalation pass. Safe to run any number of times, concurrently."""
    now = now or timezone.now()
    levels = list(EscalationLevel.objects.order_by("level"))
    supervisor = Coalesce(F("owner__team__supervisor_id"), F("queue_team__supervisor_id"))
    result = PassResult()
    with transaction.atomic():
        _one_pass_at_a_time()
        for stage in STAGES:
            result.reminders += _escalate(stage, 0, _threshold(stage, "warn_at", now), F("owner_id"), now)
            result.notifications += _notify_escalations(stage, 0, now)
            for level in levels:
                recipient = Value(level.user_id) if level.recipient == EscalationLevel.Recipient.USER else supervisor
                due_before = now - dt.timedelta(hours=level.delay_hours)
                added = _escalate(stage, level.level, _threshold(stage, "due_at", due_before), recipient, now)
                result.escalations += added
                result.by_level[level.level] = result.by_level.get(level.level, 0) + added
                if level.recipient == EscalationLevel.Recipient.USER:
                    _watch_escalated(stage, level.level)
                result.notifications += _notify_escalations(stage, level.level, now)
        for level in levels:
            Loop.objects.filter(
                escalations__level=level.level, escalations__cycle=F("reopened_count"), escalation_level__lt=level.level
            ).update(escalation_level=level.level)
        result.overdue_steps = _notify_overdue_steps(now)
        result.notifications += result.overdue_steps
        transaction.on_commit(lambda: emit_escalations(at=now), robust=True)
    return result
