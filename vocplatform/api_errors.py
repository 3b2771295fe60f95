"""One error format for the whole API.

{"error": {"code": "invalid", "message": "…", "fields": {"email": ["Enter a valid email address."]}}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def from_service(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's refusal (django.core ValidationError) as an API validation error; "__all__" is
    reported as "non_field_errors", like DRF's own."""
    if hasattr(exc, "error_dict"):
        fields = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
        return exceptions.ValidationError(fields)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = from_service(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
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


@csrf_exempt  # it changes nothing; a POST to a wrong URL should hear 404, not a CSRF page
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other URL under /api/v1/ (an id that is not a number, a typo): the API's 404, not an HTML page."""
    body = {"code": "not_found", "message": "No such API endpoint or object.", "fields": {}}
    return JsonResponse({"error": body}, status=404)
