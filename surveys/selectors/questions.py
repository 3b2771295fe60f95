"""A survey's questions, kept by each web process under the survey's `questions_stamp`.

Every survey page reads its survey with the link (one query for both), and the stamp comes with
it; the questions then come from memory until one of them, or the survey, is saved or deleted,
which changes the stamp. A survey answer costs one query less, and the page too.

Writes that bypass `Question.save()` and `delete()` (a queryset's update() or delete(),
bulk_create, loaddata, raw SQL) do not change the stamp; so nothing is kept longer than
KEEP_SECONDS either, and such a change shows within that time.
"""

from __future__ import annotations

import threading
import time
import uuid

from surveys.models import Question, Survey

MAX_SURVEYS_KEPT = 1000  # a bound, not a tuning knob: past it the whole store is dropped and refilled
KEEP_SECONDS = 60.0

_kept: dict[tuple[int, uuid.UUID], tuple[float, tuple[Question, ...]]] = {}
_lock = threading.Lock()


def survey_questions(survey: Survey) -> list[Question]:
    """The survey's questions in order (position, then creation). Treat them as read-only: the
    same objects are handed to every request of this process until the stamp changes."""
    key, now = (survey.pk, survey.questions_stamp), time.monotonic()
    read_at, questions = _kept.get(key, (0.0, ()))
    if now - read_at > KEEP_SECONDS:
        # By the survey's id, not through it: a kept question must not hold one request's survey.
        questions = tuple(Question.objects.filter(survey_id=survey.pk).order_by("position", "pk"))
        with _lock:
            if len(_kept) >= MAX_SURVEYS_KEPT:
                _kept.clear()
            _kept[key] = (now, questions)
    return list(questions)
