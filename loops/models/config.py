"""What admins configure for closing the loop: calendars, SLA policies, escalation
levels, root causes and the alert rules that decide which responses open a loop.
All rows, with defaults from a data migration."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from loops.business_time import BusinessCalendar
from vocplatform.models import Team, validate_time_zone


def validate_workdays(value: object) -> None:
    if not isinstance(value, list) or not value or any(type(d) is not int or not 0 <= d <= 6 for d in value):
        raise ValidationError(_("List the working days as numbers 0 (Monday) to 6 (Sunday), at least one."))


class WorkCalendar(models.Model):
    """Working days and hours in one time zone, plus holidays: what "business hours" means for an SLA."""

    name = models.CharField(max_length=80, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    workdays = models.JSONField(
        default=list, validators=[validate_workdays], help_text=_("0 = Monday … 6 = Sunday, e.g. [0, 1, 2, 3, 4].")
    )
    day_start = models.TimeField(default=dt.time(9, 0))
    day_end = models.TimeField(default=dt.time(17, 0))

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=models.Q(day_start__lt=models.F("day_end")), name="day_ends")]

    def __str__(self) -> str:
        return self.name

    def as_business_calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            time_zone=self.time_zone,
            workdays=frozenset(self.workdays),
            day_start=self.day_start,
            day_end=self.day_end,
            holidays=frozenset(self.holidays.values_list("date", flat=True)),
        )


class Holiday(models.Model):
    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaPolicy(models.Model):
    class Counting(models.TextChoices):
        BUSINESS = "business", _("Business hours of a calendar")
        CLOCK = "clock", _("On the clock (24/7)")

    name = models.CharField(max_length=80, unique=True)
    first_contact_hours = models.PositiveIntegerField(default=24, help_text=_("Hours to the first customer contact."))
    resolution_hours = models.PositiveIntegerField(default=80, help_text=_("Hours to resolution."))
    counting = models.CharField(max_length=10, choices=Counting.choices, default=Counting.BUSINESS)
    calendar = models.ForeignKey(
        WorkCalendar, null=True, blank=True, on_delete=models.PROTECT, help_text=_("Required for business hours.")
    )
    warn_hours = models.PositiveIntegerField(
        default=4, help_text=_("Remind the owner this many clock hours before a deadline.")
    )

    class Meta:
        ordering = ["first_contact_hours", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(counting="business") | models.Q(calendar__isnull=False),
                name="business_sla_has_calendar",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.counting == self.Counting.BUSINESS and self.calendar_id is None:
            raise ValidationError({"calendar": _("Choose the calendar whose business hours this policy counts.")})

    def business_calendar(self) -> BusinessCalendar | None:
        if self.counting == self.Counting.CLOCK or self.calendar is None:
            return None
        return self.calendar.as_business_calendar()


class EscalationLevel(models.Model):
    """Who hears about a breached SLA, and how long after the breach."""

    class Recipient(models.TextChoices):
        SUPERVISOR = "supervisor", _("The owner's team supervisor")
        USER = "user", _("A named person (e.g. a director)")

    level = models.PositiveSmallIntegerField(unique=True, help_text=_("1 for the first escalation, 2 for the next…"))
    delay_hours = models.PositiveIntegerField(default=0, help_text=_("Clock hours after the breach."))
    recipient = models.CharField(max_length=12, choices=Recipient.choices, default=Recipient.SUPERVISOR)
    # PROTECT: a named recipient cannot vanish from under the level (the check constraint needs one).
    user = models.ForeignKey("vocplatform.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(recipient="user") | models.Q(user__isnull=False), name="named_escalation_has_user"
            )
        ]

    def __str__(self) -> str:
        return f"Level {self.level} after {self.delay_hours} h"


class RootCause(models.Model):
    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class AlertRule(models.Model):
    """When a response meets every non-empty condition, act. Rules are tried in `position` order;
    the first that matches acts, so a response opens at most one loop."""

    class Action(models.TextChoices):
        OPEN_LOOP = "open_loop", _("Open a loop and notify")
        NOTIFY = "notify", _("Notify only")

    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Lower is tried first."))
    score_bands = models.JSONField(
        default=list, blank=True, help_text=_('Score bands, e.g. ["detractor"]; empty for any.')
    )
    negative_flag = models.BooleanField(
        null=True, blank=True, help_text=_("Yes: only flagged comments; no: only unflagged; empty: either.")
    )
    themes = models.JSONField(default=list, blank=True, help_text=_("Any of these themes; empty for any."))
    keywords = models.JSONField(
        default=list, blank=True, help_text=_("Any of these words in the comment (case-insensitive).")
    )
    segments = models.JSONField(default=list, blank=True, help_text=_("Account segments; empty for any."))
    min_revenue = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, help_text=_("Accounts with at least this revenue.")
    )
    touchpoints = models.JSONField(default=list, blank=True, help_text=_("Survey touchpoints; empty for any."))
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.OPEN_LOOP)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.PROTECT)
    fallback_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Whose queue gets the loop when the account has no manager."),
    )
    followup_survey = models.ForeignKey(
        "surveys.Survey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_('Offered when a loop from this rule closes: "Did we resolve your issue?".'),
    )
    notify_owner = models.BooleanField(default=True)
    extra_recipients = models.ManyToManyField("vocplatform.User", blank=True, related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(action="open_loop") | models.Q(sla_policy__isnull=False),
                name="loop_rule_has_sla",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.action == self.Action.OPEN_LOOP and self.sla_policy_id is None:
            raise ValidationError({"sla_policy": _("A rule that opens loops needs an SLA policy.")})
        if self.min_revenue is not None and self.min_revenue < Decimal(0):
            raise ValidationError({"min_revenue": _("Revenue cannot be negative.")})
