"""Invitations to answer a survey, and the outbox of emails that carry them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models.crm import Account, Contact
from surveys.models.rules import Event, TriggerRule
from surveys.models.surveys import Survey


class Invitation(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        OPENED = "opened", _("Opened")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")
        BOUNCED = "bounced", _("Bounced")
        SUPPRESSED = "suppressed", _("Suppressed")

    class Suppression(models.TextChoices):
        OPTED_OUT = "opted_out", _("Contact opted out")
        CHURNED = "churned", _("Account has churned")
        UNDELIVERABLE = "undeliverable", _("Email address is undeliverable")
        CONTACT_GAP = "contact_gap", _("Contact was surveyed recently")
        SURVEY_GAP = "survey_gap", _("Contact answered this survey recently")
        ACCOUNT_CAP = "account_cap", _("Account reached its invitation cap")
        SURVEY_NOT_ACTIVE = "survey_not_active", _("Survey is not active")

    OPEN_STATUSES = (Status.SCHEDULED, Status.SENT, Status.OPENED)

    # Answering updates indexed columns, so every index of this table takes a new entry per answer:
    # an index the composite ones below already provide (contact, account, status) is not kept,
    # nor a LIKE index on a token or a status (matched whole only).
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations", db_index=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations", db_index=False)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations")
    trigger_rule = models.ForeignKey(
        TriggerRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    suppressed_by = models.CharField(max_length=20, choices=Suppression.choices, blank=True)
    suppression_detail = models.CharField(max_length=300, blank=True)
    token_nonce = models.CharField(max_length=32, help_text=_("Random; the link's token derives from it."))
    token_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the survey link's token."))
    scheduled_for = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["contact", "status"]),
            models.Index(fields=["status", "scheduled_for"]),
            models.Index(fields=["account", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["token_nonce"], name="invitation_token_nonce_unique"),
            models.UniqueConstraint(fields=["token_hash"], name="invitation_token_hash_unique"),
            # Replaying an event can never invite twice for the same rule.
            models.UniqueConstraint(
                fields=["event", "trigger_rule"],
                condition=models.Q(event__isnull=False, trigger_rule__isnull=False),
                name="one_invitation_per_event_and_rule",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="suppressed") | ~models.Q(suppressed_by=""),
                name="suppressed_invitation_names_its_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact} ({self.status})"


class OutboxMessage(models.Model):
    """One email to send. Claimed (pending → sending) before the send and marked sent after it."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField(default=0, help_text=_("0 for the invitation, 1… for reminders."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    to_email = models.EmailField()
    subject = models.CharField(max_length=255, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "kind", "sequence"], name="one_message_per_invitation_step")
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence} to {self.to_email} ({self.status})"
