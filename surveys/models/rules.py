"""Events from other systems, the trigger rules that turn them into invitations,
and the contact-frequency rules that protect customers from survey fatigue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models.crm import Account, Contact
from surveys.models.surveys import Survey


class Event(models.Model):
    class Source(models.TextChoices):
        API = "api", _("API")
        CSV = "csv", _("CSV upload")

    external_id = models.CharField(max_length=200, unique=True, help_text=_("The sender's id: the idempotency key."))
    type = models.CharField(max_length=100, db_index=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="events")
    properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=5, choices=Source.choices, default=Source.API)
    ingest_batch = models.UUIDField(null=True, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.external_id}"


class TriggerRule(models.Model):
    """When an event of `event_type` matches every non-empty condition, invite its contact to `survey`."""

    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    event_type = models.CharField(max_length=100, db_index=True, help_text=_("e.g. ticket.closed"))
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="trigger_rules")
    segments = models.JSONField(default=list, blank=True, help_text=_("Account segments; empty for any."))
    regions = models.JSONField(default=list, blank=True, help_text=_("Account regions; empty for any."))
    contact_roles = models.JSONField(default=list, blank=True, help_text=_("Contact roles; empty for any."))
    properties = models.JSONField(
        default=dict, blank=True, help_text=_('Event properties that must be equal, e.g. {"channel": "phone"}.')
    )
    delay_minutes = models.PositiveIntegerField(default=0, help_text=_("Send this many minutes after the event."))
    expiry_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Days the link stays valid; empty for the survey's default.")
    )

    class Meta:
        ordering = ["event_type", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.event_type} → {self.survey})"


class FrequencyRule(models.Model):
    """A contact-frequency rule. Rows an admin edits; defaults come from a data migration."""

    class Kind(models.TextChoices):
        CONTACT_GAP = "contact_gap", _("At most one survey per contact every N days (any survey)")
        ACCOUNT_CAP = "account_cap", _("At most K invitations per account every N days")
        SEND_WINDOW = "send_window", _("Send only between these hours in the contact's time zone")

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True)
    active = models.BooleanField(default=True)
    days = models.PositiveSmallIntegerField(default=30)
    limit = models.PositiveSmallIntegerField(default=5, help_text=_("K, for the account cap."))
    start_hour = models.PositiveSmallIntegerField(default=8, help_text=_("Send window start (local hour, 0–23)."))
    end_hour = models.PositiveSmallIntegerField(default=20, help_text=_("Send window end (local hour, 1–24)."))

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_hour__lt=models.F("end_hour"), end_hour__lte=24), name="window_hours_valid"
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
