"""A database that does not answer is a 503 page within DATABASE_CONNECT_TIMEOUT, not a hang.

The web server's DATABASE_URL points at a port that accepts connections and never answers, as a
PostgreSQL behind a failover or a dropped network path does. Without a connect timeout psycopg
waited for ever (measured: still connecting after 15 s; with a 2 s timeout the page came back in 2.0 s once the
worker had loaded Django, 2.9 s for its first request),
and so did the customer, until gunicorn killed the worker. With it the request fails over to the
503 page of vocplatform.middleware.DatabaseUnavailableMiddleware, which asks the browser to retry.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.integration.helpers import free_port, silent_server, start_web, worker_env

pytestmark = [pytest.mark.stack]

CONNECT_TIMEOUT = 2  # libpq reads anything under 2 s as 2 s
MARGIN_SECONDS = 3  # the request's own work and gunicorn's, on a loaded CI machine


def test_a_database_that_does_not_answer_is_a_503_within_the_connect_timeout(tmp_path: Path) -> None:
    with silent_server() as port:
        env = worker_env(
            "redis://127.0.0.1:1/0", free_port(), str(tmp_path / "var"), DATABASE_CONNECT_TIMEOUT=CONNECT_TIMEOUT
        )
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/vocplatform"
        web, web_port = start_web(env, tmp_path, workers=1)
        page = f"http://127.0.0.1:{web_port}/s/some-token/"
        try:
            with pytest.raises(urllib.error.HTTPError):  # the first request also pays for loading Django
                urllib.request.urlopen(page, timeout=60)
            started = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(page, timeout=60)
            waited = time.monotonic() - started
        finally:
            web.stop()
    assert refused.value.code == 503
    assert refused.value.headers["Retry-After"]
    assert waited < CONNECT_TIMEOUT + MARGIN_SECONDS, f"the page took {waited:.1f} s"
