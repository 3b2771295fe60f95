"""Staff identity shared by both apps: users with a role, and teams."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    supervisor = models.ForeignKey(
        "vocplatform.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        help_text=_("The supervisor who leads this team and receives its escalations."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        ADMIN = "admin", _("CX admin")
        SUPERVISOR = "supervisor", _("Supervisor")
        MANAGER = "manager", _("Account manager")

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MANAGER)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        help_text=_("The team an account manager belongs to."),
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_cx_admin(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN

    @property
    def is_supervisor(self) -> bool:
        return self.role == self.Role.SUPERVISOR


class Heartbeat(models.Model):
    """Last time each background process proved it was alive (shown on the status page)."""

    name = models.CharField(max_length=40, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class ApiKey(models.Model):
    """A key another system uses to call the API. It acts as `user` (and sees what they see),
    within its scopes, until it expires or is revoked. Only a hash of the key is stored: the key
    itself is shown once, when it is created."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Write")
        EVENTS = "events", _("Events only")

    name = models.CharField(max_length=120, help_text=_("Which system uses it, e.g. “Helpdesk”."))
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text=_("The key acts as this person: it sees and may change what they may."),
    )
    prefix = models.CharField(
        max_length=16, unique=True, help_text=_("The start of the key, shown to tell keys apart.")
    )
    key_hash = models.CharField(max_length=64, unique=True, help_text=_("SHA-256 of the whole key."))
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ThrottleCount(models.Model):
    """Requests counted in one rate-limit window (see vocplatform.throttling); old windows are pruned."""

    key = models.CharField(max_length=200)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True, help_text=_("Unix time after which the window is over."))

    class Meta:
        # A constraint rather than unique=True: the key is matched whole, so PostgreSQL needs no
        # LIKE index beside the unique one (a first hit from an address inserts into each index).
        constraints = [models.UniqueConstraint(fields=["key"], name="throttle_count_key_unique")]

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"


class RequeueClaim(models.Model):
    """That a sweeper re-enqueued one piece of waiting work (see vocplatform.queueing.requeue_claim)."""

    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    claimed_at = models.DateTimeField()
    times = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="requeue_claim_once")]
        indexes = [models.Index(fields=["kind", "claimed_at"], name="requeue_claim_age")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} re-enqueued {self.claimed_at:%Y-%m-%d %H:%M:%S}"


# The webhook models live with the rest of the webhook machinery; importing them here registers them.
from vocplatform.webhooks.models import (  # noqa: E402
    WebhookAllowedNetwork,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "ApiKey",
    "Heartbeat",
    "RequeueClaim",
    "Team",
    "ThrottleCount",
    "User",
    "WebhookAllowedNetwork",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "validate_time_zone",
]
