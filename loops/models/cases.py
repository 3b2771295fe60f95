"""The remediation case ("loop") and everything recorded on it: plan steps, notes, the
timeline of changes, policy overrides, escalations and the notifications they cause."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loops.models.config import AlertRule, Priority, RootCause, SlaPolicy
from surveys.models import Account, Invitation, Response
from vocplatform.models import Team


class Loop(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.IN_PROGRESS)

    # OneToOne: the database guarantees one loop per response, however often analysis runs.
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="loop")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="loops")
    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="loops")
    owner = models.ForeignKey(
        "vocplatform.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_loops"
    )
    queue_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="queued_loops", help_text=_("Unassigned.")
    )
    watchers = models.ManyToManyField("vocplatform.User", blank=True, related_name="watched_loops")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    sla_policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="loops")
    reason_for_engagement = models.CharField(max_length=200, blank=True)
    root_causes = models.ManyToManyField(RootCause, blank=True, related_name="loops")
    effort_hours = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    expenses = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    resolution_summary = models.TextField(blank=True)

    opened_at = models.DateTimeField(db_index=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    first_contact_due_at = models.DateTimeField(db_index=True)
    first_contact_warn_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField(db_index=True)
    resolution_warn_at = models.DateTimeField()
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text=_("Paused while waiting on the customer; the SLA clock stops.")
    )
    first_contact_sla_waived = models.BooleanField(default=False)
    resolution_sla_waived = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    reopened_count = models.PositiveSmallIntegerField(default=0)

    followup_invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="followed_loop"
    )
    recovered = models.BooleanField(null=True, blank=True, help_text=_("From the follow-up: was it resolved?"))
    followup_edits = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Which version of the follow-up answer (its edit count) the loop shows; empty until recorded."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["first_contact_due_at"]
        indexes = [
            models.Index(fields=["status", "first_contact_due_at"]),
            models.Index(fields=["status", "resolution_due_at"]),
            models.Index(fields=["owner", "status"]),
        ]

    def __str__(self) -> str:
        return f"Loop #{self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class AlertCheck(models.Model):
    """That the alert rules have seen a response's latest analysis: what the sweeper compares against,
    so a lost alert task is noticed and a response the rules passed over is not checked again."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="alert_check")
    analysed_at = models.DateTimeField(help_text=_("The analysis the rules saw."))
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Alert rules checked response {self.response_id}"


class PlanStep(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("To do")
        DOING = "doing", _("In progress")
        DONE = "done", _("Done")

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="steps")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey("vocplatform.User", on_delete=models.PROTECT, related_name="plan_steps")
    due_on = models.DateField()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.TODO)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.description


class Note(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CONTACT = "contact", _("Customer contact")

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey("vocplatform.User", null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.NOTE)
    channel = models.CharField(max_length=20, blank=True, help_text=_("Phone, email, meeting… for a contact."))
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on loop {self.loop_id}"


class LoopEvent(models.Model):
    """One line of the timeline: who changed what, from what, to what, and when."""

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("vocplatform.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=80)
    field = models.CharField(max_length=80, blank=True)
    before = models.CharField(max_length=500, blank=True)
    after = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} on loop {self.loop_id}"


class PolicyOverride(models.Model):
    """A departure from the rules, with its reason: what supervisors review."""

    class Kind(models.TextChoices):
        CLOSE_WITHOUT_CONTACT = "close_without_contact", _("Closed without a logged customer contact")
        WAIVE_SLA = "waive_sla", _("SLA waived")
        REASSIGN = "reassign", _("Reassigned away from the account's manager")
        REOPEN = "reopen", _("Reopened")
        BACKDATED_CONTACT = "backdated_contact", _("Contact logged after its deadline, dated before it")

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="overrides")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey("vocplatform.User", null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField()
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(db_index=True)
    reviewed_by = models.ForeignKey(
        "vocplatform.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        constraints = [models.CheckConstraint(condition=~models.Q(reason=""), name="override_has_reason")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on loop {self.loop_id}"


class Escalation(models.Model):
    """A reminder or escalation that happened. The unique constraint is what makes each happen once,
    however often the pass runs and however many workers run it."""

    class Stage(models.TextChoices):
        FIRST_CONTACT = "first_contact", _("First contact")
        RESOLUTION = "resolution", _("Resolution")

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="escalations")
    stage = models.CharField(max_length=14, choices=Stage.choices)
    level = models.PositiveSmallIntegerField(help_text=_("0 is the reminder before the deadline."))
    cycle = models.PositiveSmallIntegerField(default=0, help_text=_("How often the loop had been reopened."))
    recipient = models.ForeignKey("vocplatform.User", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["loop", "stage", "level", "cycle"], name="escalate_once")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} level {self.level} on loop {self.loop_id}"


class Notification(models.Model):
    """Something a staff member should know, shown in the app and emailed (at once or in a digest).
    `key` makes producers idempotent: the same fact never notifies twice."""

    recipient = models.ForeignKey("vocplatform.User", on_delete=models.CASCADE, related_name="notifications")
    loop = models.ForeignKey(Loop, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    escalation = models.OneToOneField(
        Escalation, null=True, blank=True, on_delete=models.CASCADE, related_name="notification"
    )
    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text


class NotificationSettings(models.Model):
    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("Email each one at once")
        DIGEST = "digest", _("One email a day")
        NONE = "none", _("In the app only")

    user = models.OneToOneField("vocplatform.User", on_delete=models.CASCADE, related_name="notification_settings")
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_delivery_display()}"
