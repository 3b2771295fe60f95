"""The one visibility rule: who may see which accounts, and everything hanging off them.

Account managers see the accounts they own; supervisors the accounts owned by
members of the teams they lead (and any they own themselves); CX admins see
everything; anyone else sees nothing. Every selector, view, API endpoint,
export and report narrows its queryset through `visible()`, naming the path
from its model to the account ("" for Account itself, "account" for Contact,
"response__account" for a loop's response, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TypeVar

from django.db.models import Model, Q, QuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from vocplatform.models import User

M = TypeVar("M", bound=Model)


class _System:
    """Marker for background work that acts for the organisation, not for a person."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = _System()

Viewer = "User | AnonymousUser | _System"


def account_filter(viewer: User | AnonymousUser | _System, account_path: str = "") -> Q | None:
    """Q selecting the rows the viewer may see, or None when they may see nothing."""
    prefix = f"{account_path}__" if account_path else ""
    if isinstance(viewer, _System):
        return Q()
    if not viewer.is_authenticated or not viewer.is_active:
        return None
    if viewer.is_cx_admin:  # type: ignore[union-attr]
        return Q()
    owned = Q(**{f"{prefix}owner": viewer})
    if viewer.is_supervisor:  # type: ignore[union-attr]
        return owned | Q(**{f"{prefix}owner__team__supervisor": viewer})
    if viewer.role == "manager":  # type: ignore[union-attr]
        return owned
    return None


def visible(queryset: QuerySet[M], viewer: User | AnonymousUser | _System, account_path: str = "") -> QuerySet[M]:
    condition = account_filter(viewer, account_path)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def is_staff_member(viewer: User | AnonymousUser) -> bool:
    """Whether the person may use the staff app at all."""
    return bool(viewer.is_authenticated and viewer.is_active and (viewer.is_superuser or viewer.role))  # type: ignore[union-attr]
