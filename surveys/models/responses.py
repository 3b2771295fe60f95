"""What customers said: one response per invitation, with an answer per question."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from surveys.models.crm import Account, Contact
from surveys.models.invitations import Invitation
from surveys.models.surveys import Band, Question, Survey


def theme_marker(name: str) -> str:
    """How one theme sits in ``Response.theme_names``: "|Billing|". A "|" inside a name (nothing
    forbids one) becomes "/", so that the separators stay unambiguous."""
    return f"|{name.replace('|', '/')}|"


def has_theme(name: str) -> Q:
    """Responses given this theme: its marker within ``theme_names``, case and all. (``contains``
    would be LIKE on SQLite, which ignores the case of ASCII letters; PostgreSQL's does not.)"""
    return Q(GreaterThan(StrIndex("theme_names", Value(theme_marker(name))), 0))


def theme_names_text(names: Iterable[str]) -> str:
    """``Response.theme_names`` for these themes: "|Billing|Support|", or "" for none."""
    joined = "".join(theme_marker(name)[:-1] for name in names)
    return f"{joined}|" if joined else ""


class Response(models.Model):
    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    # Indexes the composite ones below already provide (survey, account) are not kept, nor LIKE
    # indexes on the touchpoint and the band (matched whole only): each costs every answer a write.
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="responses")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="responses", db_index=False)
    touchpoint = models.CharField(max_length=80)
    score_kind = models.CharField(max_length=5, blank=True, help_text=_("Scale of the first score question."))
    score = models.SmallIntegerField(null=True, blank=True)
    score_band = models.CharField(max_length=10, choices=Band.choices, blank=True)
    comment = models.TextField(blank=True, help_text=_("The first open-text answer, stored as typed."))
    consent_to_attribution = models.BooleanField(
        default=False, help_text=_("The customer agreed that their name may be shown with the answer.")
    )
    submitted = models.BooleanField(default=False, help_text=_("False while only a one-click score was recorded."))
    # "|Billing|Support|": the themes of the latest analysis as text, so that any database can
    # filter on a theme and the theme counts read this table alone (not a join with the analyses).
    # Written by the analysis service with the analysis, in the same transaction.
    theme_names = models.CharField(max_length=1000, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    edits = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["survey", "created_at"]),
            models.Index(fields=["touchpoint"], name="response_touchpoint"),
            models.Index(fields=["score_band"], name="response_score_band"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=10),
                name="response_score_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey}"


class Answer(models.Model):
    # Its index is the first column of one_answer_per_question.
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", db_index=False)
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["question__position"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return f"Answer to {self.question_id}"
