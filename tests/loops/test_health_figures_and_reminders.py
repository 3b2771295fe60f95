"""A health figure shown beside a band falls inside that band; an owner is never told a deadline that
has passed is "due soon"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import login
from loops.health.scoring import band_for
from loops.models import HealthSnapshot, Loop, Notification
from loops.services.escalation import escalations_run

pytestmark = pytest.mark.django_db


def _shown(content: bytes, pattern: bytes) -> float:
    return float(re.search(pattern, content, re.S).group(1))


def test_the_health_figure_shown_beside_a_band_falls_inside_that_band(account, manager):
    # The demo lists "Acme Energy S.A. 50 red" next to "Helix Health GmbH 50 yellow": the score
    # 49.69 is rounded to 50 for display while the band (red < 50) is taken from 49.69.
    now = timezone.now()
    HealthSnapshot.objects.create(
        account=account, date=timezone.localdate(), score=49.69, band=band_for(49.69), based_on=5, computed_at=now
    )
    browser = login(manager)
    listed = browser.get(reverse("loops:health_list")).content
    figure = _shown(listed, rb'<td class="num">([\d.]+) <small>')
    assert band_for(figure) == "red", f"the list shows {figure:g} beside the band 'red'"
    page = browser.get(reverse("loops:account_health", args=[account.pk])).content
    figure = _shown(page, rb'id="health-score">([\d.]+) / 100')
    assert band_for(figure) == "red", f"the account page shows {figure:g} / 100 beside the band 'red'"


def test_an_owner_is_not_told_a_deadline_is_due_soon_once_it_has_passed(loop, manager):
    # The first pass after a deadline (the beat was down, or the loop was opened already late)
    # sends "Reminder: first-contact SLA due soon" together with the breach's escalation. The demo
    # shows tom "Reminder: resolution SLA due soon for Vertex Health Ltd", 3 months overdue.
    Loop.objects.filter(pk=loop.pk).update(
        first_contact_warn_at=timezone.now() - dt.timedelta(days=2, hours=4),
        first_contact_due_at=timezone.now() - dt.timedelta(days=2),
    )
    escalations_run(now=timezone.now())
    told = list(Notification.objects.filter(recipient=manager).values_list("text", flat=True))
    assert not [text for text in told if "due soon" in text], told
    assert [text for text in told if text.startswith("Reminder: first-contact SLA missed for ")], told
