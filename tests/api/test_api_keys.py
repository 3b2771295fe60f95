"""API keys: made by admins on a staff page and shown once, stored hashed, scoped, expiring,
revocable, with their last use recorded; a key sees what its person sees, and nothing else."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import login
from tests.api.conftest import client_for
from tests.factories import AccountFactory, ContactFactory
from vocplatform.models import ApiKey

pytestmark = pytest.mark.django_db

LOOPS = "/api/v1/loops"


def test_an_admin_creates_a_key_that_is_shown_once_and_stored_only_as_a_hash(admin_user, manager):
    browser = login(admin_user)
    form = {"name": "Helpdesk", "user": manager.pk, "scopes": ["read", "events"], "expires_on": "2999-01-01"}
    page = browser.post(reverse("integrations:apikey_new"), form)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    key = re.search(r'value="(voc_[0-9a-f]{8}_[A-Za-z0-9_-]+)"', page.content.decode()).group(1)  # type: ignore[union-attr]
    stored = ApiKey.objects.get()
    assert (stored.name, stored.user, stored.scopes, stored.created_by) == (
        "Helpdesk",
        manager,
        ["events", "read"],
        admin_user,
    )
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiKey.objects.values().get()), "the key itself is stored nowhere"
    listing = browser.get(reverse("integrations:apikey_list")).content.decode()
    assert f"voc_{stored.prefix}_" in listing and key not in listing, "the list shows the prefix, never the key"
    assert client_for(key).get(LOOPS).status_code == 200


def test_only_admins_reach_the_key_pages(manager, supervisor):
    for person in (manager, supervisor):
        assert login(person).get(reverse("integrations:apikey_list")).status_code == 404
        assert login(person).post(reverse("integrations:apikey_new"), {"name": "x"}).status_code == 404


def test_the_form_refuses_a_key_without_scopes_or_with_a_past_expiry(admin_user, manager):
    form = {"name": "CRM", "user": manager.pk, "expires_on": "2000-01-01"}
    page = login(admin_user).post(reverse("integrations:apikey_new"), form)
    assert page.status_code == 400
    assert "Choose a day after today." in page.content.decode()
    assert not ApiKey.objects.exists()


def test_a_read_key_reads_but_cannot_write(make_key, loop, manager):
    client = client_for(make_key(manager, "read"))
    assert client.get(f"{LOOPS}/{loop.pk}").status_code == 200
    refused = client.post(f"{LOOPS}/{loop.pk}/notes", {"text": "Called"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "This API key does not have the scope this request needs."
    assert not loop.notes.exists()


def test_a_write_key_without_read_cannot_read(make_key, loop, manager):
    client = client_for(make_key(manager, "write"))
    assert client.post(f"{LOOPS}/{loop.pk}/notes", {"text": "Called"}, format="json").status_code == 201
    assert client.get(LOOPS).status_code == 403


def test_an_events_only_key_sends_events_and_nothing_else(make_key, admin_user, contact, loop):
    client = client_for(make_key(admin_user, "events"))
    event = {"external_id": "T-1", "type": "ticket.closed", "contact_external_id": contact.external_id}
    assert client.post("/api/v1/events", event, format="json").status_code == 201
    assert client.post("/api/v1/bounces", {"email": "x@y.example"}, format="json").status_code == 200
    assert client.get("/api/v1/events").status_code == 403
    assert client.get(LOOPS).status_code == 403
    assert client.post(f"{LOOPS}/{loop.pk}/notes", {"text": "x"}, format="json").status_code == 403


def test_an_expired_key_is_refused_with_401(make_key, manager):
    key = make_key(manager, "read")
    ApiKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client_for(key).get(LOOPS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": "This API key has expired.",
        "fields": {},
    }


def test_a_revoked_key_stops_working_at_once(make_key, admin_user, manager):
    key = make_key(manager, "read")
    client = client_for(key)
    assert client.get(LOOPS).status_code == 200
    stored = ApiKey.objects.get()
    login(admin_user).post(reverse("integrations:apikey_revoke", args=[stored.pk]))
    stored.refresh_from_db()
    assert (stored.revoked_by, stored.revoked_at is not None) == (admin_user, True)
    response = client.get(LOOPS)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key has been revoked."


def test_a_key_of_someone_who_left_stops_working(make_key, manager):
    key = make_key(manager, "read")
    manager.is_active = False
    manager.save()
    assert client_for(key).get(LOOPS).status_code == 401


def test_an_unknown_key_is_refused_and_no_credentials_is_not_authenticated(manager):
    assert client_for("voc_00000000_not-a-key").get(LOOPS).status_code == 401
    anonymous = APIClient().get(LOOPS)
    assert anonymous.status_code == 403
    assert anonymous.json()["error"]["code"] == "not_authenticated"


def test_the_last_use_is_recorded_with_the_address(make_key, manager):
    key = make_key(manager, "read")
    assert ApiKey.objects.get().last_used_at is None
    client_for(key).get(LOOPS, REMOTE_ADDR="203.0.113.9")
    stored = ApiKey.objects.get()
    assert stored.last_used_at is not None and stored.last_used_at <= timezone.now()
    assert stored.last_used_ip == "203.0.113.9"
    page = login(stored.created_by).get(reverse("integrations:apikey_list")).content.decode()  # type: ignore[arg-type]
    assert "203.0.113.9" in page


def test_an_outsiders_key_gets_404_on_another_teams_objects(make_key, outsider, loop, contact, admin_user):
    client = client_for(make_key(outsider, "read", "write"))
    response = loop.response
    invitation = response.invitation
    for url in (
        f"/api/v1/accounts/{contact.account_id}",
        f"/api/v1/accounts/{contact.account_id}/health",
        f"/api/v1/contacts/{contact.pk}",
        f"/api/v1/responses/{response.pk}",
        f"/api/v1/invitations/{invitation.pk}",
        f"{LOOPS}/{loop.pk}",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert answer.json()["error"]["code"] == "not_found"
    for url, body in (
        (f"{LOOPS}/{loop.pk}/notes", {"text": "Mine now"}),
        (f"{LOOPS}/{loop.pk}/status", {"status": "in_progress"}),
        (f"{LOOPS}/{loop.pk}/close", {"resolution_summary": "x", "root_causes": ["Product defect"]}),
        (f"/api/v1/invitations/{invitation.pk}/cancel", {}),
    ):
        assert client.post(url, body, format="json").status_code == 404, url
    for url in (
        "/api/v1/accounts",
        "/api/v1/contacts",
        "/api/v1/responses",
        "/api/v1/invitations",
        LOOPS,
        "/api/v1/health",
    ):
        assert client.get(url).json()["results"] == [], url
    assert not loop.notes.exists()


def test_a_key_sees_exactly_what_its_person_sees(make_key, manager, teammate, supervisor, account):
    ContactFactory(account=AccountFactory(owner=teammate, external_id="TINA-1"))
    seen = {
        person.username: sorted(
            a["external_id"] for a in client_for(make_key(person)).get("/api/v1/accounts").json()["results"]
        )
        for person in (manager, teammate, supervisor)
    }
    assert seen == {"max": [account.external_id], "tina": ["TINA-1"], "sue": sorted([account.external_id, "TINA-1"])}


def test_a_staff_session_works_too_in_the_browsable_api(manager, loop, outsider):
    page = login(manager).get(LOOPS, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "Called" not in page.content.decode() and f"&quot;id&quot;: {loop.pk}" in page.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.content.decode())
    assert inline == ['<script type="application/json" id="drf_csrf">'], "data, not code: the CSP allows it"
    assert login(outsider).get(f"{LOOPS}/{loop.pk}").status_code == 404
