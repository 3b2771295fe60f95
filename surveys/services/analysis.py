"""Analysing responses: sentiment, the negative flag and themes, stored on the response.

Runs in a task after the response commits, never in the customer's request. The
score speaks first (a detractor is negative whatever the words); then the
trained model when one is active, else the lexicon fallback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from surveys.analytics.analysis import TextModels, analyse_comment
from surveys.models import Band, LabelledComment, Response, ResponseAnalysis
from surveys.models.responses import theme_names_text
from surveys.selectors.analysis import cx_lexicon, taxonomy
from surveys.services import text_models
from surveys.signals import response_analysed

BATCH = 500
BANDS = {Band.DETRACTOR, Band.PASSIVE, Band.PROMOTER}


@dataclass(frozen=True)
class Verdict:
    sentiment: float | None
    negative: bool
    probability: float | None
    reason: str
    model_version: str
    themes: list[dict[str, object]] = field(default_factory=list)


def verdict_for(response: Response, models: TextModels) -> Verdict:
    """The analytics' verdict (score band plus text, see surveys.analytics.negative_flag) for one response."""
    band = response.score_band if response.score_band in BANDS else None
    result = analyse_comment(response.comment, band, models)  # type: ignore[arg-type]
    flag = result.negative
    reason = flag.reason
    if band == Band.DETRACTOR and response.score is not None:
        reason = f"detractor score ({response.score_kind.upper()} {response.score})"
    has_text = bool(response.comment.strip())
    return Verdict(
        sentiment=result.sentiment.compound if has_text else None,
        negative=flag.flag,
        probability=flag.probability if has_text else None,
        reason=reason,
        model_version=flag.scorer if has_text else "score only",
        themes=[{"name": t.name, "confidence": round(t.confidence, 3), "source": t.source} for t in result.themes],
    )


def _store(response: Response, verdict: Verdict, now: dt.datetime) -> ResponseAnalysis:
    values = {
        "sentiment": verdict.sentiment,
        "negative": verdict.negative,
        "negative_probability": verdict.probability,
        "reason": verdict.reason[:200],
        "model_version": verdict.model_version[:60],
        "themes": verdict.themes,
        "analysed_at": now,
    }
    updated = ResponseAnalysis.objects.filter(response=response).update(**values, runs=F("runs") + 1)
    if not updated:
        ResponseAnalysis.objects.create(response=response, **values)
    names = theme_names_text(str(theme["name"]) for theme in verdict.themes)
    if names != response.theme_names:
        # update(), not save(): updated_at must stay the time of the customer's last change.
        Response.objects.filter(pk=response.pk).update(theme_names=names)
    analysis = ResponseAnalysis.objects.get(response=response)
    if analysis.corrected is not None and not _correction_still_applies(response):
        # Staff judged words the customer has since changed: the new words get the model's verdict.
        analysis.corrected, analysis.corrected_by, analysis.corrected_at = None, None, None
        analysis.save(update_fields=["corrected", "corrected_by", "corrected_at"])
    return analysis


def _correction_still_applies(response: Response) -> bool:
    """Whether the words staff judged are still the response's: the correction's label holds them
    (a correction of an answer without a comment has no label, and holds while none is added)."""
    judged = (
        LabelledComment.objects.filter(response=response, source=LabelledComment.Source.CORRECTION)
        .values_list("text", flat=True)
        .first()
    )
    return judged == response.comment if judged is not None else not response.comment


@transaction.atomic
def response_analyse(
    *, response_id: int, models: TextModels | None = None, announce: bool = True, again: bool = False
) -> ResponseAnalysis | None:
    """Analyse one response. A response whose analysis is newer than its last change is left alone
    (a redelivered or re-enqueued task does nothing), unless `again` (the models changed). The row
    lock makes two tasks for one response run one after the other. `announce=False` is for loaders
    that act on the verdicts themselves (the demo), so no task is queued per response."""
    response = Response.objects.select_for_update().filter(pk=response_id).first()
    if response is None:
        return None
    current = ResponseAnalysis.objects.filter(response=response, analysed_at__gte=response.updated_at).first()
    if current is not None and not again:
        return current
    models = models or text_models.loaded(lexicon=cx_lexicon(), taxonomy=taxonomy())
    analysis = _store(response, verdict_for(response, models), timezone.now())
    if announce:
        transaction.on_commit(lambda: response_analysed.send(Response, response_id=response_id))
    return analysis


def responses_reanalyse(
    *, response_ids: Iterable[int], progress: Callable[[int, int], None] | None = None, announce: bool = True
) -> int:
    """Re-analyse many responses after a model or the lexicon changed, loading the models once."""
    ids = list(response_ids)
    models = text_models.loaded(lexicon=cx_lexicon(), taxonomy=taxonomy())
    for start in range(0, len(ids), BATCH):
        for response_id in ids[start : start + BATCH]:
            response_analyse(response_id=response_id, models=models, announce=announce, again=True)
        if progress:
            progress(min(start + BATCH, len(ids)), len(ids))
    return len(ids)


def responses_awaiting_analysis(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Responses never analysed, or changed since, whose task has had SWEEP_GRACE_SECONDS to run: the
    sweeper re-queues them."""
    now = now or timezone.now()
    waiting = Response.objects.filter(
        Q(analysis__isnull=True) | Q(analysis__analysed_at__lt=F("updated_at")),
        updated_at__lt=now - dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS),
    )
    return list(waiting.order_by("updated_at").values_list("pk", flat=True)[:limit])
