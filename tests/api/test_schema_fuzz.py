"""schemathesis against the served schema: every operation, positive and negative examples, sent with
an admin's API key through the WSGI app. No server error, and every response matches the schema
(status code, content type, headers, body)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from vocplatform.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# A bounded run by default (about a minute); API_FUZZ_EXAMPLES=200 API_FUZZ_RANDOM=1 for a deeper, varied one.
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
RANDOM = os.environ.get("API_FUZZ_RANDOM") == "1"


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The project's WSGI application, called in-process. Like Django's test client, keep the test's
    database connection open across requests (its transaction holds the test's data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(loop, contact, nps_survey, settings):  # type: ignore[no-untyped-def]
    """Something to find: an account with a contact, a response and its open loop, a survey, root causes."""
    settings.API_RATE_PER_KEY = "1000000/min"  # the fuzzer is not what throttling is tested with
    return loop


def _run(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> str | None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=not RANDOM,
        print_blob=False,
    )
    def fuzz(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        fuzz()
    except Exception as failure:  # report every operation's failure, not only the first
        return f"{operation.label} [{mode}]: {failure}"
    return None


def test_the_served_schema_holds_for_every_operation(world, wsgi_app, make_key, admin_user) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    headers = {"Authorization": f"Bearer {make_key(admin_user, 'read', 'write', 'events')}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := _run(operation, mode, headers))
    ]
    assert not failures, "\n\n".join(failures)
