"""Webhooks for what surveys announces through its custom signals (sent after commit, with ids):
`response.created` on a new response, `response.flagged` when analysis finds it negative.

The customer's name and email are in the payload only where they consented to attribution,
the same rule as everywhere else (surveys.selectors.responses.attributed)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from surveys.models import Response, ResponseAnalysis
from surveys.selectors.responses import attributed
from vocplatform.webhooks.emit import subscriptions_for, webhook_emit
from vocplatform.webhooks.models import EventType

logger = logging.getLogger(__name__)


def _never_raises(receiver: Callable[..., None]) -> Callable[..., None]:
    """A webhook must never stop the product's own work: a receiver that raised would keep the
    receivers after it (loops' alert rules) from running. The failure is logged instead."""

    @wraps(receiver)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            receiver(*args, **kwargs)
        except Exception:
            logger.exception("webhook receiver %s failed", receiver.__name__)

    return guarded


def response_data(response_id: int) -> dict[str, Any] | None:
    row = (
        Response.objects.filter(pk=response_id)
        .annotate(attributed_name=attributed("name"), attributed_email=attributed("email"))
        .select_related("survey", "account")
        .first()
    )
    if row is None:
        return None
    return {
        "response": {
            "id": row.pk,
            "survey": {"id": row.survey_id, "name": row.survey.name},
            "touchpoint": row.touchpoint,
            "account": {"id": row.account_id, "external_id": row.account.external_id, "name": row.account.name},
            "score_kind": row.score_kind,
            "score": row.score,
            "score_band": row.score_band,
            "comment": row.comment,
            "submitted": row.submitted,
            "consent_to_attribution": row.consent_to_attribution,
            "contact_name": row.attributed_name,  # type: ignore[attr-defined]
            "contact_email": row.attributed_email,  # type: ignore[attr-defined]
            "created_at": row.created_at,
        }
    }


@_never_raises
def on_response_saved(sender: Any, response_id: int, created: bool, **kwargs: Any) -> None:
    if not created or not subscriptions_for(EventType.RESPONSE_CREATED):
        return
    data = response_data(response_id)
    if data is not None:
        webhook_emit(event_type=EventType.RESPONSE_CREATED, key=f"response.created:{response_id}", data=data)


@_never_raises
def on_response_analysed(sender: Any, response_id: int, **kwargs: Any) -> None:
    if not subscriptions_for(EventType.RESPONSE_FLAGGED):
        return
    analysis = ResponseAnalysis.objects.filter(response_id=response_id).first()
    if analysis is None or not analysis.is_negative:
        return
    data = response_data(response_id)
    if data is None:
        return
    data["analysis"] = {
        "negative": True,
        "reason": analysis.reason,
        "sentiment": analysis.sentiment,
        "themes": [theme.get("name") for theme in analysis.themes],
    }
    # Flagged once per response: a re-analysis that still finds it negative is not news.
    webhook_emit(event_type=EventType.RESPONSE_FLAGGED, key=f"response.flagged:{response_id}", data=data)
