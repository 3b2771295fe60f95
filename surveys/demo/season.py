"""A season of feedback for the demo organisation: four live surveys, their trigger rules, and
about 120 days of events, invitations and responses with real-sounding comments.

Generated (never read from files) and idempotent: surveys and trigger rules are found by name,
and the season is loaded only while no demo event (external id DEMO-E…) exists.

Every invitation goes through the rules the live system applies (trigger-rule matching, the
frequency rules in the database, the send window, expiry, reminders), so the data tells one
consistent story and the sweepers find nothing to fix after loading: nothing is scheduled in
the past, links still open are really unexpired, and the only reminders due lie in the future.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from surveys.demo.comments import COMMENTS
from surveys.models import (
    Answer,
    Band,
    Contact,
    Event,
    FrequencyRule,
    Invitation,
    Question,
    Response,
    Survey,
    TriggerRule,
    score_band,
)
from surveys.services.events import _matches, invitation_build
from surveys.services.frequency import active_rules, next_send_time

SEASON_DAYS = 120
EVENT_PREFIX = "DEMO-E"
CONTACT_PREFIX = "DEMO-C"
UNHAPPY_SHARE = 0.15  # accounts whose customers are mostly unhappy: the health and churn features need signal
ONBOARDED_SHARE = 0.2
RENEWING_SHARE = 0.5
WAVES_DAYS_AGO = (97, 6)  # quarterly relationship waves
WAVE_SHARE = 0.65  # of contacts in a wave
SPACING_DAYS = 33  # between one contact's events: a little over the default contact gap of 30 days
PENDING_TICKETS = 4  # closed in the last 90 minutes: their invitations are still scheduled, in the future
DECISION_MAKERS = {"CEO", "CFO", "Procurement Lead", "Head of Operations", "IT Director"}
BATCH = 500
D, P, PR = Band.DETRACTOR.value, Band.PASSIVE.value, Band.PROMOTER.value


@dataclass(frozen=True)
class SurveySpec:
    name: str
    touchpoint: str
    intro: str
    thank_you: str
    email_subject: str
    email_intro: str
    expiry_days: int
    min_gap_days: int
    questions: tuple[dict[str, Any], ...]


def _open_text(text: str, detractor: str, passive: str, promoter: str) -> dict[str, Any]:
    return {
        "kind": Question.Kind.TEXT,
        "text": text,
        "text_detractor": detractor,
        "text_passive": passive,
        "text_promoter": promoter,
    }


NPS_QUESTION = {
    "kind": Question.Kind.NPS,
    "text": "How likely are you to recommend us to a colleague?",
    "help_text": "0 = not at all likely, 10 = extremely likely",
    "required": True,
}
SURVEYS = (
    SurveySpec(
        name="Support ticket follow-up",
        touchpoint="support ticket",
        intro="You recently closed a ticket with our support team. Two quick questions help us get better.",
        thank_you="Thank you! Our support leads read every answer and follow up on anything that went wrong.",
        email_subject="How did we do with your support ticket?",
        email_intro="Your support ticket was closed recently. Could you tell us how it went? It takes a minute.",
        expiry_days=14,
        min_gap_days=30,  # transactional: a customer with a second ticket next month may be asked again
        questions=(
            NPS_QUESTION,
            _open_text(
                "Anything you would like to tell us?",
                "We're sorry. What went wrong?",
                "What would have made it a 10?",
                "What did we do well?",
            ),
            {"kind": Question.Kind.SINGLE, "text": "Was your issue resolved?", "choices": ["Yes", "Partly", "No"]},
        ),
    ),
    SurveySpec(
        name="Onboarding check-in",
        touchpoint="onboarding",
        intro="You have been live with us for a little while. How is it going so far?",
        thank_you="Thank you! Your onboarding team will see your answers and get in touch if anything is stuck.",
        email_subject="How is your onboarding going?",
        email_intro="Welcome aboard! Three short questions about your first days with us.",
        expiry_days=14,
        min_gap_days=90,
        questions=(
            {
                "kind": Question.Kind.CSAT,
                "text": "How satisfied are you with your onboarding so far?",
                "help_text": "1 = very dissatisfied, 5 = very satisfied",
                "required": True,
            },
            _open_text(
                "Anything you would like to tell us about your onboarding?",
                "Sorry to hear that. What has not gone well?",
                "What would have made onboarding better?",
                "What worked well for you?",
            ),
            {
                "kind": Question.Kind.MULTIPLE,
                "text": "What helped you most?",
                "choices": [
                    "Kick-off call",
                    "Training sessions",
                    "Help centre articles",
                    "Our implementation specialist",
                    "Templates and sample data",
                    "Nothing so far",
                ],
            },
        ),
    ),
    SurveySpec(
        name="Renewal pulse",
        touchpoint="renewal",
        intro="Your renewal is coming up. Tell us how the year went and how easy renewing is.",
        thank_you="Thank you! Your account manager will see your answers before your renewal.",
        email_subject="Your renewal is coming up: how are we doing?",
        email_intro="Before your renewal we would like to hear how the past year went for you.",
        expiry_days=21,
        min_gap_days=180,
        questions=(
            NPS_QUESTION,
            {
                "kind": Question.Kind.CES,
                "text": "How easy was it to renew?",
                "help_text": "1 = very easy, 7 = very difficult",
            },
            _open_text(
                "Is there anything we should change before your next renewal?",
                "We're sorry. What should we fix first?",
                "What would make working with us better?",
                "What do you value most about working with us?",
            ),
        ),
    ),
    SurveySpec(
        name="Quarterly relationship",
        touchpoint="relationship",
        intro="Once a quarter we ask our customers how we are doing overall. It takes a minute.",
        thank_you="Thank you! Every answer is read, and your account team will follow up where needed.",
        email_subject="How are we doing? Our quarterly check-in",
        email_intro="Once a quarter we ask how we are doing as your partner. Could you spare a minute?",
        expiry_days=21,
        min_gap_days=80,  # quarterly: the next quarter's survey must not be blocked
        questions=(
            NPS_QUESTION,
            _open_text(
                "What is the main reason for your score?",
                "We're sorry. What is the main thing we should fix?",
                "What would have made it a 10?",
                "What do we do best?",
            ),
        ),
    ),
)
RULES: tuple[tuple[str, str, str, int, list[str]], ...] = (
    # name, event type, survey, delay in minutes, account segments (empty for any)
    ("Support ticket closed", "ticket.closed", "Support ticket follow-up", 120, []),
    ("New account onboarded", "account.onboarded", "Onboarding check-in", 24 * 60, []),
    (
        "Renewal coming up (mid-market and enterprise)",
        "renewal.upcoming",
        "Renewal pulse",
        0,
        ["Mid-market", "Enterprise"],
    ),
    ("Quarterly relationship check-in", "relationship.quarterly", "Quarterly relationship", 0, []),
)

# Which topics a survey's comments are about, with weights; topics not listed are never picked.
SURVEY_TOPICS: dict[str, dict[str, int]] = {
    "support ticket": {"support": 6, "bugs": 3, "outages": 2, "docs": 1, "mobile": 1, "integrations": 1, "product": 1},
    "onboarding": {"onboarding": 6, "training": 3, "docs": 2, "integrations": 2, "account_manager": 1, "product": 1},
    "renewal": {"renewal": 4, "pricing": 3, "billing": 3, "account_manager": 2, "product": 1},
}
ALL_TOPICS = {topic: 2 if topic in {"product", "account_manager", "reporting"} else 1 for topic in COMMENTS[D]}
BAND_WEIGHTS = {"usual": (0.16, 0.32, 0.52), "unhappy": (0.45, 0.2, 0.35)}  # unhappy: worsens over the season
COMMENT_RATE = {D: 0.8, P: 0.55, PR: 0.45}
SCORES: dict[str, dict[str, tuple[list[int], list[int]]]] = {
    "nps": {D: ([0, 1, 2, 3, 4, 5, 6], [1, 1, 2, 3, 4, 6, 7]), P: ([7, 8], [5, 4]), PR: ([9, 10], [5, 4])},
    "csat": {D: ([1, 2], [2, 3]), P: ([3], [1]), PR: ([4, 5], [5, 4])},
    "stars": {D: ([1, 2], [2, 3]), P: ([3], [1]), PR: ([4, 5], [5, 4])},
    "ces": {D: ([5, 6, 7], [4, 3, 2]), P: ([4], [1]), PR: ([1, 2, 3], [4, 4, 2])},
}
CHOICE_WEIGHTS = {PR: [0.85, 0.12, 0.03], P: [0.55, 0.35, 0.1], D: [0.15, 0.35, 0.5]}  # options listed best first
TICKET_CATEGORIES = ["Login", "Billing", "Data import", "Integrations", "Reporting", "Mobile app", "Performance"]


@dataclass
class _Planned:
    """One event and, when a trigger rule matches it, its invitation, with the historical times to stamp."""

    event: Event
    received_at: dt.datetime
    invitation: Invitation | None = None
    response: Response | None = None
    answers: list[Answer] = field(default_factory=list)


def _surveys_ensure(*, created_at: dt.datetime, counts: dict[str, int]) -> dict[str, Survey]:
    surveys: dict[str, Survey] = {}
    for spec in SURVEYS:
        survey = Survey.objects.filter(name=spec.name).order_by("pk").first()
        if survey is None:
            values = {k: v for k, v in vars(spec).items() if k != "questions"}
            survey = Survey.objects.create(status=Survey.Status.ACTIVE, **values)
            Survey.objects.filter(pk=survey.pk).update(created_at=created_at)
            questions = [Question(survey=survey, position=i, **q) for i, q in enumerate(spec.questions)]
            Question.objects.bulk_create(questions)
            counts["surveys"] += 1
            counts["questions"] += len(questions)
        surveys[spec.name] = survey
    return surveys


def _rules_ensure(surveys: dict[str, Survey], *, counts: dict[str, int]) -> None:
    for name, event_type, survey_name, delay, segments in RULES:
        if not TriggerRule.objects.filter(name=name).exists():
            TriggerRule.objects.create(
                name=name, event_type=event_type, survey=surveys[survey_name], delay_minutes=delay, segments=segments
            )
            counts["trigger_rules"] += 1


class _Season:
    """Plans the events, dispatches the invitations under the frequency rules, and lets customers answer."""

    def __init__(self, *, rng: random.Random, now: dt.datetime, contacts: list[Contact]) -> None:
        self.rng, self.now, self.contacts = rng, now, contacts
        self.start = now - dt.timedelta(days=SEASON_DAYS)
        # Later events (moved to office hours, delayed, deferred to the send window) could still be
        # scheduled; the only scheduled invitations are the few PENDING_TICKETS.
        self.cutoff = now - dt.timedelta(hours=36)
        # The quarterly relationship survey goes out in waves; the latest is still collecting answers.
        self.waves = [now - dt.timedelta(days=days) for days in WAVES_DAYS_AGO]
        accounts = sorted({c.account_id for c in contacts})
        self.unhappy = set(rng.sample(accounts, round(len(accounts) * UNHAPPY_SHARE)))
        self.onboarded = set(rng.sample(accounts, round(len(accounts) * ONBOARDED_SHARE)))
        self.renewing = set(rng.sample(accounts, round(len(accounts) * RENEWING_SHARE)))
        self.opted_out_at = {c.pk: self._day(rng.uniform(15, SEASON_DAYS - 5)) for c in contacts if c.opted_out}
        self.undeliverable_at: dict[int, dt.datetime] = {}
        self.rules = list(TriggerRule.objects.filter(active=True).select_related("survey"))
        self.frequency = active_rules()
        self.questions: dict[int, list[Question]] = {}
        for question in Question.objects.filter(survey__in={r.survey_id for r in self.rules}).order_by("position"):
            self.questions.setdefault(question.survey_id, []).append(question)
        self.decks: dict[tuple[str, str], list[str]] = {}
        self.sent_by_contact: dict[int, list[tuple[dt.datetime, int]]] = {}
        self.sent_by_account: dict[int, list[dt.datetime]] = {}

    def _day(self, days: float) -> dt.datetime:
        return self.start + dt.timedelta(days=days)

    # Planning: when something happens to whom.

    def plan(self, progress: Callable[[int, int], None] | None) -> list[_Planned]:
        planned: list[_Planned] = []
        for done, contact in enumerate(self.contacts, start=1):
            planned += [self._planned(contact, when, kind) for when, kind in self._moments(contact)]
            if progress:
                progress(done, len(self.contacts) + 1)
        reachable = [c for c in self.contacts if not c.opted_out]
        for contact in self.rng.sample(reachable, min(PENDING_TICKETS, len(reachable))):
            when = self.now - dt.timedelta(minutes=self.rng.uniform(5, 90))
            planned.append(self._planned(contact, when, "ticket.closed"))
        planned.sort(key=lambda p: p.event.occurred_at)
        for number, item in enumerate(planned, start=1):
            item.event.external_id = f"{EVENT_PREFIX}{number:05d}"
        return planned

    def _moments(self, contact: Contact) -> list[tuple[dt.datetime, str]]:
        """The quarterly waves the contact is part of and, in between and at least a contact gap apart,
        tickets, an onboarding or a renewal; now and then a second ticket soon after one (the gap rule's case)."""
        rng, spacing = self.rng, dt.timedelta(days=SPACING_DAYS)
        waves = [wave for wave in self.waves if rng.random() < WAVE_SHARE]
        times: list[dt.datetime] = []
        when = self._day(rng.uniform(0, 35))
        while when < self.cutoff:
            clash = next((wave for wave in waves if abs(wave - when) < spacing), None)
            if clash is None:
                times.append(when)
            when = (clash or when) + spacing + dt.timedelta(days=rng.expovariate(1 / 9))
        kinds = ["ticket.closed"] * len(times)
        if times and contact.account_id in self.onboarded and times[0] < self.now - dt.timedelta(days=3):
            kinds[0] = "account.onboarded"  # its rule waits a day
        if (
            kinds
            and kinds[-1] == "ticket.closed"
            and contact.account_id in self.renewing
            and contact.role in DECISION_MAKERS
        ):
            kinds[-1] = "renewal.upcoming"
        moments = [*zip(times, kinds, strict=True), *((wave, "relationship.quarterly") for wave in waves)]
        for when, _kind in list(moments):
            extra = when + dt.timedelta(days=rng.uniform(3, 20))
            if rng.random() < 0.05 and extra < self.cutoff:
                moments.append((extra, "ticket.closed"))
        zone = _zone(contact.time_zone)
        return [(_working_hours(rng, when, zone), kind) for when, kind in moments]

    def _planned(self, contact: Contact, when: dt.datetime, kind: str) -> _Planned:
        properties = self._properties(kind, when, contact)
        event = Event(type=kind, contact=contact, account=contact.account, properties=properties, occurred_at=when)
        received = when + dt.timedelta(seconds=self.rng.uniform(2, 90))
        item = _Planned(event=event, received_at=received)
        for rule in self.rules:
            if rule.event_type == kind and _matches(rule, contact, contact.account, properties):
                item.invitation = invitation_build(
                    survey=rule.survey,
                    contact=contact,
                    scheduled_for=received + dt.timedelta(minutes=rule.delay_minutes),
                    expiry_days=rule.expiry_days,
                    event=event,
                    trigger_rule=rule,
                )
                break  # one invitation per event keeps the demo simple; rules here never overlap
        return item

    def _properties(self, kind: str, when: dt.datetime, contact: Contact) -> dict[str, Any]:
        rng = self.rng
        if kind == "ticket.closed":
            return {
                "ticket_id": f"T-{rng.randint(10000, 99999)}",
                "channel": rng.choice(["email", "email", "portal", "phone", "chat"]),
                "priority": rng.choices(["P1", "P2", "P3", "P4"], [1, 3, 5, 2])[0],
                "category": rng.choice(TICKET_CATEGORIES),
            }
        if kind == "renewal.upcoming":
            return {"renewal_date": (when + dt.timedelta(days=90)).date().isoformat(), "days_to_renewal": 90}
        if kind == "account.onboarded":
            return {"plan": contact.account.custom_attributes.get("plan", "")}
        return {"quarter": f"{when.year}-Q{(when.month - 1) // 3 + 1}"}

    # Dispatch: the frequency rules, the send window, bounces; then what the customer does.

    def dispatch(self, planned: list[_Planned]) -> None:
        invited = [(item, item.invitation) for item in planned if item.invitation is not None]
        for item, invitation in sorted(invited, key=lambda pair: pair[1].scheduled_for):
            if invitation.scheduled_for > self.now:
                continue  # still scheduled: the live dispatcher takes it from here
            suppressed = self._suppression(invitation, invitation.scheduled_for)
            if suppressed:
                invitation.status = Invitation.Status.SUPPRESSED
                invitation.suppressed_by, invitation.suppression_detail = suppressed
                continue
            sent_at = next_send_time(invitation.contact.time_zone, now=invitation.scheduled_for, rules=self.frequency)
            if sent_at > self.now:
                invitation.scheduled_for = sent_at  # deferred to the send window, as dispatch does
                continue
            invitation.scheduled_for = invitation.sent_at = sent_at + dt.timedelta(seconds=self.rng.uniform(5, 60))
            self.sent_by_contact.setdefault(invitation.contact_id, []).append((sent_at, invitation.survey_id))
            self.sent_by_account.setdefault(invitation.account_id, []).append(sent_at)
            if self.rng.random() < 0.012:
                invitation.status = Invitation.Status.BOUNCED
                invitation.bounced_at = invitation.sent_at + dt.timedelta(minutes=self.rng.uniform(1, 30))
                self.undeliverable_at[invitation.contact_id] = invitation.bounced_at
            else:
                self._deliver(item, invitation)

    def _suppression(self, invitation: Invitation, when: dt.datetime) -> tuple[str, str] | None:
        """The same questions, in the same order, as surveys.services.frequency.suppression_for."""
        opted_out = self.opted_out_at.get(invitation.contact_id)
        if opted_out and opted_out <= when:
            return Invitation.Suppression.OPTED_OUT, f"opted out on {opted_out:%Y-%m-%d}"
        bounced = self.undeliverable_at.get(invitation.contact_id)
        if bounced and bounced <= when:
            return Invitation.Suppression.UNDELIVERABLE, f"bounced on {bounced:%Y-%m-%d}"
        asked = self.sent_by_contact.get(invitation.contact_id, [])
        gap = self.frequency.get(FrequencyRule.Kind.CONTACT_GAP)
        if gap and any(sent > when - dt.timedelta(days=gap.days) for sent, _survey in asked):
            return Invitation.Suppression.CONTACT_GAP, f"asked within the last {gap.days} days"
        survey_gap = dt.timedelta(days=invitation.survey.min_gap_days)
        if any(sent > when - survey_gap and survey == invitation.survey_id for sent, survey in asked):
            return Invitation.Suppression.SURVEY_GAP, f"asked this survey within {invitation.survey.min_gap_days} days"
        cap = self.frequency.get(FrequencyRule.Kind.ACCOUNT_CAP)
        account_sent = self.sent_by_account.get(invitation.account_id, [])
        if cap and sum(1 for sent in account_sent if sent > when - dt.timedelta(days=cap.days)) >= cap.limit:
            return Invitation.Suppression.ACCOUNT_CAP, f"{cap.limit} invitations in {cap.days} days"
        return None

    def _deliver(self, item: _Planned, invitation: Invitation) -> None:
        assert invitation.sent_at is not None
        rng, survey, sent = self.rng, invitation.survey, invitation.sent_at
        stop = min(self.now, invitation.expires_at, self.opted_out_at.get(invitation.contact_id, self.now))
        answered = self._answer_time(invitation.account_id, sent)
        answered = answered if answered and answered < stop else None
        interval = dt.timedelta(days=survey.reminder_interval_days)
        reminders = [sent + interval * n for n in range(1, survey.reminder_count + 1)]
        invitation.reminders_sent = sum(1 for r in reminders if r < (answered or stop))
        if answered:
            invitation.status, invitation.answered_at = Invitation.Status.ANSWERED, answered
            invitation.opened_at = max(sent, answered - dt.timedelta(minutes=rng.uniform(1, 15)))
            self._respond(item, invitation)
            return
        opened = sent + dt.timedelta(hours=rng.expovariate(1 / 10))
        invitation.opened_at = opened if rng.random() < 0.4 and opened < stop else None
        if invitation.expires_at <= self.now:
            invitation.status = Invitation.Status.EXPIRED
            return
        invitation.status = Invitation.Status.OPENED if invitation.opened_at else Invitation.Status.SENT
        upcoming = reminders[invitation.reminders_sent :]
        if upcoming and upcoming[0] < invitation.expires_at and invitation.contact_id not in self.opted_out_at:
            invitation.next_reminder_at = upcoming[0]

    def _answer_time(self, account_id: int, sent: dt.datetime) -> dt.datetime | None:
        """When the customer answers, or None if they never do: most the same day, some only after a reminder."""
        rng = self.rng
        if rng.random() > (0.42 if account_id in self.unhappy else 0.52):
            return None
        roll = rng.random()
        if roll < 0.55:
            hours = rng.expovariate(1 / 5)
        elif roll < 0.8:
            hours = rng.uniform(24, 72)
        else:
            hours = 72 + rng.expovariate(1 / 36)
        return sent + dt.timedelta(hours=hours, minutes=rng.uniform(1, 10))

    # Answers: a band first, then scores, choices and a comment that fit it.

    def _band(self, account_id: int, when: dt.datetime) -> str:
        if account_id not in self.unhappy:
            return self.rng.choices((D, P, PR), BAND_WEIGHTS["usual"])[0]
        worse = 0.25 * (when - self.start) / (self.now - self.start)  # unhappy accounts get worse over the season
        detractor, passive, _promoter = BAND_WEIGHTS["unhappy"]
        return self.rng.choices((D, P, PR), (detractor + worse, passive, 1 - detractor - passive - worse))[0]

    def _respond(self, item: _Planned, invitation: Invitation) -> None:
        assert invitation.answered_at is not None
        survey = invitation.survey
        band = self._band(invitation.account_id, invitation.answered_at)
        response = Response(
            invitation=invitation,
            survey=survey,
            contact=invitation.contact,
            account_id=invitation.account_id,
            touchpoint=survey.touchpoint,
            comment=self._comment(band, survey.touchpoint),
            consent_to_attribution=self.rng.random() < 0.6,
            submitted=True,
        )
        text_done = False  # the comment is the first open-text answer; later open questions stay unanswered
        for question in self.questions.get(survey.pk, []):
            if question.kind == Question.Kind.TEXT:
                if response.comment and not text_done:
                    item.answers.append(Answer(response=response, question=question, text=response.comment))
                text_done = True
                continue
            answer = self._answer(question, band, response)
            if answer is not None:
                item.answers.append(answer)
        item.response = response

    def _answer(self, question: Question, band: str, response: Response) -> Answer | None:
        rng = self.rng
        if question.kind in SCORES:
            first = response.score is None
            own_band = band if first or rng.random() < 0.7 else rng.choice((D, P, PR))
            values, weights = SCORES[question.kind][own_band]
            number = rng.choices(values, weights)[0]
            if first:
                response.score_kind, response.score = question.kind, number
                response.score_band = score_band(question.kind, number)
            return Answer(response=response, question=question, number=number)
        options = list(question.choices)
        if not options:
            return None
        if question.kind == Question.Kind.SINGLE:
            likelihood = (CHOICE_WEIGHTS[band] + [0.05] * len(options))[: len(options)]
            return Answer(response=response, question=question, choices=rng.choices(options, likelihood))
        return Answer(response=response, question=question, choices=self._several(options, band))

    def _several(self, options: list[str], band: str) -> list[str]:
        nothing = [o for o in options if o.lower().startswith("nothing")]
        helpful = [o for o in options if o not in nothing]
        if nothing and ((band == D and self.rng.random() < 0.5) or not helpful):
            return nothing[:1]
        picked = set(self.rng.sample(helpful, self.rng.randint(1, min(3, len(helpful)))))
        return [o for o in options if o in picked]

    def _comment(self, band: str, touchpoint: str) -> str:
        """Often none; otherwise the next one from a shuffled deck per band and topic, so repeats come late."""
        if self.rng.random() > COMMENT_RATE[band]:
            return ""
        topics = SURVEY_TOPICS.get(touchpoint, ALL_TOPICS)
        topic = self.rng.choices(list(topics), list(topics.values()))[0]
        deck = self.decks.setdefault((band, topic), [])
        if not deck:
            deck += COMMENTS[band][topic]
            self.rng.shuffle(deck)
        return deck.pop()


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _working_hours(rng: random.Random, when: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The same day at a working hour in the contact's time zone: tickets close and CRMs fire in office hours."""
    local = when.astimezone(zone)
    moment = dt.datetime.combine(local.date(), dt.time(rng.randint(8, 17), rng.randrange(60)), tzinfo=zone)
    return moment.astimezone(dt.UTC)


def _save(planned: list[_Planned], season: _Season, counts: dict[str, int]) -> None:
    """Insert in bulk, then stamp the historical times that auto_now_add overwrote."""
    events = [p.event for p in planned]
    Event.objects.bulk_create(events, batch_size=BATCH)
    for item in planned:
        item.event.received_at = item.received_at
    Event.objects.bulk_update(events, ["received_at"], batch_size=BATCH)
    invited = [(item, item.invitation) for item in planned if item.invitation is not None]
    invitations = [invitation for _item, invitation in invited]
    Invitation.objects.bulk_create(invitations, batch_size=BATCH)
    for item, invitation in invited:
        invitation.created_at = item.received_at
    Invitation.objects.bulk_update(invitations, ["created_at"], batch_size=BATCH)
    answered = [(item, item.response) for item in planned if item.response is not None]
    responses = [response for _item, response in answered]
    Response.objects.bulk_create(responses, batch_size=BATCH)
    for _item, response in answered:
        response.created_at = response.updated_at = response.invitation.answered_at  # type: ignore[assignment]
    Response.objects.bulk_update(responses, ["created_at", "updated_at"], batch_size=BATCH)
    answers = [answer for item, _response in answered for answer in item.answers]
    Answer.objects.bulk_create(answers, batch_size=BATCH)
    _contacts_stamp(season)
    counts.update(events=len(events), invitations=len(invitations), responses=len(responses), answers=len(answers))


def _contacts_stamp(season: _Season) -> None:
    """Opt-outs and bounces happened during the season: date them so the suppressions before them make sense."""
    changed = []
    for contact in season.contacts:
        if contact.pk in season.opted_out_at or contact.pk in season.undeliverable_at:
            contact.opted_out_at = season.opted_out_at.get(contact.pk, contact.opted_out_at)
            contact.undeliverable_at = season.undeliverable_at.get(contact.pk, contact.undeliverable_at)
            changed.append(contact)
    Contact.objects.bulk_update(changed, ["opted_out_at", "undeliverable_at"], batch_size=BATCH)


@transaction.atomic
def demo_season_load(
    *, rng: random.Random, now: dt.datetime, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Create the demo surveys, their trigger rules and a season of feedback; return how many rows were added.

    Runs once: surveys and rules are looked up by name, and when any demo event exists the
    season is not generated again, so a second call adds nothing and returns zeros.
    """
    counts = dict.fromkeys(
        ("surveys", "questions", "trigger_rules", "events", "invitations", "responses", "answers"), 0
    )
    surveys = _surveys_ensure(created_at=now - dt.timedelta(days=SEASON_DAYS + 30), counts=counts)
    _rules_ensure(surveys, counts=counts)
    if Event.objects.filter(external_id__startswith=EVENT_PREFIX).exists():
        return counts
    contacts = list(
        Contact.objects.filter(external_id__startswith=CONTACT_PREFIX).select_related("account").order_by("external_id")
    )
    if not contacts:
        return counts
    season = _Season(rng=rng, now=now, contacts=contacts)
    planned = season.plan(progress)
    season.dispatch(planned)
    _save(planned, season, counts)
    if progress:
        progress(len(contacts) + 1, len(contacts) + 1)
    return counts
