"""Supervisor reporting: targets an admin sets, the directory of report recipients, named
distribution lists with their schedules, and the archive of every report generated."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Account
from vocplatform.models import Team, validate_time_zone


class Metric(models.TextChoices):
    NPS = "nps", _("NPS")
    SLA_COMPLIANCE = "sla_compliance", _("SLA compliance %")
    RESPONSE_RATE = "response_rate", _("Response rate %")
    CHURN = "churn", _("Churn %")


# Churn is the one measure where less is better: a negative variance is the good news.
LOWER_IS_BETTER = frozenset({Metric.CHURN})


class Target(models.Model):
    """What management expects of one measure in one period, for one segment or ("") all of them."""

    metric = models.CharField(max_length=20, choices=Metric.choices)
    segment = models.CharField(max_length=60, blank=True, help_text=_("Empty for every segment."))
    period_start = models.DateField()
    period_end = models.DateField(help_text=_("Inclusive."))
    value = models.DecimalField(max_digits=7, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "metric", "segment"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "segment", "period_start", "period_end"], name="one_target"),
            models.CheckConstraint(condition=models.Q(period_start__lte=models.F("period_end")), name="target_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.segment or 'all'} {self.period_start}–{self.period_end}"

    def clean(self) -> None:
        low = -100 if self.metric == Metric.NPS else 0
        if self.value is not None and not low <= self.value <= 100:
            raise ValidationError({"value": _("Between %(low)s and 100.") % {"low": low}})


class Recipient(models.Model):
    """Someone reports are emailed to: a staff member or anyone else the admin names."""

    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    user = models.ForeignKey(
        "vocplatform.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="report_recipients"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class DistributionList(models.Model):
    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone], help_text=_("Schedules run in this zone.")
    )
    recipients = models.ManyToManyField(Recipient, blank=True, related_name="lists")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly accountability report")
    REVIEW = "review", _("Management review pack")
    ACCOUNT = "account", _("Account report")


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ReportSchedule(models.Model):
    """E.g. "the weekly pack for team North, every Monday 08:00 in the list's zone". The pack shows
    what `rendered_as` may see: the visibility rule applies to scheduled packs as to pages."""

    name = models.CharField(max_length=120)
    distribution_list = models.ForeignKey(DistributionList, on_delete=models.CASCADE, related_name="schedules")
    kind = models.CharField(max_length=10, choices=ReportKind.choices, default=ReportKind.WEEKLY)
    rendered_as = models.ForeignKey(
        "vocplatform.User",
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The pack contains what this person may see (usually the team's supervisor)."),
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, default=0)
    time = models.TimeField(help_text=_("Local time in the list's zone."))
    period_days = models.PositiveSmallIntegerField(default=7, help_text=_("The pack covers this many days."))
    active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="schedule_weekday"),
            models.CheckConstraint(condition=models.Q(period_days__gte=1), name="schedule_period"),
            models.CheckConstraint(
                condition=~models.Q(kind="account") | models.Q(account__isnull=False), name="account_schedule_account"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GeneratedReport(models.Model):
    """One rendered pack, kept as the archive. The PDF lives in the database so every web
    process and worker on every machine can serve it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    title = models.CharField(max_length=200)
    schedule = models.ForeignKey(
        ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    due_at = models.DateTimeField(null=True, blank=True, help_text=_("The scheduled run this report is."))
    requested_by = models.ForeignKey(
        "vocplatform.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rendered_as = models.ForeignKey("vocplatform.User", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    percent = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(blank=True, default=b"")
    pages = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    send_email = models.BooleanField(default=False)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_to = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The backstop of the due check: one report per scheduled run, however many beats fire.
            models.UniqueConstraint(
                fields=["schedule", "due_at"],
                condition=models.Q(schedule__isnull=False, due_at__isnull=False),
                name="one_report_per_run",
            ),
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="report_percent"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RENDERING)

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}-{self.pk}.pdf"
