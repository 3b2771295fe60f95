"""The demo's loops: the alert rules applied to the demo season as each answer arrived, then a
plausible history of work on each loop (contacts, plans, closures, follow-ups, a few overrides),
written through the same services staff use, dated in the past. Deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from loops.models import EscalationLevel, HealthComponent, Loop, Notification, RootCause
from loops.services import cases
from loops.services.alerts import response_alert
from loops.services.escalation import escalations_run
from loops.services.followup import followup_record, followup_survey_for
from loops.services.health import health_recompute
from surveys.models import Account, Answer, Response
from surveys.models.surveys import score_band
from surveys.services.analysis import response_analyse
from surveys.services.events import invitation_build
from vocplatform.models import User

# Every demo account's external id starts with this (surveys/demo/organisation.py).
DEMO_PREFIX = "DEMO-"

STEPS = [
    "Call the customer to apologise and agree next steps",
    "Issue a credit note for the affected period",
    "Escalate the defect to product engineering",
    "Book a training session with their team",
    "Send a written summary of the fix",
    "Review the account's open tickets with support",
]
CONTACT_NOTES = [
    "Spoke with the customer; they walked me through what went wrong.",
    "Left a voicemail, then reached them by email; call booked for tomorrow.",
    "Video call with their operations lead; agreed a plan and dates.",
]
SUMMARIES = [
    "Fixed the underlying issue and credited the customer; they confirmed on a call.",
    "Trained their team and adjusted the configuration; usage back to normal.",
    "Refund issued and billing contact corrected.",
]


# A worked loop closes between 3 days and this long after it opened (if it closes at all).
CLOSING_AGE_MAX = dt.timedelta(days=18)


def _hours(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(low, high))


class _History:
    def __init__(self, *, rng: random.Random, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now
        self.causes = list(RootCause.objects.filter(active=True))
        self.staff = list(User.objects.filter(is_active=True, role=User.Role.MANAGER))
        self.counts = {"loops": 0, "closed": 0, "followups": 0, "overrides": 0}
        self.shown: set[str] = set()  # the overrides the demo has made so far

    def work(self, loop: Loop) -> None:
        age = self.now - loop.opened_at
        actor = loop.owner or self.rng.choice(self.staff)
        if age < dt.timedelta(days=2) or self.rng.random() < 0.08:
            return  # new, or forgotten: these become the overdue and escalated ones
        contact_at = loop.opened_at + _hours(self.rng, 1, 30 if self.rng.random() < 0.8 else 70)
        roll = self.rng.random()
        # Each kind of override shows at least once, whatever the dice and `now` make of the rest:
        # the first loop old enough to be due for closing is never reached, the next has an SLA waived.
        never_reached = "closed unreached" not in self.shown and age > CLOSING_AGE_MAX + dt.timedelta(days=1)
        if never_reached:
            roll = 0.0
        elif "waived" not in self.shown:
            roll = 0.05
        if roll < 0.05:
            contact_at = self.now  # never reached: closed from the ticket, an override the supervisor reviews
        elif roll < 0.09:
            self.shown.add("waived")
            cases.loop_waive_sla(
                loop_id=loop.pk,
                actor=actor,
                stage="resolution",
                reason="The customer's office is closed for two weeks; agreed to resume after.",
                now=min(contact_at, self.now),
            )
            self.counts["overrides"] += 1
        if contact_at < self.now:
            cases.loop_log_contact(
                loop_id=loop.pk,
                actor=actor,
                channel=self.rng.choice(["phone", "email", "video"]),
                text=self.rng.choice(CONTACT_NOTES),
                at=contact_at,
                now=contact_at,
            )
        plan_at = contact_at + _hours(self.rng, 1, 8)
        if plan_at < self.now:
            self._plan(loop, actor, plan_at)
        closing = loop.opened_at + dt.timedelta(days=self.rng.uniform(3, CLOSING_AGE_MAX.days))
        closes = self.rng.random() < 0.85 or never_reached
        if closing < self.now - dt.timedelta(days=1) and closes:
            self._close(loop, actor, closing)

    def _plan(self, loop: Loop, actor: User, at: dt.datetime) -> None:
        for description in self.rng.sample(STEPS, self.rng.randint(1, 3)):
            owner = actor if self.rng.random() < 0.7 else self.rng.choice(self.staff)
            due = (at + dt.timedelta(days=self.rng.randint(2, 10))).date()
            step = cases.step_add(
                loop_id=loop.pk, actor=actor, description=description, owner=owner, due_on=due, now=at
            )
            done_at = dt.datetime.combine(due, dt.time(15), tzinfo=dt.UTC) - dt.timedelta(days=self.rng.randint(0, 2))
            if done_at < self.now and self.rng.random() < 0.8:
                cases.step_update(step_id=step.pk, actor=owner, status="done", now=max(done_at, at))
        cases.loop_update(
            loop_id=loop.pk,
            actor=actor,
            effort_hours=Decimal(self.rng.randint(1, 24)) / 2,
            expenses=Decimal(self.rng.choice([0, 0, 0, 50, 120, 250, 900])),
            now=at,
        )

    def _close(self, loop: Loop, actor: User, at: dt.datetime) -> None:
        loop.refresh_from_db()
        for step in loop.steps.exclude(status="done"):
            cases.step_update(step_id=step.pk, actor=actor, status="done", now=at)
        reason = ""
        if loop.first_contact_at is None:
            reason = "The customer asked not to be contacted; fixed from the ticket alone."
            self.counts["overrides"] += 1
            self.shown.add("closed unreached")
        followup = followup_survey_for(loop) is not None and self.rng.random() < 0.6
        cases.loop_close(
            loop_id=loop.pk,
            actor=actor,
            resolution_summary=self.rng.choice(SUMMARIES),
            root_causes=self.rng.sample(self.causes, self.rng.choice([1, 1, 2])),
            reason_without_contact=reason,
            send_followup=False,
            now=at,
        )
        self.counts["closed"] += 1
        if followup:
            self._follow_up(loop, at)

    def _follow_up(self, loop: Loop, at: dt.datetime) -> None:
        """The follow-up answered as the customer would have, a day or two after closing."""
        loop.refresh_from_db()
        survey = followup_survey_for(loop)
        assert survey is not None
        answered = at + _hours(self.rng, 4, 60)
        if answered >= self.now:
            return
        invitation = invitation_build(survey=survey, contact=loop.response.contact, scheduled_for=at)
        invitation.status, invitation.sent_at, invitation.answered_at = "answered", at, answered
        invitation.save()
        Loop.objects.filter(pk=loop.pk).update(followup_invitation=invitation)
        yes_no, csat, _text = survey.questions.order_by("position")
        resolved = self.rng.random() < 0.72
        score = self.rng.randint(4, 5) if resolved else self.rng.randint(1, 3)
        response = Response.objects.create(
            invitation=invitation,
            survey=survey,
            contact=loop.response.contact,
            account=loop.account,
            touchpoint=survey.touchpoint,
            score_kind="csat",
            score=score,
            score_band=score_band("csat", score),
            submitted=True,
        )
        Response.objects.filter(pk=response.pk).update(created_at=answered, updated_at=answered)
        Answer.objects.create(response=response, question=yes_no, choices=["Yes" if resolved else "No"])
        Answer.objects.create(response=response, question=csat, number=score)
        # What the workers would do with the answer, done here so loading queues no task per response.
        response_analyse(response_id=response.pk, announce=False)
        response_alert(response_id=response.pk)
        followup_record(response_id=response.pk)
        self.counts["followups"] += 1


def demo_loops_load(
    *, rng: random.Random, now: dt.datetime, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Apply the alert rules to every demo response not yet seen, each at its own time, then work the loops."""
    _director_ensure()
    pending = list(
        Response.objects.filter(alert_check__isnull=True, analysis__isnull=False)
        .exclude(survey__touchpoint="loop follow-up")
        .order_by("created_at")
        .values_list("pk", "created_at")
    )
    history = _History(rng=rng, now=now)
    for done, (pk, created_at) in enumerate(pending, start=1):
        with transaction.atomic():
            opened = created_at + _hours(rng, 0.05, 0.5)
            loop = response_alert(response_id=pk, now=min(opened, now))
            if loop is not None and loop.opened_at == min(opened, now):
                history.counts["loops"] += 1
                history.work(loop)
        if progress and (done % 50 == 0 or done == len(pending)):
            progress(done, len(pending))
    # Reminders and escalations for the loops left behind, then quiet the demo's past notifications.
    escalations_run(now=now)
    # Only the demo's: the demo may be loaded beside a real organisation's data.
    Notification.objects.filter(
        created_at__lt=now - dt.timedelta(days=3), loop__account__external_id__startswith=DEMO_PREFIX
    ).update(read_at=now, emailed_at=now, email_claimed_at=now)
    return history.counts


def _director_ensure() -> None:
    """Level 2: the CX admin hears of a first-contact breach still open 48 hours later."""
    admin = User.objects.filter(username="admin").first()
    if admin is not None:
        EscalationLevel.objects.get_or_create(
            level=2, defaults={"delay_hours": 48, "recipient": EscalationLevel.Recipient.USER, "user": admin}
        )


def demo_health_load(*, now: dt.datetime, progress: Callable[[int, int], None] | None = None) -> int:
    """Usage as a health component, and snapshots two months, one month and today, for trends."""
    HealthComponent.objects.get_or_create(
        key="weekly-logins",
        defaults={
            "label": "Weekly logins",
            "kind": "attribute",
            "attribute": "weekly_logins",
            "weight": 10,
            "zero_at": 0,
            "hundred_at": 500,
        },
    )
    days = (60, 30, 0)
    # The demo's accounts only: a real account's stored health history stays as it is.
    demo_accounts = list(Account.objects.filter(external_id__startswith=DEMO_PREFIX).values_list("pk", flat=True))
    for done, back in enumerate(days, start=1):
        health_recompute(account_ids=demo_accounts, now=now - dt.timedelta(days=back))
        if progress:
            progress(done, len(days))
    return len(days)
