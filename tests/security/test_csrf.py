"""Every POST a signed-in staff member can make needs the CSRF token: a route walk of the URLconf
(pages and the session-authenticated API alike) posts without one and must be refused."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

# Deliberately exempt, each for a reason stated where it is declared.
EXEMPT = {
    "public:unsubscribe",  # RFC 8058 one-click unsubscribe from mail clients: no cookie, no form
    "public:survey",  # checked by its own CSRF check that accepts Origin: null (surveys/views/public.py)
    "public:thanks",  # GET only
    "api:not-found",  # the API's catch-all: a JSON 404 for any method on an unknown path
}
SAMPLE = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def _paths(patterns, prefix="", namespace=None):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
            yield from _paths(pattern.url_patterns, route, inner or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, route


def _concrete(route: str) -> str | None:
    if route.startswith("^") or "(?P" in route:
        return None  # regex routes (the admin's): covered by Django's own CSRF protection
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)


def test_every_staff_post_without_a_csrf_token_is_refused(admin_user):
    client = Client(enforce_csrf_checks=True)
    signed_in = client.post("/auth/login/", {"username": admin_user.username, "password": PASSWORD})
    assert signed_in.status_code == 403, "even the login form needs the token"
    client.force_login(admin_user)
    allowed = []
    checked = 0
    for name, route in _paths(get_resolver().url_patterns):
        path = _concrete(route)
        if path is None or name in EXEMPT or name.startswith("admin:"):
            continue
        checked += 1
        status = client.post(path, {"anything": "1"}).status_code
        # 403: refused for the missing token. 405: a read-only API view (schema, docs) takes no POST.
        if status not in (403, 405):
            allowed.append((name, path, status))
    assert checked > 50, checked
    assert allowed == [], "\n".join(map(str, allowed))
