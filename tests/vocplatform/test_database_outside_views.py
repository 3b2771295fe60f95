"""A database that fails before the view runs is the same 503 with Retry-After as inside a view.

A signed-in staff member's session and user are read by a middleware (the one that activates their
time zone), before any view: a database that cannot be reached there, during a failover or a
restart, must not be a 500 while the same failure a moment later, inside the view, is a 503.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from tests.integration.helpers import free_port
from vocplatform.views import server_error


@contextmanager
def unreachable_database() -> Iterator[None]:
    """Point the connection at a loopback port nobody listens on, then put it back."""
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


@pytest.fixture
def postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the database is made unreachable by pointing it at a closed port")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/crm/loops/", "/crm/responses/"])
def test_a_staff_page_is_a_503_when_the_database_cannot_be_reached(postgresql, manager, path):
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    assert client.get(path).status_code == 200

    with unreachable_database():
        page = client.get(path)

    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert b"try again" in page.content
    assert client.get(path).status_code == 200, "the next request, with the database back, is served"


@pytest.mark.parametrize(("error", "status"), [(OperationalError("connection lost"), 503), (ValueError(), 500)])
def test_the_error_page_tells_a_database_failure_from_a_bug(error, status):
    request = RequestFactory().get("/crm/loops/")
    try:
        raise error
    except Exception:  # Django calls the error handler inside the except block that caught the error
        page = server_error(request)
    assert page.status_code == status
