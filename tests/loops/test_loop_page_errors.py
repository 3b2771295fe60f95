"""A refused action on the loop page shows its reason, also when the form it came from is not on the
page any more (the loop changed under the user: a second tab, a double click, a colleague)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import login
from loops.services import cases

pytestmark = pytest.mark.django_db


def test_resuming_a_loop_that_was_already_resumed_says_why_it_was_refused(loop, manager):
    cases.loop_pause(loop_id=loop.pk, actor=manager, reason="Waiting for the customer's invoice number")
    browser = login(manager)
    first = browser.post(reverse("loops:loop_action", args=[loop.pk, "resume"]))
    assert first.status_code == 302
    # The same button pressed again (a double click, or the page still open in another tab): the
    # loop now running, the pause form is shown in the resume button's place; the refusal is said.
    again = browser.post(reverse("loops:loop_action", args=[loop.pk, "resume"]))
    assert again.status_code == 400
    html = again.content.decode()
    assert "This loop is not waiting on the customer." in html


def test_pausing_a_loop_that_is_already_paused_says_why_it_was_refused(loop, manager):
    browser = login(manager)
    data = {"reason": "Waiting for the customer's invoice number"}
    assert browser.post(reverse("loops:loop_action", args=[loop.pk, "pause"]), data).status_code == 302
    again = browser.post(reverse("loops:loop_action", args=[loop.pk, "pause"]), data)
    assert again.status_code == 400
    assert "Only an open, running loop can wait on the customer." in again.content.decode()
