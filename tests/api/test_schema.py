"""The OpenAPI schema: generated without a warning, served at /api/schema/, complete (bodies, errors,
auth), with interactive docs that need no inline script (the site's policy is script-src 'self')."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def test_the_schema_validates_with_no_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "openapi: 3" in (tmp_path / "schema.yml").read_text()


@pytest.fixture
def schema() -> dict:  # type: ignore[type-arg]
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_the_served_schema_documents_every_endpoint_with_auth_and_errors(schema):
    paths = schema["paths"]
    for path in (
        "/api/v1/accounts/upsert",
        "/api/v1/contacts/bulk",
        "/api/v1/events",
        "/api/v1/invitations/{id}/cancel",
        "/api/v1/responses/export",
        "/api/v1/loops/{id}/close",
        "/api/v1/health",
        "/api/v1/surveys/{id}",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "voc_<prefix>_<secret>",
        "description": "An API key made by a CX admin under Integrations → API keys.",
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert {"apiKey": []} in operation["security"], (method, path)
            for code in ("400", "401", "403", "404", "429"):
                error = operation["responses"][code]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/Error"}, (method, path, code)
            assert "Retry-After" in operation["responses"]["429"]["headers"]
    close = paths["/api/v1/loops/{id}/close"]["post"]
    assert close["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CloseRequest"
    }
    assert "text/csv" in paths["/api/v1/responses/export"]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_run_no_inline_script(url):
    page = Client().get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert INLINE_SCRIPT.findall(html) == [], "the Content-Security-Policy would block it"
    assert "script-src 'self'" in page["Content-Security-Policy"]
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert sources
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/").split("?")[0]), source
        else:
            assert Client().get(source).status_code == 200, source
