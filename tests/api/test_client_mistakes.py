"""Requests a client can write that the API must answer with a clear 4xx, and the rules the staff
app applies that the API must apply too (the same data, whichever way it comes in)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.utils import timezone

from surveys.models import Account, Contact, Event
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/accounts",
    "/api/v1/contacts",
    "/api/v1/events",
    "/api/v1/surveys",
    "/api/v1/invitations",
    "/api/v1/responses",
    "/api/v1/loops",
    "/api/v1/root-causes",
    "/api/v1/health",
]


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize("url", LISTS)
def test_a_forged_cursor_position_is_a_client_error_not_a_500(api, admin_user, url):
    """A cursor is opaque but base64 anyone can write; a position that is not an id is refused like a
    garbled cursor (404 "Invalid cursor"), never a crash of the list."""
    client = api(admin_user)
    client.raise_request_exception = False
    for position in ("abc", "٣", "9" * 30):
        response = client.get(url, {"cursor": _cursor(f"p={position}")})
        assert response.status_code == 404, (position, response.status_code)
        assert "error" in response.json()


@pytest.mark.parametrize("url", ["/api/v1/events", "/api/v1/accounts/upsert", "/api/v1/contacts/bulk"])
def test_deeply_nested_json_is_a_400_not_a_500(api, admin_user, url):
    """A few kilobytes of brackets overflow Python's JSON decoder (RecursionError, not ValueError)."""
    client = api(admin_user)
    client.raise_request_exception = False
    depth = 100_000
    response = client.post(url, data="[" * depth + "]" * depth, content_type="application/json")
    assert response.status_code == 400, response.status_code
    assert response.json()["error"]["code"] in ("parse_error", "invalid")


def test_an_event_with_an_infinite_number_in_its_properties_is_refused_not_dropped_as_a_duplicate(
    api, admin_user, contact
):
    """JSON's 1e999 parses as float('inf'), which no JSON column can hold. On SQLite the INSERT OR
    IGNORE swallows the JSON check and the new event is reported as a "duplicate" (200) and lost; on
    PostgreSQL it is a 500. Either way the caller should hear a 400 naming the field."""
    contact.external_id = "P-7"
    contact.save()
    client = api(admin_user)
    client.raise_request_exception = False
    body = '{"external_id": "T-1", "type": "ticket.closed", "contact_external_id": "P-7", "properties": {"n": 1e999}}'
    response = client.post("/api/v1/events", data=body, content_type="application/json")
    assert response.status_code == 400, (response.status_code, response.content[:200])
    assert "properties" in response.json()["error"]["fields"]
    assert not Event.objects.exists()


def test_an_infinite_custom_attribute_gets_a_field_message_not_a_conflict_or_500(api, admin_user):
    client = api(admin_user)
    client.raise_request_exception = False
    body = '{"external_id": "CRM-9", "custom_attributes": {"logins": 1e999}}'
    response = client.post("/api/v1/accounts/upsert", data=body, content_type="application/json")
    assert response.status_code == 400, response.status_code
    assert "custom_attributes" in response.json()["error"]["fields"], response.json()


def test_account_upsert_checks_and_normalises_the_domain_as_the_import_does(api, admin_user):
    """The CSV import (surveys/services/import_fields.domain) stores "https://www.acme.com/" as
    acme.com and refuses "not a domain"; the API stores both as typed, so the hygiene report flags
    every contact of the account as being outside its domain."""
    client = api(admin_user)
    garbage = client.post("/api/v1/accounts/upsert", {"external_id": "CRM-1", "domain": "not a domain"}, format="json")
    assert garbage.status_code == 400, garbage.json()
    assert "domain" in garbage.json()["error"]["fields"]
    url = client.post(
        "/api/v1/accounts/upsert", {"external_id": "CRM-2", "domain": "https://www.Acme.com/"}, format="json"
    )
    stored = Account.objects.filter(external_id="CRM-2").values_list("domain", flat=True).first()
    assert url.status_code == 400 or stored == "acme.com", (url.status_code, stored)


def test_a_plan_step_due_more_than_a_year_ago_is_refused_as_in_the_staff_app(api, manager, loop):
    long_ago = timezone.localdate() - dt.timedelta(days=800)
    response = api(manager).post(
        f"/api/v1/loops/{loop.pk}/steps",
        {"description": "Send the credit note", "owner": "max", "due_on": long_ago.isoformat()},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "due_on" in response.json()["error"]["fields"]
    assert not loop.steps.exists()


def test_a_contact_is_logged_only_through_a_channel_the_staff_app_offers(api, manager, loop):
    """The staff app's contact form offers phone, email, meeting and video."""
    response = api(manager).post(
        f"/api/v1/loops/{loop.pk}/notes", {"kind": "contact", "channel": "carrier pigeon", "text": "Hi"}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert "channel" in response.json()["error"]["fields"]


def test_contact_upsert_with_a_non_ascii_upper_case_email_does_not_500_on_sqlite(api, admin_user, account):
    """SQLite's LOWER() folds ASCII letters only: the stored contact is found again as the import
    matched it, not by LOWER(email)."""
    client = api(admin_user)
    client.raise_request_exception = False
    body = {"account_external_id": account.external_id, "email": "jane@BÜCHER.de", "name": "Jane"}
    response = client.post("/api/v1/contacts/upsert", body, format="json")
    assert response.status_code == 201, response.status_code
    assert Contact.objects.filter(account=account).count() == 1


def test_the_last_use_of_a_key_records_the_client_address_behind_a_trusted_proxy(make_key, manager, settings):
    """As throttling reads it, through DJANGO_TRUSTED_PROXIES, not the proxy's own address."""
    from vocplatform.models import ApiKey

    settings.TRUSTED_PROXIES = 1
    key = make_key(manager, "read")
    client_for(key).get("/api/v1/loops", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert ApiKey.objects.get().last_used_ip == "203.0.113.9"


def test_a_contact_logged_late_and_dated_before_its_deadline_is_shown_to_supervisors(api, manager, loop):
    """`at` is for a conversation that happened before it was logged: it may meet the first-contact
    SLA, but a contact logged after the deadline and dated before it is a policy override to review."""
    from loops.models import Loop, PolicyOverride

    now = timezone.now()
    opened = now - dt.timedelta(days=5)
    Loop.objects.filter(pk=loop.pk).update(opened_at=opened, first_contact_due_at=now - dt.timedelta(days=2))
    said_at = opened + dt.timedelta(hours=1)
    response = api(manager).post(
        f"/api/v1/loops/{loop.pk}/notes",
        {"kind": "contact", "channel": "phone", "text": "Called Jane", "at": said_at.isoformat()},
        format="json",
    )
    assert response.status_code == 201
    loop.refresh_from_db()
    assert loop.first_contact_at == said_at
    override = PolicyOverride.objects.get(loop=loop)
    assert (override.kind, override.actor) == (PolicyOverride.Kind.BACKDATED_CONTACT, manager)


def test_a_contact_dated_earlier_but_logged_in_time_is_no_override(api, manager, loop):
    from loops.models import Loop, PolicyOverride

    now = timezone.now()
    Loop.objects.filter(pk=loop.pk).update(
        opened_at=now - dt.timedelta(hours=5), first_contact_due_at=now + dt.timedelta(hours=2)
    )
    said_at = now - dt.timedelta(hours=3)
    api(manager).post(
        f"/api/v1/loops/{loop.pk}/notes",
        {"kind": "contact", "channel": "email", "text": "Wrote to Jane", "at": said_at.isoformat()},
        format="json",
    )
    loop.refresh_from_db()
    assert loop.first_contact_at == said_at
    assert not PolicyOverride.objects.filter(loop=loop).exists()


def test_the_theme_filter_matches_the_same_responses_on_sqlite_and_postgresql(api, manager, answer, contact):
    """Theme names are matched case and all, on both databases (LIKE on SQLite would ignore case)."""
    from surveys.models import Response

    billed = answer(contact, 2, "Charged twice on one invoice, and the refund never came.")
    name = Response.objects.get(pk=billed.pk).analysis.themes[0]["name"]
    assert name != name.swapcase()
    listed = api(manager).get("/api/v1/responses", {"theme": name.swapcase()}).json()["results"]
    assert listed == []
    exact = api(manager).get("/api/v1/responses", {"theme": name}).json()["results"]
    assert [r["id"] for r in exact] == [billed.pk]
