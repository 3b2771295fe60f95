"""The follow-up after a loop closes: "Did we resolve your issue?", sent through the surveys
machinery (so opt-outs, churn, send windows and the account cap apply), and its answer
recorded on the loop as recovered or not."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from loops.models import Loop
from loops.services import timeline
from loops.services.notifications import notify
from surveys.models import Answer, Band, Invitation, Question, Response, Survey
from surveys.services.events import invitation_build
from vocplatform.models import User
from vocplatform.queueing import enqueue_on_commit


def followup_survey_for(loop: Loop) -> Survey | None:
    survey = loop.rule.followup_survey if loop.rule else None
    return survey if survey is not None and survey.status == Survey.Status.ACTIVE else None


def followup_send(*, loop: Loop, actor: User | None, now: dt.datetime | None = None) -> Invitation:
    survey = followup_survey_for(loop)
    if survey is None:
        raise ValidationError({"send_followup": ["No active follow-up survey is set on this loop's alert rule."]})
    if loop.followup_invitation_id is not None:
        return loop.followup_invitation  # type: ignore[return-value]
    now = now or timezone.now()
    invitation = invitation_build(survey=survey, contact=loop.response.contact, scheduled_for=now)
    invitation.save()
    Loop.objects.filter(pk=loop.pk).update(followup_invitation=invitation)
    loop.followup_invitation = invitation
    timeline.record(loop, actor=actor, action="follow-up survey scheduled", after=survey.name, at=now)
    from surveys.tasks import invitations_dispatch_task

    enqueue_on_commit(invitations_dispatch_task, [invitation.pk], swept=True)
    return invitation


def recovered_from(response: Response) -> bool | None:
    """Yes to the first choice question means recovered; without one, a non-detractor score does."""
    answers = list(Answer.objects.filter(response=response).select_related("question"))
    for answer in answers:
        if answer.question.kind == Question.Kind.SINGLE and answer.choices and answer.question.choices:
            return bool(answer.choices[0] == answer.question.choices[0])
    if response.score_band:
        return response.score_band != Band.DETRACTOR
    return None


@transaction.atomic
def followup_record(*, response_id: int) -> Loop | None:
    response = Response.objects.filter(pk=response_id).first()
    if response is None:
        return None
    loop = Loop.objects.select_for_update().filter(followup_invitation_id=response.invitation_id).first()
    if loop is None:
        return None
    recovered = recovered_from(response)
    if loop.followup_edits != response.edits:
        Loop.objects.filter(pk=loop.pk).update(followup_edits=response.edits)
        loop.followup_edits = response.edits
    if recovered != loop.recovered:
        timeline.record(
            loop,
            actor=None,
            action="follow-up answered",
            field="recovered",
            before=loop.recovered,
            after=recovered,
            at=response.updated_at,
        )
        loop.recovered = recovered
        loop.save(update_fields=["recovered", "updated_at"])
        verdict = "recovered" if recovered else "not recovered" if recovered is False else "answered"
        notify(
            recipients=[loop.owner],
            key=f"followup:{loop.pk}:{response.invitation_id}:{response.edits}",  # a reopened loop asks again
            kind="followup",
            text=f"{loop.account.name} answered the follow-up: {verdict}",
            loop=loop,
            now=response.updated_at,
        )
    return loop


def followups_unrecorded(*, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Follow-up answers (not within SWEEP_GRACE_SECONDS, whose task is probably still queued) whose
    latest version their loop has not recorded: their task was lost. Returns the response ids."""
    now = now or timezone.now()
    answer_edits = F("followup_invitation__response__edits")
    return list(
        Loop.objects.filter(
            Q(followup_edits__isnull=True) | ~Q(followup_edits=answer_edits),
            followup_invitation__response__updated_at__lt=now - dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS),
        )
        .order_by("followup_invitation__response__updated_at")
        .values_list("followup_invitation__response", flat=True)[:limit]
    )
