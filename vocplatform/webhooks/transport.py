"""One HTTP POST to a checked address: no redirects followed, a time limit, a bounded read.

The time limit bounds the whole send, not each socket operation: a receiver that trickles its
answer a byte at a time would otherwise hold the worker, and the delivery's claim, for as long as
it liked, until the lease ran out and another worker sent it again.

The connection goes to the IP address that `checked_addresses` approved, while the Host header
and TLS (SNI and certificate check) use the URL's host name: what was checked is what is reached.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from vocplatform.webhooks.addresses import IPAddress, checked_addresses, url_target

MAX_READ = 64 * 1024


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address
        self.raw_sock: socket.socket | None = None

    def connect(self) -> None:
        self.sock = self.raw_sock = socket.create_connection((str(self.address), self.port or 80), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address
        self.raw_sock: socket.socket | None = None

    def connect(self) -> None:
        self.raw_sock = socket.create_connection((str(self.address), self.port or 443), self.timeout)
        self.sock = self.tls.wrap_socket(self.raw_sock, server_hostname=self.host)


@dataclass(frozen=True)
class Sent:
    status_code: int


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Sent:
    """POST once. Raises AddressRefused before connecting anywhere not allowed; OSError or
    http.client.HTTPException when the receiver cannot be reached or answers garbage."""
    scheme, host, port = url_target(url)
    address = checked_addresses(url)[0]
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address, timeout)
    cut = threading.Event()
    deadline = threading.Timer(timeout, _cut, args=(connection, cut))
    deadline.daemon = True
    deadline.start()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_READ)
    finally:
        deadline.cancel()
        connection.close()
    if cut.is_set():
        # A cut answer can still parse (headers end at the end of the stream): it is not an answer.
        raise TimeoutError(f"the receiver took longer than {timeout:g} s")
    return Sent(status_code=response.status)


def _cut(connection: _PinnedHTTP | _PinnedHTTPS, cut: threading.Event) -> None:
    """The whole send's time is up: shut the socket, so the read or write in progress fails."""
    cut.set()
    if connection.raw_sock is not None:
        with contextlib.suppress(OSError):  # already closed
            connection.raw_sock.shutdown(socket.SHUT_RDWR)
