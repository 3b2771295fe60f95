"""Typed readers for environment variables.

Every knob in settings.py goes through one of these. A value that cannot be
understood stops start-up with a message naming the variable, instead of
silently falling back to a default that nobody asked for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value, 10)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is above the maximum of {maximum}.")
    return number


def env_list(name: str, default: Sequence[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(
    name: str, default: str, choices: Sequence[str], *, upper: bool = False, environ: Mapping[str, str] | None = None
) -> str:
    """One of ``choices``; with ``upper``, the value is read in capitals ("debug" is "DEBUG")."""
    value = env_str(name, default, environ=environ)
    value = value.upper() if upper else value
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def redacted(url: str) -> str:
    """``url`` fit for a log or an error message: a password in it becomes ***."""
    # Up to the last "@": a password whose special characters are not escaped (the usual reason a
    # URL cannot be read) may hold "/", "?" or "#".
    return re.sub(r"(://[^:/@?#]*:).*@", r"\1***@", url, count=1)


def env_url(
    name: str,
    default: str,
    *,
    schemes: Sequence[str],
    require_host: bool = False,
    environ: Mapping[str, str] | None = None,
) -> str:
    """A URL with one of ``schemes``; with ``require_host``, a host too ("https://$HOST" with HOST
    unset is refused rather than making every emailed link "https:///…")."""
    value = env_str(name, default, environ=environ)
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={redacted(value)!r} must be a URL starting with one of: {', '.join(s + '://' for s in schemes)}."
        )
    if require_host:
        try:
            host = urlsplit(value).hostname
        except ValueError:
            host = None
        if not host:
            raise ImproperlyConfigured(f"{name}={redacted(value)!r} has no host name.")
    return value


def email_settings(url: str) -> dict[str, object]:
    """Translate EMAIL_URL into Django's EMAIL_* settings.

    `smtp://user:password@host:587?tls=1`, `smtps://…` (implicit TLS),
    `eml://` (write .eml files under var/outbox, the embedded default) and
    `memory://` (tests).
    """
    parts = urlsplit(url)
    if parts.scheme == "eml":
        return {"EMAIL_BACKEND": "vocplatform.mail.EmlFileBackend"}
    if parts.scheme == "memory":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r} is not one of smtp, smtps, eml, memory.")
    query = parse_qs(parts.query)
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ImproperlyConfigured(f"EMAIL_URL has an invalid port: {redacted(url)!r}") from None
    tls = query.get("tls", ["0"])[0].strip().lower()
    if tls not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"EMAIL_URL has tls={tls!r}; use one of 1/0, true/false, yes/no, on/off.")
    if parts.scheme == "smtps" and tls in _TRUE:
        raise ImproperlyConfigured(
            "EMAIL_URL: smtps:// is TLS from the start; ?tls=1 (STARTTLS) is for smtp://, usually on port 587."
        )
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": tls in _TRUE,
        "EMAIL_TIMEOUT": 20,
    }
