from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone

from vocplatform.prepared import close_stale_connections


class UserTimezoneMiddleware:
    """Show times in the signed-in staff member's own time zone (stored in UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", None) if user is not None and user.is_authenticated else None
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # No page needs an inline script: every script is a static file.
        "script-src 'self'",
        # Inline style attributes stay allowed: the HTML email preview renders the email as sent.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy on every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


RETRY_AFTER_SECONDS = 5
logger = logging.getLogger(__name__)


def database_unavailable_response(request: HttpRequest, exception: BaseException) -> HttpResponse | None:
    """The 503 with Retry-After for an error that means the database is unavailable, else None.

    A lost connection (a failover, a restart, a terminated backend, a statement cancelled by the
    web statement timeout) rolled the transaction back, so trying again is safe and changes
    nothing twice. The API gets its usual JSON error body."""
    # A prepared statement a migration made stale is a lost connection too: closed, then a 503.
    if not (isinstance(exception, OperationalError | InterfaceError) or close_stale_connections(exception)):
        return None
    logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exception)
    message = "The service is briefly unavailable. Nothing was saved; please try again in a few seconds."
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": "unavailable", "message": message, "fields": {}}}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A database failure inside a view is a 503 with Retry-After, not a 500. (Outside a view, in
    another middleware, the error page does the same: vocplatform.views.server_error.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return database_unavailable_response(request, exception)


class NulQueryMiddleware:
    """A NUL character in the URL or its query string is a 400 with a message, before any view:
    PostgreSQL cannot compare text with NUL, so a search or filter carrying one would end in a 500.
    (Form and API bodies are checked by their fields' validators, which refuse NUL too.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        values = [request.path, *request.GET.keys(), *(v for _, vs in request.GET.lists() for v in vs)]
        if any("\x00" in value for value in values):
            message = "Null characters are not allowed in the address."
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "invalid", "message": message, "fields": {}}}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
