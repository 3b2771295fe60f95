"""The staff permission rule, for views and API endpoints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

from vocplatform.visibility import is_staff_member

if TYPE_CHECKING:
    # Imported for annotations only: rest_framework.views reads this module through settings.
    from rest_framework.request import Request
    from rest_framework.views import APIView

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed-in staff only; others are sent to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_member(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view: View) -> View:
    """CX admins only. Other staff get a 404: the page is not theirs to know about."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_member(request.user):
            return redirect_to_login(request.get_full_path())
        if not request.user.is_cx_admin:  # type: ignore[union-attr]
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class IsStaffUser(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_staff_member(request.user)
