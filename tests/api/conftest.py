"""API fixtures: keys made the way the staff page makes them, an API client per key, the loop of the
loops tests, and a real HTTP receiver on loopback for webhooks (with loopback on the allow-list)."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from vocplatform.apikeys import apikey_create
from vocplatform.models import User
from vocplatform.webhooks.models import WebhookAllowedNetwork


@pytest.fixture
def make_key(admin_user: User) -> Callable[..., str]:
    def make(user: User, *scopes: str, days: int = 30) -> str:
        return apikey_create(
            name=f"{user.username} key",
            user=user,
            scopes=scopes or ("read",),
            expires_at=timezone.now() + dt.timedelta(days=days),
            created_by=admin_user,
        ).key

    return make


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(make_key: Callable[..., str]) -> Callable[..., APIClient]:
    """api(user, *scopes): a client holding a fresh key of that person (read and write by default)."""

    def build(user: User, *scopes: str) -> APIClient:
        return client_for(make_key(user, *(scopes or ("read", "write"))))

    return build


@pytest.fixture
def loop(answer, contact):  # type: ignore[no-untyped-def]
    """An open loop on max's account Acme Corp, opened by a detractor's answer (as in tests/loops)."""
    from loops.models import Loop

    return Loop.objects.get(response=answer(contact, 2, "Support never called back"))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records each request and answers with the next status."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the http.server API names it
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.answer())
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/voc"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def loopback_allowed(db) -> None:  # type: ignore[no-untyped-def]
    WebhookAllowedNetwork.objects.create(network="127.0.0.0/8", note="the tests' own receiver")
