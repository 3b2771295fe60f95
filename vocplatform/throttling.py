"""Rate limits: per API key (and per signed-in person) on the API, per IP on the public survey pages.

Counts are fixed windows kept in the database (`ThrottleCount`), so every web process on every
machine counts against the same limit. Counting is one atomic statement, an upsert that returns
the new count: no read-then-write race, and one query per request (the survey page has a budget).
Windows that are over are deleted by the integrations sweep.
"""

from __future__ import annotations

import hashlib
import math
import time
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

from vocplatform.models import ThrottleCount
from vocplatform.permissions import request_api_key

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

PERIODS = {"s": 1, "sec": 1, "second": 1, "min": 60, "m": 60, "minute": 60, "hour": 3600, "h": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" -> (600, 60)."""
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        raise ValueError(f"{rate!r} is not a rate such as 600/min (periods: s, min, hour, day).") from None


def _count(key: str, expires_at: int) -> int:
    table = connection.ops.quote_name(ThrottleCount._meta.db_table)
    column = connection.ops.quote_name("key")
    # Both SQLite (3.35+) and PostgreSQL speak this upsert with RETURNING. The names come from the
    # model's metadata, never from input; the values are parameters.
    insert = f"INSERT INTO {table} ({column}, hits, expires_at) VALUES (%s, 1, %s)"  # noqa: S608
    sql = f"{insert} ON CONFLICT ({column}) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits"
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, expires_at])
        row = cursor.fetchone()
    return int(row[0]) if row else 1


def throttle_hit(*, scope: str, ident: str, rate: str, now: float | None = None) -> int | None:
    """Count one request; the seconds to wait when it is over the limit, else None."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    window_end = (window + 1) * period
    count = _count(f"{scope}:{ident}:{period}:{window}"[:200], window_end)
    if count <= limit:
        return None
    return max(1, math.ceil(window_end - now))


def throttle_waiting(*, scope: str, ident: str, rate: str, now: float | None = None) -> int | None:
    """The seconds to wait when ``ident`` is already over the limit in this window, without counting."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    hits = ThrottleCount.objects.filter(key=f"{scope}:{ident}:{period}:{window}"[:200]).values_list("hits", flat=True)
    if next(iter(hits), 0) < limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def throttle_prune(*, now: float | None = None) -> int:
    """Delete the windows that are over."""
    now = time.time() if now is None else now
    deleted, _ = ThrottleCount.objects.filter(expires_at__lt=int(now)).delete()
    return deleted


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the one the nearest of DJANGO_TRUSTED_PROXIES proxies saw."""
    proxies = settings.TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


class ApiThrottle(BaseThrottle):
    """Per API key; per person for a staff session; per IP for the anonymous (the schema and docs)."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        api_key = request_api_key(request)
        if api_key is not None:
            scope, ident, rate = "key", str(api_key.pk), settings.API_RATE_PER_KEY
        elif request.user.is_authenticated:
            scope, ident, rate = "user", str(request.user.pk), settings.API_RATE_PER_USER
        else:
            scope, ident, rate = "ip", client_ip(request), settings.API_RATE_PER_USER
        self.retry_after = throttle_hit(scope=scope, ident=ident, rate=rate)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


View = Callable[..., HttpResponseBase]


def _too_many(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(request, "vocplatform/too_many_requests.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def throttle_per_ip(view: View) -> View:
    """For the public survey pages: SURVEY_RATE_PER_IP requests per IP, then 429 with Retry-After."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        wait = throttle_hit(scope="survey", ident=client_ip(request), rate=settings.SURVEY_RATE_PER_IP)
        if wait is not None:
            return _too_many(request, wait)
        return view(request, *args, **kwargs)

    return wrapper


def throttle_misses_per_ip(view: View) -> View:
    """For a public page that honours every real link: only the requests it answers with a 404
    count, against the same SURVEY_RATE_PER_IP counter as the survey pages, so that guessing links
    from one address meets one limit whichever page it tries. Over it, the address gets 429 with
    Retry-After for any link until the window passes. (A mail provider relaying its users'
    one-click unsubscribes sends many real links from one address; someone guessing sends misses.)"""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        ident, rate = client_ip(request), settings.SURVEY_RATE_PER_IP
        wait = throttle_waiting(scope="survey", ident=ident, rate=rate)
        if wait is not None:
            return _too_many(request, wait)
        response = view(request, *args, **kwargs)
        if response.status_code == 404:
            # Counted atomically; misses sent at once past the limit get 429 too.
            wait = throttle_hit(scope="survey", ident=ident, rate=rate)
            if wait is not None:
                return _too_many(request, wait)
        return response

    return wrapper


def throttle_sign_in(view: View) -> View:
    """For the staff sign-in and password-reset forms: every POST counts against LOGIN_RATE_PER_IP for
    its address and LOGIN_RATE_PER_USERNAME for the username (or email) it names, then 429 with
    Retry-After. Nothing locks an account for good: the limits are windows that pass."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            waits = [throttle_hit(scope="sign-in", ident=client_ip(request), rate=settings.LOGIN_RATE_PER_IP)]
            # As Django's sign-in form reads it (NFKC: "ｍａｘ" signs in as "max"), so that no
            # other spelling of one name gets a counter of its own.
            typed = request.POST.get("username") or request.POST.get("email") or ""
            name = unicodedata.normalize("NFKC", typed).strip().casefold()
            if name:
                # Hashed: any text may be typed there, and the key must stay short and printable.
                ident = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
                waits.append(throttle_hit(scope="sign-in-name", ident=ident, rate=settings.LOGIN_RATE_PER_USERNAME))
            wait = max((w for w in waits if w is not None), default=None)
            if wait is not None:
                return _too_many(request, wait)
        return view(request, *args, **kwargs)

    return wrapper
