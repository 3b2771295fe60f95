"""A web process keeps each survey's questions until one of them changes."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys.models import Question, Survey
from surveys.selectors import questions as questions_module
from surveys.selectors.questions import survey_questions
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db


def fresh(survey):
    """The survey as a page reads it with the link: its stamp as stored now."""
    return Survey.objects.get(pk=survey.pk)


@pytest.fixture
def survey():
    survey = SurveyFactory()
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?")
    Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Why?")
    return survey


def texts(survey):
    return [question.text for question in survey_questions(fresh(survey))]


def test_the_questions_are_read_once_then_kept(survey):
    current = fresh(survey)
    assert [q.text for q in survey_questions(current)] == ["How likely…?", "Why?"]
    with CaptureQueriesContext(connection) as queries:
        again = survey_questions(current)
    assert [q.text for q in again] == ["How likely…?", "Why?"] and not queries.captured_queries


def test_an_edited_question_is_read_again(survey):
    texts(survey)
    question = survey.questions.get(position=1)
    question.text = "What is the main reason for your score?"
    question.save()
    assert texts(survey) == ["How likely…?", "What is the main reason for your score?"]


def test_added_and_deleted_questions_are_read_again(survey):
    texts(survey)
    Question.objects.create(survey=survey, position=2, kind=Question.Kind.TEXT, text="Anything else?")
    assert texts(survey) == ["How likely…?", "Why?", "Anything else?"]
    survey.questions.get(position=0).delete()
    assert texts(survey) == ["Why?", "Anything else?"]


def test_a_change_to_one_survey_leaves_the_others_kept(survey):
    other = SurveyFactory()
    Question.objects.create(survey=other, position=0, kind=Question.Kind.CSAT, text="How satisfied?")
    kept = fresh(other)
    survey_questions(kept)
    Question.objects.create(survey=survey, position=2, kind=Question.Kind.TEXT, text="Anything else?")
    assert fresh(other).questions_stamp == kept.questions_stamp
    with CaptureQueriesContext(connection) as queries:
        assert [q.text for q in survey_questions(fresh(other))] == ["How satisfied?"]
    assert len(queries.captured_queries) == 1, "the survey's own read only"


def test_the_caller_gets_its_own_list(survey):
    current = fresh(survey)
    survey_questions(current).clear()
    assert len(survey_questions(current)) == 2


def test_a_survey_saved_from_an_older_read_does_not_bring_the_old_questions_back(survey):
    read_before = fresh(survey)  # an admin's form, say, opened before a teammate edits a question
    texts(survey)
    question = survey.questions.get(position=1)
    question.text = "What is the main reason?"
    question.save()
    read_before.name = "Renamed"
    read_before.save()
    assert texts(survey) == ["How likely…?", "What is the main reason?"]
    read_before.save(update_fields=["name"])
    assert texts(survey) == ["How likely…?", "What is the main reason?"]


def test_a_change_that_bypasses_save_shows_once_the_kept_copy_is_old(survey, monkeypatch):
    texts(survey)
    Question.objects.filter(survey=survey, position=1).update(text="Changed in bulk")
    assert texts(survey) == ["How likely…?", "Why?"], "kept: the stamp did not change"
    later = time.monotonic() + questions_module.KEEP_SECONDS + 1
    monkeypatch.setattr(questions_module.time, "monotonic", lambda: later)
    assert texts(survey) == ["How likely…?", "Changed in bulk"]


def test_kept_questions_hold_no_survey_of_their_own(survey):
    kept = survey_questions(fresh(survey))
    assert all("survey" not in question._state.fields_cache for question in kept)
