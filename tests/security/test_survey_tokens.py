"""Survey links under attack: guessing is throttled, and a forged, a foreign and an expired token
get the same answer, in the same time, from the same single lookup."""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation, Question
from surveys.services.events import invitation_build
from surveys.services.tokens import token_for
from tests.factories import ContactFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(contact):  # type: ignore[no-untyped-def]
    survey = SurveyFactory()
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?")

    def invite(**changes: object) -> str:
        invitation = invitation_build(survey=survey, contact=ContactFactory(), scheduled_for=timezone.now())
        invitation.status = Invitation.Status.SENT
        for name, value in changes.items():
            setattr(invitation, name, value)
        invitation.save()
        return token_for(invitation.token_nonce)

    valid = invite()
    expired = invite(expires_at=timezone.now() - dt.timedelta(days=1))
    # A token of the right shape made with another deployment's key: well-formed, unknown here.
    foreign = secrets.token_urlsafe(len(valid) * 3 // 4)[: len(valid)]
    forged = valid[:-1] + ("A" if valid[-1] != "A" else "B")
    return {"valid": valid, "expired": expired, "foreign": foreign, "forged": forged}


def url(token: str) -> str:
    return reverse("public:survey", args=[token])


def test_forged_foreign_and_expired_tokens_get_the_same_bytes_from_one_lookup(tokens, settings):
    settings.SURVEY_RATE_PER_IP = "100000/min"
    client = Client()
    answers = {}
    for kind in ("forged", "foreign", "expired"):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url(tokens[kind]))
        lookups = [q["sql"] for q in queries.captured_queries if "surveys_invitation" in q["sql"]]
        assert len(lookups) == 1, (kind, lookups)
        answers[kind] = (page.status_code, page.content, page["Referrer-Policy"])
    assert answers["forged"] == answers["foreign"] == answers["expired"]
    assert answers["forged"][0] == 404 and answers["forged"][2] == "no-referrer"
    assert client.get(url(tokens["valid"])).status_code == 200


def test_forged_and_expired_tokens_take_the_same_time(tokens, settings):
    """Medians of interleaved requests: an expired token (a row found, then refused) must not be
    measurably slower or faster than a forged one (no row): both are one indexed lookup."""
    settings.SURVEY_RATE_PER_IP = "100000/min"
    client = Client()
    timings: dict[str, list[float]] = {"forged": [], "expired": []}
    for _ in range(3):  # warm up
        for kind in timings:
            client.get(url(tokens[kind]))
    for _ in range(150):
        for kind in timings:
            start = time.perf_counter()
            client.get(url(tokens[kind]))
            timings[kind].append(time.perf_counter() - start)
    forged, expired = statistics.median(timings["forged"]), statistics.median(timings["expired"])
    assert abs(forged - expired) < max(0.002, 0.25 * min(forged, expired)), (forged, expired)


def test_guessing_links_from_one_address_hits_the_throttle(settings):
    settings.SURVEY_RATE_PER_IP = "20/min"
    client = Client()
    statuses = [client.get(url(secrets.token_urlsafe(32))).status_code for _ in range(25)]
    assert statuses[:20] == [404] * 20
    assert set(statuses[20:]) == {429}
    blocked = client.get(url(secrets.token_urlsafe(32)))
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    # Another address is not held back by the first one's guesses.
    assert client.get(url(secrets.token_urlsafe(32)), REMOTE_ADDR="203.0.113.9").status_code == 404
