"""A survey's questions, kept by each web process under the survey's `questions_stamp`.

Every survey page reads its survey with the link (one query for both), and the stamp comes with
it; the questions then come from memory until one of them is saved or deleted, which changes the
stamp. A survey answer costs one query less, and the page too.
"""

from __future__ import annotations

import threading
import uuid

from surveys.models import Question, Survey

MAX_SURVEYS_KEPT = 1000  # a bound, not a tuning knob: past it the whole store is dropped and refilled

_kept: dict[tuple[int, uuid.UUID], tuple[Question, ...]] = {}
_lock = threading.Lock()


def survey_questions(survey: Survey) -> list[Question]:
    """The survey's questions in order (position, then creation). Treat them as read-only: the
    same objects are handed to every request of this process until the stamp changes."""
    key = (survey.pk, survey.questions_stamp)
    kept = _kept.get(key)
    if kept is None:
        kept = tuple(survey.questions.order_by("position", "pk"))
        with _lock:
            if len(_kept) >= MAX_SURVEYS_KEPT:
                _kept.clear()
            _kept[key] = kept
    return list(kept)
