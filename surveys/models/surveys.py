"""Surveys, their questions, and the score bands every report shares."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# What no stored text may hold: control characters (PostgreSQL refuses NUL outright).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def text_list_problem(value: object, *, allow_empty: bool, example: str = '["Yes", "No"]') -> str | None:
    """Why ``value`` is not a JSON list of distinct, non-blank strings (None when it is).

    A JSON string or number typed where a list belongs would otherwise be read letter by letter,
    or break every reader: ``"Yes"`` would offer the options Y, e and s.
    """
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        return str(_("Give a list of words in double quotes, such as %(example)s.") % {"example": example})
    if any(CONTROL_CHARACTERS.search(item) for item in value):
        return str(_("Use printable characters only."))
    if not value and not allow_empty:
        return str(_("Give at least one option."))
    if len({item.strip().casefold() for item in value}) < len(value):
        return str(_("Each entry may appear once."))
    return None


class ScoreKind(models.TextChoices):
    NPS = "nps", _("Net Promoter Score (0–10)")
    CSAT = "csat", _("Customer satisfaction (1–5)")
    CES = "ces", _("Customer effort (1–7, 7 = most effort)")
    STARS = "stars", _("Star rating (1–5)")


SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "stars": (1, 5)}
# The words at either end of each scale, so a number means the same to everyone (page and email).
SCALE_ANCHORS: dict[str, tuple[str, str]] = {
    "nps": ("not at all likely", "extremely likely"),
    "csat": ("very dissatisfied", "very satisfied"),
    "ces": ("very little effort", "a great deal of effort"),
    "stars": ("poor", "excellent"),
}


class Band(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor")
    PASSIVE = "passive", _("Passive")
    PROMOTER = "promoter", _("Promoter")


def score_band(kind: str, score: int) -> str:
    """Detractor / passive / promoter for a score on its scale.

    NPS 0–6 / 7–8 / 9–10; CSAT and stars 1–2 / 3 / 4–5; CES is reversed
    (7 means the most effort): 5–7 / 4 / 1–3.
    """
    if kind == ScoreKind.NPS:
        return Band.DETRACTOR if score <= 6 else Band.PASSIVE if score <= 8 else Band.PROMOTER
    if kind == ScoreKind.CES:
        return Band.DETRACTOR if score >= 5 else Band.PASSIVE if score == 4 else Band.PROMOTER
    return Band.DETRACTOR if score <= 2 else Band.PASSIVE if score == 3 else Band.PROMOTER


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    name = models.CharField(max_length=200)
    touchpoint = models.CharField(
        max_length=80, help_text=_("The moment this survey asks about (onboarding, support ticket, renewal…).")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    intro = models.TextField(blank=True, help_text=_("Shown above the questions."))
    thank_you = models.TextField(blank=True, default="Thank you for your feedback.")
    email_subject = models.CharField(max_length=200, default="Could you spare a minute to tell us how we did?")
    email_intro = models.TextField(blank=True, default="We would love to hear how your experience was.")
    from_name = models.CharField(max_length=100, blank=True, help_text=_("Sender name; empty for the default."))
    from_email = models.EmailField(blank=True, help_text=_("Sender address; empty for DEFAULT_FROM_EMAIL."))
    reply_to = models.EmailField(blank=True)
    expiry_days = models.PositiveSmallIntegerField(default=14, help_text=_("Days a survey link stays valid."))
    reminder_count = models.PositiveSmallIntegerField(default=1, help_text=_("Reminders sent at most."))
    reminder_interval_days = models.PositiveSmallIntegerField(default=3)
    min_gap_days = models.PositiveSmallIntegerField(
        default=90, help_text=_("A contact is asked this survey again only after this many days.")
    )
    closes_at = models.DateTimeField(null=True, blank=True, help_text=_("After this, answers can no longer change."))
    respects_contact_gap = models.BooleanField(
        default=True,
        help_text=_(
            "Off for loop follow-ups: they continue a conversation the customer started. Opt-outs, churn, "
            "the per-survey gap, the account cap and send windows still apply."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    questions_stamp = models.UUIDField(
        default=uuid.uuid4,
        editable=False,
        help_text=_("Changes whenever a question is saved or deleted: web workers keep the questions under it."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expiry_days__gte=1), name="survey_expiry_at_least_a_day"),
            models.CheckConstraint(
                condition=models.Q(reminder_interval_days__gte=1), name="survey_reminder_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A fresh stamp on every save: an instance read before a question changed would otherwise
        # write the old stamp back, and web processes would keep serving the old questions.
        self.questions_stamp = uuid.uuid4()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "questions_stamp"}
        super().save(*args, **kwargs)

    def takes_answers(self, now: dt.datetime) -> bool:
        """Active and not past its closing time: the rule ``survey_open`` states as a query."""
        return self.status == self.Status.ACTIVE and (self.closes_at is None or self.closes_at > now)


def survey_open(now: dt.datetime, prefix: str = "survey__") -> models.Q:
    """``Survey.takes_answers`` as a query, for the rows that reach a survey through ``prefix``."""
    return models.Q(**{f"{prefix}status": Survey.Status.ACTIVE}) & (
        models.Q(**{f"{prefix}closes_at__isnull": True}) | models.Q(**{f"{prefix}closes_at__gt": now})
    )


class Question(models.Model):
    class Kind(models.TextChoices):
        NPS = "nps", _("NPS 0–10")
        CSAT = "csat", _("CSAT 1–5")
        CES = "ces", _("CES 1–7")
        STARS = "stars", _("Stars 1–5")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Open text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=300)
    text_detractor = models.CharField(
        max_length=300, blank=True, help_text=_("Wording for detractors (open text after a score).")
    )
    text_passive = models.CharField(max_length=300, blank=True)
    text_promoter = models.CharField(max_length=300, blank=True)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True, help_text=_("Options of a choice question."))

    class Meta:
        ordering = ["survey", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["survey", "position"], name="question_position_unique")]

    def __str__(self) -> str:
        return self.text

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        Survey.objects.filter(pk=self.survey_id).update(questions_stamp=uuid.uuid4())

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        Survey.objects.filter(pk=self.survey_id).update(questions_stamp=uuid.uuid4())
        return deleted

    def clean(self) -> None:
        """The options a customer picks from, and a kind that stored answers keep meaning."""
        errors: dict[str, str] = {}
        if self.kind in {self.Kind.SINGLE, self.Kind.MULTIPLE}:
            if problem := text_list_problem(self.choices, allow_empty=False):
                errors["choices"] = problem
        elif self.choices:
            errors["choices"] = str(_("Only a choice question has options; leave this as []."))
        if self.pk is not None:
            stored = Question.objects.filter(pk=self.pk).values_list("kind", flat=True).first()
            if stored not in (None, self.kind) and self.answers.exists():
                errors["kind"] = str(
                    _("Customers have answered this question; its kind cannot change. Add a new question instead.")
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_score(self) -> bool:
        return self.kind in SCALES

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(self.kind)

    @property
    def anchors(self) -> tuple[str, str] | None:
        """What the low and the high end of the scale mean; None for a question without a scale."""
        return SCALE_ANCHORS.get(self.kind)

    def wording_for(self, band: str | None) -> str:
        variant = {"detractor": self.text_detractor, "passive": self.text_passive, "promoter": self.text_promoter}
        return (variant.get(band or "") or self.text) if self.kind == self.Kind.TEXT else self.text
