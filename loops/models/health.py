"""Account health and churn risk: the components an admin weighs, the bands, daily snapshots,
versioned churn models and each account's current risk."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Account


class HealthComponent(models.Model):
    class Kind(models.TextChoices):
        SCORES = "scores", _("Recent NPS/CSAT/CES of the account's contacts (recency-weighted)")
        SENTIMENT = "sentiment", _("Sentiment of their comments (recency-weighted)")
        SILENCE = "silence", _("Survey silence: share of invitations answered")
        LOOPS = "loops", _("Open and overdue loops")
        RECOVERY = "recovery", _("Recovery: closed loops whose follow-up says resolved")
        ATTRIBUTE = "attribute", _("An imported numeric attribute")

    key = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    weight = models.FloatField(default=1.0, help_text=_("Relative weight; missing components drop out."))
    active = models.BooleanField(default=True)
    attribute = models.CharField(max_length=120, blank=True, help_text=_("Custom attribute name, for attributes."))
    zero_at = models.FloatField(null=True, blank=True, help_text=_("Attribute value that scores 0."))
    hundred_at = models.FloatField(null=True, blank=True, help_text=_("Attribute value that scores 100."))

    class Meta:
        ordering = ["-weight", "key"]
        constraints = [models.CheckConstraint(condition=models.Q(weight__gte=0), name="health_weight_not_negative")]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.kind == self.Kind.ATTRIBUTE and (not self.attribute or self.zero_at is None or self.hundred_at is None):
            raise ValidationError(_("An attribute component needs the attribute and the values that map to 0 and 100."))
        if self.zero_at is not None and self.zero_at == self.hundred_at:
            raise ValidationError({"hundred_at": _("The values for 0 and 100 must differ.")})


class HealthSettings(models.Model):
    """The band thresholds (one row)."""

    red_below = models.FloatField(default=50)
    green_from = models.FloatField(default=75)

    class Meta:
        verbose_name_plural = _("health settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(red_below__lte=models.F("green_from"), red_below__gte=0, green_from__lte=100),
                name="health_bands_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"red < {self.red_below:g} ≤ yellow < {self.green_from:g} ≤ green"

    def clean(self) -> None:
        # Scores are shown in whole points beside their band: a threshold between two points would
        # put "49" beside a yellow band.
        odd = [name for name in ("red_below", "green_from") if getattr(self, name) != int(getattr(self, name))]
        if odd:
            raise ValidationError({name: _("Use a whole number of points.") for name in odd})


class HealthSnapshot(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="health_snapshots")
    date = models.DateField()
    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=8)
    based_on = models.PositiveSmallIntegerField(default=0, help_text=_("Components with data."))
    components = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["account", "date"], name="one_snapshot_per_day")]
        indexes = [models.Index(fields=["date", "band"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date}: {self.score}"


class HealthDirty(models.Model):
    """An account whose health must be recomputed (a response or a loop changed): the sweeper's work list."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()

    def __str__(self) -> str:
        return f"account {self.account_id} since {self.since}"


class ChurnModelVersion(models.Model):
    version = models.CharField(max_length=40, unique=True)
    blob = models.BinaryField()
    report = models.JSONField(default=dict)
    features = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.version


class AccountRisk(models.Model):
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="churn_risk")
    probability = models.FloatField()
    drivers = models.JSONField(default=list)
    model_version = models.CharField(max_length=40)
    scored_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.account_id}: {self.probability:.0%}"
