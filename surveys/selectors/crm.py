"""Read queries over accounts and contacts, always narrowed by the visibility rule first."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from surveys.models import Account, Contact, ImportJob
from vocplatform.models import User
from vocplatform.visibility import _System, visible

Viewer = User | AnonymousUser | _System


@dataclass(frozen=True)
class AccountFilters:
    q: str = ""
    segment: str = ""
    region: str = ""
    owner: int | None = None
    unowned: bool = False
    outcome: str = ""


def account_list(*, viewer: Viewer, filters: AccountFilters | None = None) -> QuerySet[Account]:
    filters = filters or AccountFilters()
    accounts = visible(Account.objects.all(), viewer)
    if filters.q:
        accounts = accounts.filter(
            Q(name__icontains=filters.q) | Q(external_id__icontains=filters.q) | Q(domain__icontains=filters.q)
        )
    if filters.segment:
        accounts = accounts.filter(segment=filters.segment)
    if filters.region:
        accounts = accounts.filter(region=filters.region)
    if filters.owner:
        accounts = accounts.filter(owner_id=filters.owner)
    if filters.unowned:
        accounts = accounts.filter(owner__isnull=True)
    if filters.outcome:
        accounts = accounts.filter(outcome=filters.outcome)
    return (
        accounts.select_related("owner", "owner__team").annotate(contact_count=Count("contacts")).order_by("name", "pk")
    )


def account_get(*, viewer: Viewer, pk: int) -> Account:
    """The account, or 404 when it does not exist or is not the viewer's to see."""
    return get_object_or_404(visible(Account.objects.select_related("owner", "owner__team"), viewer), pk=pk)


def account_filter_choices(*, viewer: Viewer) -> dict[str, list[str]]:
    accounts = visible(Account.objects.all(), viewer)
    return {
        # order_by(): the model's ordering by name would make every name a distinct row.
        "segments": sorted(s for s in accounts.order_by().values_list("segment", flat=True).distinct() if s),
        "regions": sorted(r for r in accounts.order_by().values_list("region", flat=True).distinct() if r),
    }


def contact_list(*, viewer: Viewer, q: str = "", account_id: int | None = None) -> QuerySet[Contact]:
    contacts = visible(Contact.objects.all(), viewer, "account")
    if q:
        contacts = contacts.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(external_id__icontains=q))
    if account_id:
        contacts = contacts.filter(account_id=account_id)
    return contacts.select_related("account").order_by("name", "email", "pk")


def contact_get(*, viewer: Viewer, pk: int) -> Contact:
    return get_object_or_404(
        visible(Contact.objects.select_related("account", "account__owner"), viewer, "account"), pk=pk
    )


def import_job_list(*, viewer: User) -> QuerySet[ImportJob]:
    """Admins see every import; others only the ones they started."""
    jobs = ImportJob.objects.select_related("created_by").defer("content")
    return jobs if viewer.is_cx_admin else jobs.filter(created_by=viewer)


def import_job_get(*, viewer: User, pk: int) -> ImportJob:
    return get_object_or_404(import_job_list(viewer=viewer), pk=pk)
