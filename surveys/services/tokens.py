"""Survey-link tokens.

A token is HMAC-SHA256(SECRET_KEY, nonce) in URL-safe base64 (256 bits): the
database keeps the random nonce and the token's SHA-256, never the token, so a
leaked table does not give working links, and reminders can rebuild the same
link from the nonce. Rotating SECRET_KEY invalidates outstanding links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings


def token_nonce_new() -> str:
    return secrets.token_hex(16)


def token_for(nonce: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"survey-link:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(token: str, *, score: int | None = None) -> str:
    base = f"{settings.SITE_URL}/s/{token}/"
    return base if score is None else f"{base}?score={score}"


def unsubscribe_url(token: str) -> str:
    return f"{settings.SITE_URL}/s/{token}/unsubscribe/"
