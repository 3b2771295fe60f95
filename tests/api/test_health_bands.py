"""The API's health bands add up to all accounts, as the staff page's do: never scored is unknown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import login
from vocplatform.apikeys import apikey_create

pytestmark = pytest.mark.django_db


def test_the_api_lists_a_never_scored_account_under_the_unknown_band_as_the_staff_page_does(
    account, manager, admin_user
):
    staff = login(manager).get(reverse("loops:health_list"), {"band": "unknown"})
    assert [a.pk for a in staff.context["page"].object_list] == [account.pk]

    key = apikey_create(
        name="k",
        user=manager,
        scopes=("read",),
        expires_at=timezone.now() + dt.timedelta(days=1),
        created_by=admin_user,
    ).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    listed = client.get("/api/v1/health", {"band": "unknown"})
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["results"]] == [account.pk]
