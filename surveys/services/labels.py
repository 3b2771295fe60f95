"""Where training labels come from: an imported labelled file, staff corrections, and weak labels from scores."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from surveys.models import LabelledComment, Response, ResponseAnalysis
from vocplatform.models import User

# Comments attached to scores this clear are labelled without anyone reading them.
WEAK_NEGATIVE_MAX_NPS = 3
WEAK_POSITIVE_MIN_NPS = 9


@dataclass(frozen=True)
class LabelImportResult:
    added: int
    skipped_duplicates: int
    skipped_blank: int


@transaction.atomic
def labels_import(
    *,
    content: str,
    text_column: str = "text",
    label_column: str = "sentiment",
    negative_value: str = "negative",
    theme_column: str = "",
    ignore_themes: tuple[str, ...] = ("Can't Tell",),
    progress: Callable[[int, int], None] | None = None,
) -> LabelImportResult:
    """Store a labelled file's rows as training examples. Rows already imported are skipped."""
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff"), newline=""))
    missing = [c for c in (text_column, label_column, theme_column) if c and c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(
            f"The file has no column(s) {', '.join(missing)}; it has {', '.join(reader.fieldnames or [])}."
        )
    rows = list(reader)
    known = set(LabelledComment.objects.filter(source=LabelledComment.Source.IMPORT).values_list("text", flat=True))
    fresh: list[LabelledComment] = []
    blank = duplicates = 0
    for position, row in enumerate(rows):
        text = (row.get(text_column) or "").strip()
        if not text:
            blank += 1
            continue
        if text in known:
            duplicates += 1
            continue
        known.add(text)
        theme = (row.get(theme_column) or "").strip() if theme_column else ""
        fresh.append(
            LabelledComment(
                text=text,
                negative=(row.get(label_column) or "").strip() == negative_value,
                theme="" if theme in ignore_themes else theme[:80],
                source=LabelledComment.Source.IMPORT,
            )
        )
        if progress and position % 1000 == 0:
            progress(position, len(rows))
    LabelledComment.objects.bulk_create(fresh, batch_size=1000)
    if progress:
        progress(len(rows), len(rows))
    return LabelImportResult(added=len(fresh), skipped_duplicates=duplicates, skipped_blank=blank)


@transaction.atomic
def response_flag_correct(*, response_id: int, negative: bool, user: User) -> ResponseAnalysis:
    """A staff member says whether a comment is negative. It overrides the flag and trains the next model."""
    analysis = (
        ResponseAnalysis.objects.select_for_update(of=("self",)).select_related("response").get(response_id=response_id)
    )
    analysis.corrected, analysis.corrected_by, analysis.corrected_at = negative, user, timezone.now()
    analysis.save(update_fields=["corrected", "corrected_by", "corrected_at"])
    if analysis.response.comment:
        LabelledComment.objects.update_or_create(
            response=analysis.response,
            source=LabelledComment.Source.CORRECTION,
            defaults={"text": analysis.response.comment, "negative": negative},
        )
    return analysis


@transaction.atomic
def labels_weak_refresh() -> int:
    """Label the comments of very low and very high NPS answers, as they read now: a label follows
    the customer's edits (its text and verdict change, or it goes when the score is no longer
    clear or the comment is gone). Returns how many weak labels exist."""
    clear = Response.objects.filter(score_kind="nps", submitted=True).exclude(comment="")
    negative = clear.filter(score__lte=WEAK_NEGATIVE_MAX_NPS)
    positive = clear.filter(score__gte=WEAK_POSITIVE_MIN_NPS)
    wanted = {
        pk: (comment, label)
        for label, queryset in ((True, negative), (False, positive))
        for pk, comment in queryset.values_list("pk", "comment")
    }
    weak = LabelledComment.objects.filter(source=LabelledComment.Source.WEAK)
    existing = {label.response_id: label for label in weak.only("pk", "response_id", "text", "negative")}
    gone = [label.pk for response_id, label in existing.items() if response_id not in wanted]
    changed = []
    for response_id, label in existing.items():
        if response_id in wanted and (label.text, label.negative) != wanted[response_id]:
            label.text, label.negative = wanted[response_id]
            changed.append(label)
    fresh = [
        LabelledComment(text=comment, negative=label, source=LabelledComment.Source.WEAK, response_id=pk)
        for pk, (comment, label) in wanted.items()
        if pk not in existing
    ]
    LabelledComment.objects.filter(pk__in=gone).delete()
    LabelledComment.objects.bulk_update(changed, ["text", "negative"], batch_size=1000)
    LabelledComment.objects.bulk_create(fresh, batch_size=1000)
    return weak.count()
