"""Headers on every response, and a lost database connection answered as a 503 to retry."""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from vocplatform.middleware import DatabaseUnavailableMiddleware


def test_every_page_carries_a_content_security_policy_without_inline_script(client, db):
    page = client.get("/auth/login/")
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert page["X-Frame-Options"] == "DENY"
    assert b"<script>" not in page.content


@pytest.mark.parametrize("error", [OperationalError("terminating connection"), InterfaceError("connection closed")])
def test_a_lost_database_connection_is_a_503_with_retry_after(error):
    middleware = DatabaseUnavailableMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(RequestFactory().get("/s/some-token/"), error)
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"try again" in response.content


def test_the_api_gets_the_503_in_its_own_error_format():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(RequestFactory().get("/api/v1/loops/"), OperationalError("gone"))
    assert response is not None and response.status_code == 503
    assert json.loads(response.content)["error"]["code"] == "unavailable"


def test_other_errors_are_left_to_django():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("a bug")) is None


@pytest.mark.parametrize("query", [{"q": "a\x00b"}, {"x\x00": "1"}])
def test_a_nul_in_the_query_string_is_a_400_before_any_view(client, db, query):
    page = client.get("/crm/responses/", query)
    assert page.status_code == 400 and b"Null characters" in page.content
    api = client.get("/api/v1/loops", query)
    assert api.status_code == 400 and json.loads(api.content)["error"]["code"] == "invalid"
