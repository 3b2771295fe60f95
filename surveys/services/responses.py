"""Recording what a customer answered: one response per invitation, edited in place until the survey closes.

The invitation row is locked (select_for_update) before the response is read
or written, so simultaneous submits of one link queue up behind each other and
the unique invitation → response constraint is never the thing that decides.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from surveys.models import Answer, Invitation, Question, Response, score_band
from surveys.selectors.questions import survey_questions
from surveys.services.tokens import token_hash
from vocplatform.compiled import CompiledGet
from vocplatform.queueing import enqueue_on_commit

MAX_TEXT = 10_000
# What another request may change on an invitation between a page's read and its write.
_MUTABLE = ("status", "expires_at", "opened_at")


class Access(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    CLOSED = "closed"


class AnswerInvalid(Exception):
    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__("; ".join(f"question {k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class AnswerInput:
    number: int | None = None
    choices: list[str] = field(default_factory=list)
    text: str = ""


# Every survey page and answer looks its link up: compiled once per thread (see CompiledGet).
_LINKS = CompiledGet(
    lambda: Invitation.objects.select_related("survey").exclude(status=Invitation.Status.SUPPRESSED), "token_hash"
)


def invitation_for_token(token: str) -> tuple[Access, Invitation | None]:
    """Look up a link. Unknown and tampered tokens look the same: one indexed lookup of the hash."""
    if not token or len(token) > 100:
        return Access.UNKNOWN, None
    invitation = _LINKS.get(token_hash(token))
    if invitation is None:
        return Access.UNKNOWN, None
    return invitation_access(invitation), invitation


def invitation_access(invitation: Invitation) -> Access:
    now = timezone.now()
    survey = invitation.survey
    if not survey.takes_answers(now):  # also a survey set back to draft: it is mailed to nobody either
        return Access.CLOSED
    answered = invitation.status == Invitation.Status.ANSWERED
    if not answered and (invitation.expires_at <= now or invitation.status == Invitation.Status.EXPIRED):
        return Access.EXPIRED
    return Access.OK


def clean_text(value: str) -> str:
    """Keep what the customer typed, minus characters no database or page can hold (NUL, other controls)."""
    kept = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return kept.strip()


def _validate(question: Question, answer: AnswerInput | None) -> tuple[AnswerInput | None, str | None]:
    if answer is None or (answer.number is None and not answer.choices and not answer.text.strip()):
        return None, ("This question needs an answer." if question.required else None)
    if question.is_score:
        low, high = question.scale  # type: ignore[misc]
        if answer.number is None or not low <= answer.number <= high:
            return None, f"Choose a whole number from {low} to {high}."
        return AnswerInput(number=answer.number), None
    if question.kind in {Question.Kind.SINGLE, Question.Kind.MULTIPLE}:
        unknown = [c for c in answer.choices if c not in question.choices]
        if unknown or (question.kind == Question.Kind.SINGLE and len(answer.choices) > 1):
            return None, "Choose from the options shown."
        return AnswerInput(choices=list(answer.choices)), None
    text = clean_text(answer.text)
    if not text:  # nothing but control characters: nothing was said
        return None, ("This question needs an answer." if question.required else None)
    if len(text) > MAX_TEXT:
        return None, f"Please keep your answer under {MAX_TEXT:,} characters (it has {len(text):,})."
    return AnswerInput(text=text), None


def _lock(invitation: Invitation) -> Invitation:
    """Lock the invitation's row and re-read the fields that may have changed since the caller
    read it (its survey, read with it, is kept)."""
    current = Invitation.objects.select_for_update().filter(pk=invitation.pk).values(*_MUTABLE).get()
    for name, value in current.items():
        setattr(invitation, name, value)
    return invitation


def _response_for(invitation: Invitation) -> tuple[Response, bool]:
    # Locked: an analysis of the previous version holds this row while it writes its verdict (and
    # the theme names on the row). Waiting for it dates this edit after that verdict, so the edit
    # is analysed in turn, and saving the row does not write back theme names read before it.
    existing = Response.objects.select_for_update().filter(invitation=invitation).order_by().first()
    if existing:
        return existing, False
    return _new_response(invitation), True


def _new_response(invitation: Invitation) -> Response:
    return Response(
        invitation=invitation,
        survey=invitation.survey,
        contact_id=invitation.contact_id,
        account_id=invitation.account_id,
        touchpoint=invitation.survey.touchpoint,
    )


def _store_answers(response: Response, cleaned: dict[int, AnswerInput], *, created: bool, replace_all: bool) -> None:
    """Write the answers in one statement: an insert, or for an edit an upsert on (response, question).
    `replace_all` (the whole form) first removes the answers to questions left blank this time."""
    if replace_all and not created:
        Answer.objects.filter(response=response).exclude(question_id__in=cleaned).delete()
    Answer.objects.bulk_create(
        [
            Answer(response=response, question_id=pk, number=value.number, choices=value.choices, text=value.text)
            for pk, value in cleaned.items()
        ],
        update_conflicts=not created,
        unique_fields=None if created else ["response", "question"],
        update_fields=None if created else ["number", "choices", "text"],
    )


def _mark_answered(invitation: Invitation) -> None:
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).exclude(status=Invitation.Status.ANSWERED).update(
        status=Invitation.Status.ANSWERED, answered_at=now, opened_at=invitation.opened_at or now, next_reminder_at=None
    )


def _announce(response: Response, created: bool) -> None:
    from surveys.tasks import response_recorded_task

    # One message after commit: the worker tells the other apps (response_saved) and analyses the
    # text, so the customer's request waits on neither.
    enqueue_on_commit(response_recorded_task, response.pk, created, swept=True)


@transaction.atomic
def response_record_score(*, invitation: Invitation, score: int) -> Response:
    """A one-click score from the email: recorded at once, the customer may add the rest on the page.
    A response already sent as a whole form is returned unchanged."""
    invitation = _lock(invitation)
    if invitation_access(invitation) is not Access.OK:
        raise AnswerInvalid({0: "This survey can no longer be answered."})
    first = invitation.survey.questions.order_by("position", "pk").first()
    if first is None or not first.is_score:
        raise AnswerInvalid({0: "This survey does not start with a score."})
    cleaned, error = _validate(first, AnswerInput(number=score))
    if error or cleaned is None:
        raise AnswerInvalid({first.pk: error or "Choose a score."})
    response, created = _response_for(invitation)
    if response.submitted:
        # A sent form changes only by another submit: a button in an old email, or a mail
        # scanner following the links, leaves it alone (the page offers the clicked score).
        return response
    response.score_kind, response.score = first.kind, cleaned.number
    response.score_band = score_band(first.kind, score)
    response.edits += 0 if created else 1
    response.save()
    _store_answers(response, {first.pk: cleaned}, created=created, replace_all=False)
    _mark_answered(invitation)
    _announce(response, created)
    return response


def response_submit(
    *,
    invitation: Invitation,
    answers: dict[int, AnswerInput],
    consent: bool,
    questions: Sequence[Question] | None = None,
) -> Response:
    """Record the whole form. A second submit edits the same response until the survey closes.
    `questions` are the survey's, in order, when the caller has them already (the page validated
    its form against them).

    On PostgreSQL a first submit, the common case, is one statement (`_insert_first_submit`);
    everything else, and every submit on SQLite, goes through the locked transaction."""
    if questions is None:
        questions = survey_questions(invitation.survey)
    try:
        return _submit(invitation=invitation, answers=answers, consent=consent, questions=questions)
    except IntegrityError:
        if connection.in_atomic_block:
            raise  # a caller's transaction: it cannot go on, so neither can a second try here
        # A question removed while the customer answered (an admin's edit): their answers to the
        # questions that remain are kept, read afresh.
        current = list(Question.objects.filter(survey_id=invitation.survey_id).order_by("position", "pk"))
        kept = {pk: answer for pk, answer in answers.items() if any(q.pk == pk for q in current)}
        return _submit_locked(invitation=invitation, answers=kept, consent=consent, questions=current)


def _submit(
    *, invitation: Invitation, answers: dict[int, AnswerInput], consent: bool, questions: Sequence[Question]
) -> Response:
    if (
        connection.vendor == "postgresql"
        and invitation.status != Invitation.Status.ANSWERED
        and invitation_access(invitation) is Access.OK
    ):
        cleaned = _cleaned(questions, answers)
        response = _fill(_new_response(invitation), questions, cleaned, consent)
        response.submitted = True
        if cleaned and _insert_first_submit(invitation, response, cleaned):
            _announce(response, True)
            return response
    return _submit_locked(invitation=invitation, answers=answers, consent=consent, questions=questions)


@transaction.atomic
def _submit_locked(
    *, invitation: Invitation, answers: dict[int, AnswerInput], consent: bool, questions: Sequence[Question]
) -> Response:
    invitation = _lock(invitation)
    if invitation_access(invitation) is not Access.OK:
        raise AnswerInvalid({0: "This survey can no longer be answered."})
    cleaned = _cleaned(questions, answers)
    response, created = _response_for(invitation)
    _fill(response, questions, cleaned, consent)
    # Every change counts, the form sent after a one-click score too: a follow-up's verdict and
    # the owner's notice of it are keyed on this count.
    response.edits += 0 if created else 1
    response.submitted = True
    response.save()
    _store_answers(response, cleaned, created=created, replace_all=True)
    _mark_answered(invitation)
    _announce(response, created)
    return response


def _cleaned(questions: Sequence[Question], answers: dict[int, AnswerInput]) -> dict[int, AnswerInput]:
    """The answers each question accepts; AnswerInvalid with every refusal at once."""
    cleaned: dict[int, AnswerInput] = {}
    errors: dict[int, str] = {}
    for question in questions:
        value, error = _validate(question, answers.get(question.pk))
        if error:
            errors[question.pk] = error
        elif value is not None:
            cleaned[question.pk] = value
    if errors:
        raise AnswerInvalid(errors)
    return cleaned


def _fill(
    response: Response, questions: Sequence[Question], cleaned: dict[int, AnswerInput], consent: bool
) -> Response:
    """The response's summary of a whole form: its first score and first open text, and the consent."""
    first_score = next((q for q in questions if q.is_score and q.pk in cleaned), None)
    first_text = next((q for q in questions if q.kind == Question.Kind.TEXT and q.pk in cleaned), None)
    response.score_kind = first_score.kind if first_score else ""
    response.score = cleaned[first_score.pk].number if first_score else None
    response.score_band = (
        score_band(first_score.kind, response.score) if first_score and response.score is not None else ""
    )  # type: ignore[arg-type]
    response.comment = cleaned[first_text.pk].text if first_text else ""
    response.consent_to_attribution = consent
    return response


def _insert_first_submit(invitation: Invitation, response: Response, cleaned: dict[int, AnswerInput]) -> bool:
    """PostgreSQL: lock the invitation, insert the response and its answers and mark the invitation
    answered, in one statement (data-modifying CTEs, atomic on their own): seven round trips to the
    database (BEGIN, the lock, the response's read, three writes, COMMIT) become one, and a web
    worker spends most of an answer waiting on those. Only for an invitation still open and not yet
    answered, re-checked under the lock; False when it no longer is (then nothing was written and
    the locked path decides)."""
    ops = connection.ops
    rows = [
        Answer(response=response, question_id=pk, number=value.number, choices=value.choices, text=value.text)
        for pk, value in cleaned.items()
    ]
    response_columns, response_values, response_params = _insert_parts(response)
    answer_columns, _, _ = _insert_parts(rows[0], skip="response")
    answer_values, answer_params = [], []
    for row in rows:
        _, values, params = _insert_parts(row, skip="response")
        answer_values.append(f"({values})")
        answer_params += params
    closed = [Invitation.Status.ANSWERED, Invitation.Status.EXPIRED, Invitation.Status.SUPPRESSED]
    now = timezone.now()
    invitations, responses, answers = (ops.quote_name(m._meta.db_table) for m in (Invitation, Response, Answer))
    # Table names come from the models' metadata, columns are the models' own; values are parameters.
    sql = f"""
        WITH invitation AS (
            SELECT id FROM {invitations} WHERE id = %s AND status NOT IN (%s, %s, %s) AND expires_at > %s FOR UPDATE
        ), new_response AS (
            INSERT INTO {responses} ({response_columns}) SELECT {response_values} FROM invitation
            ON CONFLICT (invitation_id) DO NOTHING RETURNING id
        ), new_answers AS (
            INSERT INTO {answers} (response_id, {answer_columns})
            SELECT new_response.id, given.* FROM new_response, (VALUES {", ".join(answer_values)}) AS given
        ), answered AS (
            UPDATE {invitations} SET status = %s, answered_at = %s, opened_at = COALESCE(opened_at, %s),
                next_reminder_at = NULL
            WHERE id IN (SELECT id FROM invitation) AND EXISTS (SELECT FROM new_response)
        )
        SELECT id FROM new_response
    """  # noqa: S608
    params = [invitation.pk, *closed, now, *response_params, *answer_params, Invitation.Status.ANSWERED, now, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    response.pk, response._state.adding, response._state.db = row[0], False, connection.alias
    return True


def _insert_parts(obj: Response | Answer, skip: str = "") -> tuple[str, str, list[Any]]:
    """Quoted columns, typed placeholders and values of an INSERT of `obj` (primary key and `skip`
    left out), each value prepared by its field as Django's own INSERT prepares it (auto_now
    filled in, JSON adapted)."""
    fields, columns, placeholders = _insert_shape(type(obj), skip)
    return columns, placeholders, [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


_LENGTH = re.compile(r"\(\d+\)")


@functools.cache
def _insert_shape(model: type[Response] | type[Answer], skip: str) -> tuple[tuple[Field[Any, Any], ...], str, str]:
    fields = tuple(f for f in model._meta.local_concrete_fields if not f.primary_key and f.name != skip)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    # Cast to the column's type without its length: varchar(80) would cut a longer value short,
    # where the ORM's INSERT (and this one, uncast) is refused.
    types = [_LENGTH.sub("", str(f.db_type(connection))) for f in fields]
    return fields, columns, ", ".join(f"%s::{name}" for name in types)
