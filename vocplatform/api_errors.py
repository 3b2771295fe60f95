"""One error format for the whole API.

{"error": {"code": "invalid", "message": "…", "fields": {"email": ["Enter a valid email address."]}}}
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": _flatten(exc.detail)}
        body: dict[str, Any] = {"code": "invalid", "message": "The request has invalid fields.", "fields": fields}
    else:
        detail = getattr(exc, "detail", None)
        body = {
            "code": getattr(detail, "code", None) or getattr(exc, "default_code", "error"),
            "message": str(detail) if detail is not None else str(exc),
            "fields": {},
        }
    response.data = {"error": body}
    return response
