"""Subscriptions: who listens to which events. The secret is made here and shown to the admin once."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from vocplatform.models import User
from vocplatform.webhooks.addresses import AddressRefused, checked_addresses
from vocplatform.webhooks.models import EventType, WebhookDelivery, WebhookSubscription


def secret_new() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _check(url: str, event_types: Sequence[str]) -> None:
    errors: dict[str, list[str]] = {}
    try:
        checked_addresses(url)
    except AddressRefused as refused:
        errors["url"] = [str(refused)]
    if not event_types or set(event_types) - set(EventType.values):
        errors["event_types"] = ["Choose one or more event types."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subscription_create(
    *, url: str, event_types: Sequence[str], created_by: User, description: str = "", active: bool = True
) -> tuple[WebhookSubscription, str]:
    _check(url, event_types)
    secret = secret_new()
    subscription = WebhookSubscription.objects.create(
        url=url,
        description=description,
        event_types=sorted(set(event_types)),
        active=active,
        secret=secret,
        created_by=created_by,
    )
    return subscription, secret


@transaction.atomic
def subscription_update(
    *, subscription_id: int, url: str, event_types: Sequence[str], description: str, active: bool, rotate_secret: bool
) -> str | None:
    """Returns the new secret when one was made."""
    _check(url, event_types)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    subscription.url, subscription.description, subscription.active = url, description, active
    subscription.event_types = sorted(set(event_types))
    secret = secret_new() if rotate_secret else None
    if secret:
        subscription.secret = secret
    subscription.save()
    return secret


def subscription_list() -> QuerySet[WebhookSubscription]:
    Status = WebhookDelivery.Status
    return WebhookSubscription.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status__in=[Status.PENDING, Status.SENDING])),
        failed=Count("deliveries", filter=Q(deliveries__status__in=[Status.FAILED, Status.REFUSED])),
        succeeded=Count("deliveries", filter=Q(deliveries__status=Status.SUCCEEDED)),
    ).order_by("url", "pk")
