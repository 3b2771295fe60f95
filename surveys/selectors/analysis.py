"""Read queries for text analytics: the taxonomy, the lexicon, the stored models, labelled examples."""

from __future__ import annotations

from surveys.models import CxTerm, LabelledComment, TextModel, Theme


def theme_names() -> list[str]:
    return list(Theme.objects.filter(active=True).order_by("name").values_list("name", flat=True))


def taxonomy() -> list[Theme]:
    """Every theme of the taxonomy, active and retired."""
    return list(Theme.objects.order_by("name"))


def cx_lexicon() -> dict[str, float]:
    return dict(CxTerm.objects.values_list("term", "valence"))


def active_model(kind: str) -> TextModel | None:
    return TextModel.objects.filter(kind=kind, active=True).defer("blob").first()


def model_blob(version: str) -> bytes:
    return bytes(TextModel.objects.values_list("blob", flat=True).get(version=version))


def training_examples() -> list[LabelledComment]:
    """Every labelled comment; a staff correction of a response wins over that response's weak label."""
    corrected = set(
        LabelledComment.objects.filter(source=LabelledComment.Source.CORRECTION).values_list("response_id", flat=True)
    )
    examples = LabelledComment.objects.exclude(source=LabelledComment.Source.WEAK, response_id__in=corrected)
    return list(examples.only("text", "negative", "theme", "source"))
