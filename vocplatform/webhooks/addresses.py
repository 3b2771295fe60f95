"""Where webhooks may go: public addresses, and private ones only on the admin's allow-list.

A subscription's host is resolved when it is saved and again at every send, and the connection
is made to the very address that was checked (see transport.py), so a DNS answer that changes
between the check and the connection cannot point a webhook at the internal network.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from vocplatform.webhooks.models import WebhookAllowedNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(Exception):
    """The URL cannot be used: bad scheme, unresolvable host, or a non-public address not allowed."""


def allowed_networks() -> list[Network]:
    networks = []
    for value in WebhookAllowedNetwork.objects.values_list("network", flat=True):
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            continue  # the admin form validates; a hand-edited bad row allows nothing
    return networks


def is_public(address: IPAddress) -> bool:
    return address.is_global and not address.is_multicast


def _normalised(raw: str) -> IPAddress:
    address = ipaddress.ip_address(raw.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [_normalised(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"{host} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(_normalised(str(info[4][0])) for info in infos))
    if not addresses:
        raise AddressRefused(f"{host} does not resolve.")
    return addresses


def url_target(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("Use an http:// or https:// URL with a host name.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("The URL's port is not valid.") from None
    return parts.scheme, parts.hostname, port


def checked_addresses(url: str, networks: list[Network] | None = None) -> list[IPAddress]:
    """Every address the URL's host resolves to, if all may be reached; else AddressRefused."""
    _scheme, host, port = url_target(url)
    networks = allowed_networks() if networks is None else networks
    addresses = resolve(host, port)
    for address in addresses:
        if not is_public(address) and not any(address in network for network in networks):
            raise AddressRefused(
                f"{host} resolves to {address}, a private, loopback or reserved address that is not on the allow-list."
            )
    return addresses
