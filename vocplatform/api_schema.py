"""The OpenAPI schema's shared parts: the error format on every operation, and the API key scheme."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERRORS = {
    "400": "Invalid input: `fields` names each bad field (for a batch, by position).",
    "401": "The API key presented is unknown, expired or revoked.",
    "403": "No credentials, or the key's scopes or person may not do this.",
    "404": "No such object, or not one the caller may see; or an invalid cursor.",
    "429": "Too many requests: wait the seconds in `Retry-After`.",
}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, not_found, throttled.")
    message = serializers.CharField()
    # Declared fields are popped from the class by DRF, so this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(), help_text="Field name → list of messages (nested for batches and lists)."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class AutoSchema(openapi.AutoSchema):
    """Every operation documents the one error format for each error it can answer."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = "The body is not JSON (send Content-Type: application/json)."
        for code, description in errors.items():
            if code not in responses:
                body = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), code, direction=direction
                )
                if code == "429":
                    body["headers"] = {
                        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
                    }
                responses[code] = body
        return responses


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "vocplatform.apikeys.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "voc_<prefix>_<secret>",
            "description": "An API key made by a CX admin under Integrations → API keys.",
        }
