"""The staff permission rule, for views and API endpoints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS, BasePermission

from vocplatform.visibility import is_staff_member

if TYPE_CHECKING:
    # Imported for annotations only: rest_framework.views reads this module through settings.
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from vocplatform.models import ApiKey

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


def request_api_key(request: Request) -> ApiKey | None:
    from vocplatform.models import ApiKey

    return request.auth if isinstance(request.auth, ApiKey) else None


class HasScope(BasePermission):
    """An API key may do what its scopes allow; a staff session may do all its person may.

    Safe methods need "read", others "write". A view's `required_scopes` maps a method to the scopes
    it accepts instead (the event intake's POST accepts "events" or "write").
    """

    message = "This API key does not have the scope this request needs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        api_key = request_api_key(request)
        if api_key is None:
            return True
        default = ("read",) if request.method in SAFE_METHODS else ("write",)
        accepted = getattr(view, "required_scopes", {}).get(request.method, default)
        return bool(set(accepted) & set(api_key.scopes))


class AdminForWrites(BasePermission):
    """Reads follow the visibility rule; writes that touch every account (CRM upserts, event intake,
    bounces) are for CX admins only."""

    message = "Only CX admins may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return is_staff_member(request.user) and bool(request.user.is_cx_admin)  # type: ignore[union-attr]
