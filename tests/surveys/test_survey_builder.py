"""The survey builder and the theme taxonomy (Django admin) refuse what a customer or an analysis
could not use later: options that are not a list of words, and a new kind for an answered question."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from surveys.models import Question, Survey, Theme

pytestmark = pytest.mark.django_db


def theme_form(keywords):
    return {"name": "Late", "description": "", "keywords": keywords, "active": "on"}


@pytest.mark.parametrize("keywords", ["5", '"late"', '{"late": 1}'])
def test_the_theme_admin_refuses_keywords_that_are_not_a_list_of_words(superuser_client, keywords):
    reply = superuser_client.post(reverse("admin:surveys_theme_add"), theme_form(keywords))
    assert not Theme.objects.filter(name="Late").exists(), f"keywords {keywords} saved without a message"
    assert reply.status_code == 200


def test_a_theme_with_a_list_of_keywords_is_saved_and_used(superuser_client, answer, contact):
    reply = superuser_client.post(reverse("admin:surveys_theme_add"), theme_form('["late", "on hold"]'))
    assert reply.status_code == 302
    response = answer(contact, 9, "Such a smooth experience, never on hold")
    response.refresh_from_db()
    assert "|Late|" in response.theme_names


def survey_form(kind, choices, **extra):
    data = {
        "name": "Onboarding",
        "touchpoint": "onboarding",
        "status": "active",
        "intro": "",
        "thank_you": "Thanks",
        "email_subject": "s",
        "email_intro": "",
        "from_name": "",
        "from_email": "",
        "reply_to": "",
        "expiry_days": "14",
        "reminder_count": "1",
        "reminder_interval_days": "3",
        "min_gap_days": "90",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-position": "0",
        "questions-0-kind": kind,
        "questions-0-required": "on",
        "questions-0-text": "How big is your team?",
        "questions-0-text_detractor": "",
        "questions-0-text_passive": "",
        "questions-0-text_promoter": "",
        "questions-0-help_text": "",
        "questions-0-choices": choices,
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    "kind,choices",
    [("single", "[1, 5, 10]"), ("single", "[]"), ("multiple", '"Yes"')],
)
def test_the_survey_builder_refuses_choices_a_customer_could_not_answer(superuser_client, kind, choices):
    reply = superuser_client.post(reverse("admin:surveys_survey_add"), survey_form(kind, choices))
    assert not Survey.objects.filter(name="Onboarding").exists(), f"{kind} question with choices {choices} saved"
    assert reply.status_code == 200


def test_a_survey_with_a_list_of_options_is_saved(superuser_client):
    reply = superuser_client.post(reverse("admin:surveys_survey_add"), survey_form("single", '["1-5", "6-20", "21+"]'))
    assert reply.status_code == 302
    assert Survey.objects.get(name="Onboarding").questions.get().choices == ["1-5", "6-20", "21+"]


@pytest.mark.parametrize(
    ("kind", "choices", "message"),
    [
        ("single", [1, 5], "Give a list of words"),
        ("single", ["Yes", " "], "Give a list of words"),
        ("multiple", [], "at least one option"),
        ("single", ["Yes", "yes"], "Each entry may appear once"),
        ("nps", ["Yes"], "Only a choice question has options"),
    ],
)
def test_options_are_a_list_of_distinct_words_for_choice_questions_only(nps_survey, kind, choices, message):
    question = Question(survey=nps_survey, position=9, kind=kind, text="Which?", choices=choices)
    with pytest.raises(ValidationError, match=message):
        question.full_clean()


def test_changing_the_kind_of_an_answered_question_is_refused(superuser_client, answer, contact, nps_survey):
    response = answer(contact, 9, "Great")
    nps = nps_survey.questions.get(position=0)
    text = nps_survey.questions.get(position=1)
    data = survey_form("text", "[]")
    data.update(
        {
            "name": nps_survey.name,
            "touchpoint": nps_survey.touchpoint,
            "questions-TOTAL_FORMS": "2",
            "questions-INITIAL_FORMS": "2",
            "questions-0-id": str(nps.pk),
            "questions-0-survey": str(nps_survey.pk),
            "questions-0-kind": "csat",  # NPS 0-10 answers become CSAT 1-5 answers
            "questions-0-text": nps.text,
            "questions-1-id": str(text.pk),
            "questions-1-survey": str(nps_survey.pk),
            "questions-1-position": "1",
            "questions-1-kind": "text",
            "questions-1-text": text.text,
            "questions-1-text_detractor": "",
            "questions-1-text_passive": "",
            "questions-1-text_promoter": "",
            "questions-1-help_text": "",
            "questions-1-choices": "[]",
        }
    )
    reply = superuser_client.post(reverse("admin:surveys_survey_change", args=[nps_survey.pk]), data)
    assert "its kind cannot change. Add a new question instead." in reply.content.decode()
    nps.refresh_from_db()
    assert nps.kind == Question.Kind.NPS
    assert response.answers.get(question=nps).number == 9


def test_an_unanswered_question_can_change_kind(nps_survey):
    question = nps_survey.questions.get(position=0)
    question.kind = Question.Kind.CSAT
    question.full_clean()
