"""Escalation notifications reach only people who may open the loop, as every other notification does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from conftest import login
from loops.models import EscalationLevel, Notification
from loops.services.escalation import escalations_run

pytestmark = pytest.mark.django_db


def test_a_named_escalation_recipient_is_told_only_of_loops_they_may_open(loop, outsider):
    # Level 2 goes to a named person (*Escalation levels*). Named here: the supervisor of another
    # team, who may not see max's account Acme Corp. `notify()` checks that a recipient may open the
    # loop; the escalation pass writes its notifications with one INSERT … SELECT and checks only
    # that the recipient is active, so the account's name lands in a foreign inbox, linking to a 404.
    other_supervisor = outsider.team.supervisor
    EscalationLevel.objects.create(level=2, delay_hours=48, recipient="user", user=other_supervisor)
    escalations_run(now=loop.first_contact_due_at + dt.timedelta(hours=49))

    told = list(Notification.objects.filter(recipient=other_supervisor))
    browser = login(other_supervisor)
    unreadable = [
        (n.text, browser.get(reverse("loops:loop_detail", args=[n.loop_id])).status_code)
        for n in told
        if browser.get(reverse("loops:loop_detail", args=[n.loop_id])).status_code != 200
    ]
    assert unreadable == []
