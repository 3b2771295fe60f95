"""How a webhook body is signed, and how a receiver checks it.

Each POST carries:

- `X-Voc-Delivery`: the delivery id, the same on every try of one delivery (drop duplicates by it);
- `X-Voc-Event`: the event type, e.g. `loop.opened`;
- `X-Voc-Timestamp`: Unix seconds when this try was signed;
- `X-Voc-Signature`: `v1=` and the hex HMAC-SHA256, keyed with the subscription's secret, of
  `<timestamp>.<body>` (the timestamp, a full stop, and the raw body bytes).

A receiver recomputes the HMAC over the raw body, compares in constant time, and refuses a
timestamp more than five minutes from its clock (a replayed capture).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

TOLERANCE_SECONDS = 300


def body_bytes(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signed_headers(
    *, secret: str, delivery_id: str, event_type: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json",
        "User-Agent": "vocplatform-webhooks/1",
        "X-Voc-Delivery": delivery_id,
        "X-Voc-Event": event_type,
        "X-Voc-Timestamp": str(timestamp),
        "X-Voc-Signature": signature(secret, timestamp, body),
    }


def verify(*, secret: str, timestamp: str, signature_header: str, body: bytes, now: float | None = None) -> bool:
    """What a receiver does (documented in docs/api.md)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent_at) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body), signature_header)
