"""The same form posted twice (a double click, or a browser resending): one thing happens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import login
from loops.models import Loop, Notification, PlanStep
from vocplatform.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop(answer, contact):  # type: ignore[no-untyped-def]
    return Loop.objects.get(response=answer(contact, 2, "Support never called back"))


def test_a_double_clicked_add_step_adds_one_step_and_tells_its_owner_once(loop, manager, teammate):
    client = login(manager)
    url = reverse("loops:loop_action", args=[loop.pk, "step"])
    form = {
        "description": "Send the credit note",
        "owner": teammate.pk,
        "due_on": timezone.localdate() + dt.timedelta(days=3),
    }
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302
    assert PlanStep.objects.filter(loop=loop).count() == 1
    assert Notification.objects.filter(recipient=teammate, kind="step_assigned").count() == 1


def test_a_double_clicked_create_api_key_makes_one_key(admin_user):
    """The key is shown once, on the answer to the form: with a double click the browser shows the
    second answer, and the first key (live, with its scopes) is one nobody ever saw."""
    client = login(admin_user)
    form = {
        "name": "Helpdesk",
        "user": admin_user.pk,
        "scopes": ["read", "write"],
        "expires_on": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
    }
    url = reverse("integrations:apikey_new")
    assert client.post(url, form).status_code == 200
    assert client.post(url, form).status_code == 200
    assert ApiKey.objects.filter(name="Helpdesk", revoked_at__isnull=True).count() == 1
