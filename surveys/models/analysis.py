"""What text analytics needs in the database: the editable lexicon and theme taxonomy,
labelled comments for training, versioned trained models, and per-response results."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models.responses import Response, theme_marker
from surveys.models.surveys import CONTROL_CHARACTERS, text_list_problem


class CxTerm(models.Model):
    """A customer-experience word or phrase and its valence (-4 … 4), added to VADER's lexicon."""

    term = models.CharField(max_length=60, unique=True)
    valence = models.FloatField(help_text=_("-4 (very negative) to 4 (very positive)."))

    class Meta:
        ordering = ["term"]
        constraints = [
            models.CheckConstraint(condition=models.Q(valence__gte=-4, valence__lte=4), name="cx_term_valence_range")
        ]

    def __str__(self) -> str:
        return f"{self.term} ({self.valence:+.1f})"


class Theme(models.Model):
    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    keywords = models.JSONField(default=list, blank=True, help_text=_("Seed keywords and phrases."))
    active = models.BooleanField(default=True)
    discovered = models.BooleanField(default=False, help_text=_("Accepted from topic discovery."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if problem := text_list_problem(self.keywords, allow_empty=True, example='["late", "on hold"]'):
            errors["keywords"] = problem
        if CONTROL_CHARACTERS.search(self.name):
            errors["name"] = str(_("Use printable characters only."))
        elif clash := self._marker_clash():
            errors["name"] = str(
                _("“%(name)s” already exists; on responses “|” reads as “/” and case does not count.") % {"name": clash}
            )
        if errors:
            raise ValidationError(errors)

    def _marker_clash(self) -> str | None:
        """Another theme that responses could not tell from this one (see ``theme_marker``)."""
        marker = theme_marker(self.name).casefold()
        others = Theme.objects.exclude(pk=self.pk).values_list("name", flat=True)
        return next((name for name in others if theme_marker(name).casefold() == marker), None)


class LabelledComment(models.Model):
    """A training example: imported, corrected by staff, or weakly labelled from a score."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Imported labelled file")
        CORRECTION = "correction", _("Staff correction")
        WEAK = "weak", _("Weak label from a score")

    text = models.TextField()
    negative = models.BooleanField(null=True, blank=True)
    theme = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.CASCADE, related_name="labels")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "source"],
                condition=models.Q(response__isnull=False),
                name="one_label_per_response_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.text[:40]}"


class TextModel(models.Model):
    """A trained model, stored in the database so every worker on every machine loads the same one."""

    class Kind(models.TextChoices):
        NEGATIVE = "negative", _("Negative flag")
        THEMES = "themes", _("Themes")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.CharField(max_length=40, unique=True)
    blob = models.BinaryField()
    metrics = models.JSONField(default=dict, blank=True)
    training_size = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=models.Q(active=True), name="one_active_model_per_kind")
        ]

    def __str__(self) -> str:
        return self.version


class ResponseAnalysis(models.Model):
    """The latest analysis of a response's comment and score."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="analysis")
    sentiment = models.FloatField(null=True, blank=True, help_text=_("VADER compound with the CX lexicon, -1 … 1."))
    negative = models.BooleanField(default=False, db_index=True)
    negative_probability = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    model_version = models.CharField(max_length=60, blank=True, help_text=_("Which scorer or model flagged it."))
    # The names alone are also on the response (Response.theme_names), where reports filter and count.
    themes = models.JSONField(default=list, blank=True, help_text=_('[{"name": …, "confidence": …}]'))
    corrected = models.BooleanField(
        null=True, blank=True, help_text=_("A staff member's verdict (negative or not), overriding the flag.")
    )
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    corrected_at = models.DateTimeField(null=True, blank=True)
    analysed_at = models.DateTimeField()
    runs = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["negative", "analysed_at"])]

    def __str__(self) -> str:
        return f"Analysis of response {self.response_id}"

    @property
    def is_negative(self) -> bool:
        return self.negative if self.corrected is None else self.corrected
