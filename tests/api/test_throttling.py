"""Rate limits: per API key on the API, per IP on the public survey pages; over the limit, 429 with
Retry-After. (Windows of a day keep these tests clear of a window boundary.)"""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from surveys.services.tokens import token_for
from tests.api.conftest import client_for
from tests.factories import InvitationFactory
from vocplatform.models import ThrottleCount
from vocplatform.tasks import integrations_sweep_task

pytestmark = pytest.mark.django_db


def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_do_not(settings, make_key, manager):
    settings.API_RATE_PER_KEY = "3/day"
    busy, calm = client_for(make_key(manager)), client_for(make_key(manager))
    assert [busy.get("/api/v1/loops").status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get("/api/v1/loops")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 86400
    assert refused.json()["error"]["code"] == "throttled"
    assert calm.get("/api/v1/loops").status_code == 200, "the limit is per key"


def test_a_staff_session_has_its_own_rate(settings, manager):
    settings.API_RATE_PER_USER = "2/day"
    browser = Client()
    browser.force_login(manager)
    assert [browser.get("/api/v1/loops").status_code for _ in range(3)] == [200, 200, 429]


def test_the_public_survey_pages_are_limited_per_ip(settings, contact, nps_survey):
    settings.SURVEY_RATE_PER_IP = "3/day"
    token = token_for(InvitationFactory(survey=nps_survey, contact=contact).token_nonce)
    page = reverse("public:survey", args=[token])
    visitor = Client(REMOTE_ADDR="198.51.100.7")
    assert [visitor.get(page).status_code for _ in range(3)] == [200, 200, 200]
    refused = visitor.get(reverse("public:thanks", args=[token]))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 86400
    assert refused["Referrer-Policy"] == "no-referrer", "the page's URL holds the token"
    assert "Please wait a moment" in refused.content.decode()
    assert Client(REMOTE_ADDR="198.51.100.8").get(page).status_code == 200, "another address is not limited"


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings, contact, nps_survey):
    settings.SURVEY_RATE_PER_IP = "1/day"
    settings.TRUSTED_PROXIES = 1
    token = token_for(InvitationFactory(survey=nps_survey, contact=contact).token_nonce)
    page = reverse("public:survey", args=[token])
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    assert proxy.get(page, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200
    assert proxy.get(page, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 200
    assert proxy.get(page, HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.7").status_code == 429


def test_windows_that_are_over_are_swept_away(settings, make_key, manager):
    client_for(make_key(manager)).get("/api/v1/loops")
    assert ThrottleCount.objects.count() == 1
    integrations_sweep_task()
    assert ThrottleCount.objects.count() == 1, "the current window stays"
    from vocplatform.throttling import throttle_prune

    assert throttle_prune(now=time.time() + 2 * 86400) == 1
    assert not ThrottleCount.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="unlogged tables are PostgreSQL's")
def test_on_postgresql_the_counts_skip_the_write_ahead_log():
    # A count is worth nothing after a crash; each hit need not wait for the disk.
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [ThrottleCount._meta.db_table])
        assert cursor.fetchone() == ("u",)
