"""Hostile input through the API: the corpus, NUL bytes, huge and malformed bodies, odd numbers.
Stored as sent where it can be, refused with a 400 and a field message where it cannot: never a 500."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.security.hostile import CORPUS, NUL

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin_user):  # type: ignore[no-untyped-def]
    api = APIClient()
    api.force_authenticate(admin_user)
    return api


def error_fields(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]["fields"]


@pytest.mark.parametrize("payload", CORPUS)
def test_hostile_text_in_an_account_upsert_is_stored_as_sent(client, payload):
    created = client.post("/api/v1/accounts/upsert", {"external_id": "H-1", "name": payload}, format="json")
    assert created.status_code in (200, 201), created.content[:300]
    # As sent, except surrounding white space, which the API trims from every text field.
    assert client.get(f"/api/v1/accounts/{created.json()['id']}").json()["name"] == payload.strip()


@pytest.mark.parametrize("field", ["external_id", "name", "segment"])
def test_a_nul_byte_in_any_field_is_a_400_naming_the_field(client, field):
    body = {"external_id": "H-2", "name": "Globex", field: f"bad{NUL}value"}
    refused = client.post("/api/v1/accounts/upsert", body, format="json")
    assert refused.status_code == 400
    assert field in error_fields(refused)


def test_a_nul_byte_in_an_event_is_a_400_not_a_500(client, contact):
    event = {"external_id": f"E{NUL}1", "type": "ticket.closed", "contact_external_id": contact.external_id}
    refused = client.post("/api/v1/events", event, format="json")
    assert refused.status_code == 400, refused.content[:300]
    error_fields(refused)


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"external_id": ', b"[1, 2", b"\xff\xfe\x00", b'{"external_id": "x"}' * 3, b"null", b"42"],
)
def test_malformed_json_is_a_400_in_the_error_format(client, body):
    refused = client.generic("POST", "/api/v1/accounts/upsert", body, content_type="application/json")
    assert refused.status_code == 400, refused.content[:300]
    error_fields(refused)


def test_a_body_over_the_size_limit_is_refused_before_parsing(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_048_576
    huge = json.dumps({"external_id": "H-3", "name": "x" * 2_000_000})
    refused = client.generic("POST", "/api/v1/accounts/upsert", huge, content_type="application/json")
    assert refused.status_code in (400, 413), refused.status_code
    assert refused.status_code != 500


@pytest.mark.parametrize("score", ["-1", "11", "9.5", "٩", "1e1", "NaN", "", None, [], {"a": 1}])
def test_odd_values_in_a_filter_or_number_field_are_a_400_with_a_field_message(client, score):
    listed = client.get("/api/v1/responses", {"score": score} if isinstance(score, str) else {})
    assert listed.status_code in (200, 400), listed.content[:300]
    if listed.status_code == 400:
        error_fields(listed)


def test_a_formula_in_a_comment_is_neutralised_in_the_csv_export(client, answer, contact):
    answer(contact, 2, '=HYPERLINK("http://evil.example","click")')
    exported = client.get("/api/v1/responses/export")
    assert exported.status_code == 200
    body = b"".join(exported.streaming_content).decode() if exported.streaming else exported.content.decode()
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
