"""One HTTP POST to a checked address: no redirects followed, a time limit, a bounded read.

The connection goes to the IP address that `checked_addresses` approved, while the Host header
and TLS (SNI and certificate check) use the URL's host name: what was checked is what is reached.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from vocplatform.webhooks.addresses import IPAddress, checked_addresses, url_target

MAX_READ = 64 * 1024


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self.address), self.port or 80), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((str(self.address), self.port or 443), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


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
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_READ)
        return Sent(status_code=response.status)
    finally:
        connection.close()
