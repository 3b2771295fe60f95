"""Contact-frequency rules: the first line of defence against survey fatigue.

`suppression_for` answers "may this invitation go out now?" with the rule that
forbids it, or None. It is asked at dispatch time, not when the event arrives,
because opt-outs, churn and other invitations change in between.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q

from surveys.models import FrequencyRule, Invitation, Survey

# Invitations that count as "the contact was asked": handed to the outbox or beyond.
ASKED = [
    Invitation.Status.SENT,
    Invitation.Status.OPENED,
    Invitation.Status.ANSWERED,
    Invitation.Status.EXPIRED,
    Invitation.Status.BOUNCED,
]


@dataclass(frozen=True)
class Suppressed:
    rule: str
    detail: str


def active_rules() -> dict[str, FrequencyRule]:
    return {rule.kind: rule for rule in FrequencyRule.objects.filter(active=True)}


def _recent(invitation: Invitation, days: int, now: dt.datetime) -> Q:
    return Q(status__in=ASKED, sent_at__gte=now - dt.timedelta(days=days)) & ~Q(pk=invitation.pk)


def suppression_for(
    invitation: Invitation, *, now: dt.datetime, rules: dict[str, FrequencyRule] | None = None
) -> Suppressed | None:
    rules = active_rules() if rules is None else rules
    contact, account, survey = invitation.contact, invitation.account, invitation.survey
    if survey.status != Survey.Status.ACTIVE:
        return Suppressed(Invitation.Suppression.SURVEY_NOT_ACTIVE, f"survey is {survey.status}")
    if contact.opted_out:
        return Suppressed(Invitation.Suppression.OPTED_OUT, f"opted out on {contact.opted_out_at:%Y-%m-%d}")
    if account.is_churned:
        return Suppressed(Invitation.Suppression.CHURNED, "the account has churned")
    if contact.undeliverable_at:
        return Suppressed(Invitation.Suppression.UNDELIVERABLE, f"bounced on {contact.undeliverable_at:%Y-%m-%d}")
    gap = rules.get(FrequencyRule.Kind.CONTACT_GAP)
    if (
        gap
        and survey.respects_contact_gap
        and Invitation.objects.filter(_recent(invitation, gap.days, now), contact=contact).exists()
    ):
        return Suppressed(Invitation.Suppression.CONTACT_GAP, f"asked within the last {gap.days} days")
    if Invitation.objects.filter(
        _recent(invitation, survey.min_gap_days, now), contact=contact, survey=survey
    ).exists():
        return Suppressed(Invitation.Suppression.SURVEY_GAP, f"asked this survey within {survey.min_gap_days} days")
    cap = rules.get(FrequencyRule.Kind.ACCOUNT_CAP)
    if cap and Invitation.objects.filter(_recent(invitation, cap.days, now), account=account).count() >= cap.limit:
        return Suppressed(Invitation.Suppression.ACCOUNT_CAP, f"{cap.limit} invitations in {cap.days} days")
    return None


def next_send_time(time_zone: str, *, now: dt.datetime, rules: dict[str, FrequencyRule] | None = None) -> dt.datetime:
    """`now` if it falls in the contact's send window, else when the window next opens (in UTC)."""
    rules = active_rules() if rules is None else rules
    window = rules.get(FrequencyRule.Kind.SEND_WINDOW)
    if window is None:
        return now
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    if window.start_hour <= local.hour < window.end_hour:
        return now
    opening = local.replace(hour=window.start_hour, minute=0, second=0, microsecond=0)
    if local.hour >= window.end_hour:
        opening += dt.timedelta(days=1)
    # Re-resolve the wall-clock time in the zone so a DST change overnight gives the right instant.
    opening = dt.datetime.combine(opening.date(), dt.time(window.start_hour), tzinfo=zone)
    return opening.astimezone(dt.UTC)
