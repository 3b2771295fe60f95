"""Outbound webhooks: who listens (subscriptions), what happened (events), and each attempt to tell them.

An event is stored once (its `key` makes emitting twice a no-op); each subscription listening to its
type gets one delivery, whose id is sent with every try so that receivers can drop duplicates. The
delivery row is the source of truth for what is still to send: a lost task loses nothing.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    RESPONSE_CREATED = "response.created", _("A response was recorded")
    RESPONSE_FLAGGED = "response.flagged", _("A response was flagged as negative")
    LOOP_OPENED = "loop.opened", _("A loop was opened")
    LOOP_ESCALATED = "loop.escalated", _("A loop was escalated")
    LOOP_CLOSED = "loop.closed", _("A loop was closed")
    HEALTH_BAND_CHANGED = "health.band_changed", _("An account's health band changed")


class WebhookSubscription(models.Model):
    url = models.URLField(max_length=500, help_text=_("Where to POST the events (http or https)."))
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100, help_text=_("The key of the HMAC-SHA256 signature."))
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices, db_index=True)
    key = models.CharField(
        max_length=200, unique=True, help_text=_("What happened, once: emitting it again does nothing.")
    )
    payload = models.JSONField(help_text=_("The `data` of the body sent."))
    occurred_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Gave up")
        REFUSED = "refused", _("Refused: address not allowed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text=_("The delivery id."))
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    replay = models.BooleanField(default=False, help_text=_("Made by a replay of a time range."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField(help_text=_("Failed tries are retried, with back-off, until then."))
    claimed_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text=_("When a task to send it was last queued."))
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]), models.Index(fields=["status", "claimed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"],
                condition=models.Q(replay=False),
                name="one_delivery_per_event_and_subscription",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.subscription} ({self.status})"


class WebhookAttempt(models.Model):
    """One try of a delivery: the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"try {self.number} of {self.delivery_id}: {self.status_code or self.error}"


class WebhookAllowedNetwork(models.Model):
    """A private, loopback or otherwise non-public network that webhooks may still reach."""

    network = models.CharField(max_length=50, unique=True, help_text=_("An address or a CIDR range, e.g. 10.1.2.0/24."))
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["network"]

    def __str__(self) -> str:
        return self.network
