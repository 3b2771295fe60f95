"""Hostile input through the survey page, the staff pages and the search box: stored as typed,
shown as text, refused with a message where it cannot be stored, never a server error."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import Invitation, Question, Response, ResponseAnalysis
from surveys.services.events import invitation_build
from surveys.services.responses import clean_text
from surveys.services.tokens import token_for
from tests.factories import SurveyFactory
from tests.security.hostile import CORPUS, NUL, XSS

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    survey = SurveyFactory()
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?", required=True)
    Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Why?")
    return survey


def submit(survey, contact, comment: str, score: str = "2"):  # type: ignore[no-untyped-def]
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.status = Invitation.Status.SENT
    invitation.save()
    nps, text = survey.questions.order_by("position")
    url = reverse("public:survey", args=[token_for(invitation.token_nonce)])
    return invitation, Client().post(url, {f"q_{nps.pk}": score, f"q_{text.pk}": comment})


def raw_markup_in(content: str) -> list[str]:
    """The corpus' tags that appear unescaped (a browser would run or load them)."""
    return [payload for payload in XSS if payload in content]


@pytest.mark.parametrize("payload", CORPUS)
def test_a_hostile_comment_is_stored_as_typed_and_every_staff_page_shows_it_as_text(
    payload, survey, contact, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, posted = submit(survey, contact, payload)
    assert posted.status_code == 302, posted.content[:500]
    response = Response.objects.get()
    assert response.comment == clean_text(payload), "as typed, minus control characters no page can show"
    assert ResponseAnalysis.objects.filter(response=response).exists()
    staff = login(manager)
    pages = [
        reverse("surveys:response_detail", args=[response.pk]),
        reverse("surveys:response_list"),
        reverse("surveys:account_detail", args=[response.account_id]),
    ]
    if hasattr(response, "loop"):
        pages.append(reverse("loops:loop_detail", args=[response.loop.pk]))
    for url in pages:
        page = staff.get(url)
        assert page.status_code == 200, url
        content = page.content.decode()
        assert raw_markup_in(content) == [], url
    detail = staff.get(pages[0]).content.decode()
    assert html.escape(response.comment, quote=False) in detail or html.escape(response.comment) in detail


@pytest.mark.parametrize("payload", [*CORPUS, NUL])
def test_the_search_box_takes_anything_and_answers_with_a_page(payload, manager, contact):
    page = login(manager).get(reverse("surveys:response_list"), {"q": payload})
    assert page.status_code in (200, 400)
    assert raw_markup_in(page.content.decode()) == []


def test_a_customer_typing_a_nul_byte_loses_only_that_character(survey, contact):
    """PostgreSQL cannot store NUL. The survey form does not turn an invisible character into an
    error for the customer: it drops control characters and keeps the rest (the API and the
    importers, where a program sends the bytes, refuse them with a field message instead)."""
    _invitation, posted = submit(survey, contact, NUL)
    assert posted.status_code == 302
    assert Response.objects.get().comment == "beforeafter"


def test_a_one_megabyte_comment_is_refused_before_any_analysis(survey, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _invitation, posted = submit(survey, contact, "word " * 200_000)
    assert posted.status_code == 200 and b"characters" in posted.content
    assert not Response.objects.exists() and not ResponseAnalysis.objects.exists()
    assert callbacks == [], "no analysis task was queued"


def test_a_request_body_over_the_limit_is_a_400_not_a_crash(survey, contact, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_048_576
    _invitation, posted = submit(survey, contact, "x" * 2_000_000)
    assert posted.status_code == 400
    assert not Response.objects.exists()


@pytest.mark.parametrize("score", ["-1", "11", "9.5", "٩", "1e1", "0x5", " 5", "", "NaN"])
def test_scores_off_the_scale_are_refused_on_the_form(score, survey, contact):
    _invitation, posted = submit(survey, contact, "fine", score=score)
    assert posted.status_code == 200, "the form comes back with a message"
    assert not Response.objects.exists()
