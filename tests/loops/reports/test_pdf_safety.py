"""Customer text is text in a PDF, and rendering fetches nothing but the project's static files:
a comment with HTML, a script, a remote image and a local file link appears as typed, and a real
HTTP server on loopback sees no request, even when such tags reach WeasyPrint unescaped."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator

import pytest

from loops.reports.packs import render_pack
from loops.reports.pdf import RefusedURL, StaticOnlyFetcher, html_to_pdf
from tests.loops.reports.conftest import NOW, _loop, at, make_response
from tests.loops.reports.test_packs import flat_text

pytestmark = pytest.mark.django_db


def squashed(text: str) -> str:
    return "".join(text.split())


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Recorder.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_the_loopback_server_does_record_a_fetch(server):
    """The control: the recorder is reachable, so its silence below means nothing was fetched."""
    import urllib.request

    urllib.request.urlopen(f"{server}/probe", timeout=5).close()
    assert Recorder.requests == ["/probe"]


def test_a_hostile_comment_is_printed_as_typed_and_fetches_nothing(
    crafted, supervisor, manager, period, server, tmp_path
):
    comment = (
        f'<b>bold</b> <script>alert("x")</script> <img src="{server}/track.png"> '
        '<link rel="stylesheet" href="file:///etc/passwd"> & done'
    )
    acme = crafted.accounts["acme"]
    response = make_response(acme, crafted.surveys["nps"], 1, at(14), comment=comment)
    _loop(response, owner=manager, opened_at=at(14), fc_due=at(15), res_due=at(16), status="new")
    _title, weekly = render_pack(kind="weekly", viewer=supervisor, filters=period, now=NOW)
    _title, account = render_pack(kind="account", viewer=manager, filters=period, account_id=acme.pk, now=NOW)
    for pdf in (weekly.pdf, account.pdf):
        text = flat_text(pdf, tmp_path)
        # Every character in order (a long URL may wrap inside its table cell, hence no spaces compared).
        assert squashed(comment) in squashed(text)
        assert '<script>alert("x")</script>' in text and "& done" in text
        assert "root:x:0:0" not in text
    assert Recorder.requests == []


def test_the_fetcher_serves_static_files_and_data_and_refuses_everything_else(server, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    fetcher = StaticOnlyFetcher()
    html = (
        '<html><head><link rel="stylesheet" href="/static/css/reports-print.css">'
        f'<link rel="stylesheet" href="file://{secret}"><link rel="stylesheet" href="file:///etc/passwd">'
        f'<link rel="stylesheet" href="{server}/style.css"></head>'
        f'<body><p>Unescaped tags reach WeasyPrint here.</p><img src="{server}/pixel.png">'
        f'<img src="https://example.com/x.png"><img src="//127.0.0.1/relative-scheme.png">'
        '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E"></body></html>'
    )
    rendered = html_to_pdf(html, fetcher=fetcher)
    assert rendered.pages == 1
    assert Recorder.requests == []
    assert fetcher.served == ["https://vocplatform.invalid/static/css/reports-print.css"]
    assert {f"file://{secret}", "file:///etc/passwd", f"{server}/style.css", f"{server}/pixel.png"} <= set(
        fetcher.refused
    )
    assert "https://example.com/x.png" in fetcher.refused


@pytest.mark.parametrize(
    "url",
    [
        "https://vocplatform.invalid/static/../../../etc/passwd",
        "https://vocplatform.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://vocplatform.invalid/static/css/missing.css",
        "https://vocplatform.invalid/etc/passwd",
        "http://vocplatform.invalid/static/css/reports-print.css",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
    ],
)
def test_the_fetcher_refuses_paths_outside_the_static_files(url):
    with pytest.raises((RefusedURL, ValueError)):
        StaticOnlyFetcher().fetch(url)


def test_data_urls_are_served():
    response = StaticOnlyFetcher().fetch("data:text/plain,hello")
    assert response.read() == b"hello"


def test_dates_in_the_pack_are_the_viewers_zone(crafted, supervisor, period, tmp_path):
    supervisor.time_zone = "Asia/Tokyo"
    supervisor.save()
    from loops.reports.filters import default_filters

    filters = default_filters(viewer=supervisor, today=dt.date(2025, 3, 16), days=14)
    _title, weekly = render_pack(kind="weekly", viewer=supervisor, filters=filters, now=NOW)
    # The escalation on L2 at 10:00 UTC is 19:00 in Tokyo.
    assert "2025-03-15 19:00" in flat_text(weekly.pdf, tmp_path)
