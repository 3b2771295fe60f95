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
        self.deadline: _Deadline | None = None

    def connect(self) -> None:
        self.sock = self.raw_sock = socket.create_connection((str(self.address), self.port or 80), self.timeout)
        if self.deadline is not None:
            self.deadline.shut_if_passed()  # the time ran out while connecting


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address
        self.raw_sock: socket.socket | None = None
        self.deadline: _Deadline | None = None

    def connect(self) -> None:
        self.raw_sock = socket.create_connection((str(self.address), self.port or 443), self.timeout)
        if self.deadline is not None:
            self.deadline.shut_if_passed()  # the time ran out while connecting
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
    deadline = connection.deadline = _Deadline(connection, timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_READ)
    finally:
        ran_out = deadline.finish()
        connection.close()
    if ran_out:
        # A cut answer can still parse (headers end at the end of the stream): it is not an answer.
        raise TimeoutError(f"the receiver took longer than {timeout:g} s")
    return Sent(status_code=response.status)


class _Deadline:
    """The whole send's time limit. When it passes first, the socket is shut, so the read or write in
    progress fails; a send that finished first is never called cut."""

    def __init__(self, connection: _PinnedHTTP | _PinnedHTTPS, seconds: float) -> None:
        self.connection = connection
        self.passed = False
        self._finished = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._run_out)
        self._timer.daemon = True
        self._timer.start()

    def finish(self) -> bool:
        """Stop the clock; True when it had run out (the answer, if any, was cut)."""
        self._timer.cancel()
        with self._lock:
            self._finished = True
            return self.passed

    def shut_if_passed(self) -> None:
        """Shut the socket once the time is up (the connection calls it too, as its socket appears)."""
        raw = self.connection.raw_sock
        if self.passed and raw is not None:
            with contextlib.suppress(OSError):  # already closed
                raw.shutdown(socket.SHUT_RDWR)

    def _run_out(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.passed = True
        self.shut_if_passed()
