"""Two API keys made one after the other for one system, with different scopes, are not a double click:
both work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from vocplatform.models import ApiKey

pytestmark = pytest.mark.django_db


def test_a_second_key_with_other_scopes_made_within_a_minute_leaves_the_first_key_working(admin_user):
    """The admin makes a read-only key for the helpdesk, copies it from the page into the helpdesk's
    read job, then makes the helpdesk's events-only key: two forms, two different keys, both seen.
    The first one must keep working (it is in use), not be revoked as if it were a double click."""
    client = login(admin_user)
    url = reverse("integrations:apikey_new")
    expires_on = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    first = client.post(url, {"name": "Helpdesk", "user": admin_user.pk, "scopes": ["read"], "expires_on": expires_on})
    assert first.status_code == 200
    read_key = first.context["key"]
    assert read_key in first.content.decode()  # shown to the admin, who copies it
    second = client.post(
        url, {"name": "Helpdesk", "user": admin_user.pk, "scopes": ["events"], "expires_on": expires_on}
    )
    assert second.status_code == 200

    answer = Client().get("/api/v1/loops", HTTP_AUTHORIZATION=f"Bearer {read_key}")
    assert answer.status_code == 200, answer.content[:300]
    assert ApiKey.objects.filter(name="Helpdesk", revoked_at__isnull=True).count() == 2
