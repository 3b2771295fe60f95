"""Serializer fields the API shares."""

from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers

MAX_DEPTH = 10


def _check(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise serializers.ValidationError(f"Nested deeper than {MAX_DEPTH} levels.")
    if isinstance(value, str):
        # The database cannot store NUL, and lone surrogates are not text (PostgreSQL refuses both).
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise serializers.ValidationError("Text may not contain NUL or unpaired surrogate characters.")
    elif isinstance(value, float) and not math.isfinite(value):
        # JSON's 1e999 reads as infinity, which no JSON column can hold.
        raise serializers.ValidationError("Numbers must be finite (1e999 is too large).")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


class JSONObjectField(serializers.DictField):
    """A JSON object of any values that the database can store as they are."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value: dict[str, Any] = super().to_internal_value(data)
        _check(value)
        return value


class UsernameField(serializers.CharField):
    """A staff member named by username or email (case-insensitive), as the CSV import does."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        from django.db.models import Q

        from vocplatform.models import User

        name = super().run_validation(data)  # the text, checked by CharField's validators
        if name is None:
            return None
        user = (
            User.objects.filter(Q(username__iexact=name) | Q(email__iexact=name), is_active=True)
            .exclude(role="")
            .order_by("pk")
            .first()
        )
        if user is None:
            raise serializers.ValidationError(f"{name!r} is not an active staff member.")
        return user

    def to_representation(self, value: Any) -> Any:
        return getattr(value, "username", value)
