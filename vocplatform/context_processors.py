from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vocplatform.visibility import is_staff_member


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    staff = user is not None and is_staff_member(user)
    return {
        "nav_staff": staff,
        "nav_admin": staff and user.is_cx_admin,  # type: ignore[union-attr]
        "nav_reviewer": staff and (user.is_cx_admin or user.is_supervisor),  # type: ignore[union-attr]
    }
