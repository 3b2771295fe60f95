"""Every response is analysed after it commits: sentiment, the negative flag with its reason and
the scorer or model version that decided it, and themes; re-analysis overwrites, never duplicates."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.analytics.negative_model import train_negative_model
from surveys.analytics.themes import train_theme_classifier
from surveys.models import Question, Response, ResponseAnalysis, TextModel, Theme
from surveys.services.analysis import response_analyse, responses_awaiting_analysis
from surveys.services.events import invitation_build
from surveys.services.responses import AnswerInput, response_submit
from surveys.services.text_models import model_dumps
from tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    survey = SurveyFactory()
    QuestionFactory(survey=survey, position=0, kind=Question.Kind.NPS)
    QuestionFactory(survey=survey, position=1, kind=Question.Kind.TEXT, text="Tell us more")
    return survey


def answer(survey, contact, score, comment, capture):
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.save()
    nps, text = survey.questions.order_by("position")
    with capture(execute=True):
        response = response_submit(
            invitation=invitation,
            answers={nps.pk: AnswerInput(number=score), text.pk: AnswerInput(text=comment)},
            consent=False,
        )
    return ResponseAnalysis.objects.get(response=response)


def test_a_detractor_is_flagged_by_its_score_and_its_words(survey, contact, django_capture_on_commit_callbacks):
    analysis = answer(
        survey, contact, 2, "Waited three weeks for a refund, still nothing", django_capture_on_commit_callbacks
    )
    assert analysis.negative
    assert analysis.reason.startswith("detractor score (NPS 2)")
    assert analysis.model_version.startswith("lexicon:")
    assert analysis.sentiment < 0
    assert "Billing" in [theme["name"] for theme in analysis.themes]
    response = analysis.response
    response.refresh_from_db()
    # The names on the response, where filters and reports read them; its last change is untouched.
    assert response.theme_names.startswith("|") and "|Billing|" in response.theme_names
    assert response.updated_at < analysis.analysed_at


def test_a_promoters_mild_grumble_is_not_a_negative_flag(survey, contact, django_capture_on_commit_callbacks):
    analysis = answer(
        survey, contact, 9, "Invoices are clear and always on time, no complaints.", django_capture_on_commit_callbacks
    )
    assert not analysis.negative


def test_a_promoter_score_with_an_angry_comment_is_still_flagged(survey, contact, django_capture_on_commit_callbacks):
    text = "Honestly the worst support I have ever had, rude and useless, I want to cancel"
    analysis = answer(survey, contact, 9, text, django_capture_on_commit_callbacks)
    assert analysis.negative and "text:" in analysis.reason


def test_a_score_without_a_comment_is_judged_by_the_score_alone(survey, contact, django_capture_on_commit_callbacks):
    analysis = answer(survey, contact, 3, "", django_capture_on_commit_callbacks)
    assert analysis.negative and analysis.model_version == "score only" and analysis.sentiment is None


def test_a_repeated_analysis_task_does_nothing_while_the_analysis_is_current(
    survey, contact, django_capture_on_commit_callbacks
):
    analysis = answer(survey, contact, 8, "Fine overall", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False) as announced:
        response_analyse(response_id=analysis.response_id)
    assert announced == [], "nothing new to tell the alert rules"
    assert ResponseAnalysis.objects.get().runs == 1


def test_a_changed_response_or_a_forced_reanalysis_updates_the_same_row(
    survey, contact, django_capture_on_commit_callbacks
):
    analysis = answer(survey, contact, 8, "Fine overall", django_capture_on_commit_callbacks)
    response_analyse(response_id=analysis.response_id, again=True)
    assert ResponseAnalysis.objects.get().runs == 2
    Response.objects.filter(pk=analysis.response_id).update(updated_at=timezone.now() + dt.timedelta(seconds=1))
    response_analyse(response_id=analysis.response_id)
    assert ResponseAnalysis.objects.count() == 1
    assert ResponseAnalysis.objects.get().runs == 3


def test_an_active_trained_model_decides_the_text_and_names_its_version(
    survey, contact, django_capture_on_commit_callbacks
):
    texts = [f"terrible slow refund never came {i}" for i in range(30)] + [
        f"great lovely fast helpful {i}" for i in range(30)
    ]
    model = train_negative_model(texts, [True] * 30 + [False] * 30, version="neg-test-1", threshold_folds=0)
    TextModel.objects.create(kind="negative", version="neg-test-1", blob=model_dumps(model), training_size=60)
    analysis = answer(survey, contact, 7, "the refund never came and it was slow", django_capture_on_commit_callbacks)
    assert analysis.negative and analysis.model_version == "model:neg-test-1"
    assert analysis.reason.startswith("text: model p=")


def test_responses_whose_analysis_was_lost_are_found_by_the_sweeper(
    survey, contact, django_capture_on_commit_callbacks
):
    analysis = answer(survey, contact, 5, "meh", django_capture_on_commit_callbacks)
    response = analysis.response
    analysis.delete()
    later = timezone.now() + dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS + 1)
    assert responses_awaiting_analysis(now=later) == [response.pk]
    response_analyse(response_id=response.pk)
    assert responses_awaiting_analysis(now=later) == []


def test_the_response_page_shows_which_scorer_flagged_it(survey, contact, manager, django_capture_on_commit_callbacks):
    analysis = answer(survey, contact, 1, "Awful", django_capture_on_commit_callbacks)
    page = login(manager).get(reverse("surveys:response_detail", args=[analysis.response_id]))
    assert b"Flagged by" in page.content and analysis.model_version.encode() in page.content


@pytest.fixture
def theme_classifier(db):
    """A classifier trained on two themes, active in the database."""
    texts = [f"the invoice charge was wrong again {i}" for i in range(12)]
    texts += [f"support agent on the phone was rude {i}" for i in range(12)]
    model = train_theme_classifier(
        texts, [{"Billing"}] * 12 + [{"Support"}] * 12, version="themes-t1", internal_folds=0
    )
    TextModel.objects.create(kind="themes", version="themes-t1", blob=model_dumps(model), training_size=24)
    return model


def test_a_theme_the_admin_retires_is_no_longer_given_even_by_the_classifier(
    theme_classifier, survey, contact, django_capture_on_commit_callbacks
):
    Theme.objects.update_or_create(name="Billing", defaults={"active": True, "keywords": ["invoice"]})
    analysis = answer(survey, contact, 5, "the invoice charge was wrong", django_capture_on_commit_callbacks)
    assert analysis.response.theme_names == "|Billing|"
    Theme.objects.filter(name="Billing").update(active=False)
    response_analyse(response_id=analysis.response_id, again=True)
    analysis.response.refresh_from_db()
    assert "|Billing|" not in analysis.response.theme_names


def test_an_active_theme_the_classifier_never_learned_is_found_by_its_keywords(
    theme_classifier, survey, contact, django_capture_on_commit_callbacks
):
    """Accepted from topic discovery after the last training, say: the taxonomy has the last word."""
    Theme.objects.create(name="Parking", keywords=["parking", "car park"])
    analysis = answer(
        survey, contact, 5, "No parking at all, the car park was full", django_capture_on_commit_callbacks
    )
    assert "|Parking|" in analysis.response.theme_names
    parking = next(theme for theme in analysis.themes if theme["name"] == "Parking")
    assert parking["source"] == "keywords"


def test_reanalysis_refuses_a_since_that_is_not_a_date():
    with pytest.raises(CommandError, match="give a date as YYYY-MM-DD"):
        call_command("reanalyze_responses", since="last week", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("change", ["delete", "rename"])
def test_a_theme_deleted_or_renamed_in_the_taxonomy_is_no_longer_given_under_its_old_name(
    theme_classifier, survey, contact, change, django_capture_on_commit_callbacks
):
    Theme.objects.update_or_create(name="Billing", defaults={"active": True, "keywords": []})
    billing = Theme.objects.filter(name="Billing")
    billing.delete() if change == "delete" else billing.update(name="Invoices")
    analysis = answer(survey, contact, 5, "the invoice charge was wrong", django_capture_on_commit_callbacks)
    assert "|Billing|" not in analysis.response.theme_names


def test_training_adds_the_themes_it_learned_to_the_taxonomy(contact):
    """So that an admin can retire, rename or delete a learned theme like any other."""
    from surveys.models import LabelledComment
    from surveys.services.text_training import text_models_train

    rows = [(f"the invoice charge was wrong again {i}", True, "Invoices") for i in range(20)]
    rows += [(f"support on the phone was rude {i}", True, "support") for i in range(20)]
    rows += [(f"lovely team, quick answers {i}", False, "") for i in range(20)]
    for text, negative, theme in rows:
        LabelledComment.objects.create(text=text, negative=negative, theme=theme, source="import")
    assert Theme.objects.filter(name="Support").exists()  # seeded: "support" is that one
    report = text_models_train(folds=0)
    assert report.notes == ["Themes learned from the labels, added to the taxonomy: Invoices."]
    assert Theme.objects.get(name="Invoices").active
    assert not Theme.objects.filter(name="support").exists()
