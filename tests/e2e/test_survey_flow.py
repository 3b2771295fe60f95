"""From a helpdesk event to a customer's answer in a real browser, and on to the staff page that shows it."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from surveys.models import FrequencyRule, Invitation, OutboxMessage, Question, Response, TriggerRule
from surveys.services.responses import MAX_TEXT
from tests.factories import AccountFactory, ContactFactory, SurveyFactory, UserFactory
from vocplatform.models import User

pytestmark = pytest.mark.browser

COMMENT = "Nobody called me back <b>twice</b> & I waited a week."


@pytest.fixture
def setup(site):  # type: ignore[no-untyped-def]
    admin = UserFactory(username="ada", role=User.Role.ADMIN)
    account = AccountFactory(name="Bluebird Ltd")
    ContactFactory(account=account, name="Jane Customer", email="jane@example.com")
    survey = SurveyFactory(status="active", intro="Your ticket was closed. How did we do?")
    nps = Question.objects.create(
        survey=survey, position=0, kind=Question.Kind.NPS, text="How likely are you to recommend us?", required=True
    )
    Question.objects.create(
        survey=survey, position=1, kind=Question.Kind.TEXT, text="Anything to add?", text_detractor="What went wrong?"
    )
    TriggerRule.objects.create(name="Ticket closed", event_type="ticket.closed", survey=survey)
    FrequencyRule.objects.filter(kind=FrequencyRule.Kind.SEND_WINDOW).update(active=False)  # send at any hour
    return admin, nps


def emailed_score_link(admin: User, score: int) -> str:
    api = Client(enforce_csrf_checks=False)
    api.force_login(admin)
    event = {"external_id": "TICKET-1", "type": "ticket.closed", "contact_email": "jane@example.com"}
    created = api.post("/api/v1/events", event, content_type="application/json")
    assert created.status_code == 201, created.content
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT
    assert [m.to for m in mail.outbox] == [["jane@example.com"]]
    html = mail.outbox[0].alternatives[0][0]
    return re.search(rf'href="([^"]+/\?score={score})"', html).group(1)  # type: ignore[union-attr]


def test_a_customer_answers_from_the_email_and_staff_see_it_without_their_name(site, setup, phone: Page, desk: Page):
    admin, nps = setup
    link = emailed_score_link(admin, 3)
    assert link.startswith(f"{site}/s/")

    # The customer clicks "3" in the email: the score is saved at once and shown selected.
    phone.goto(link)
    score = phone.locator(f"#q_{nps.pk}_3")
    expect(score).to_be_checked()
    expect(phone.get_by_text("What went wrong?")).to_be_visible()
    expect(phone.get_by_text("0 = not at all likely")).to_be_visible()
    phone.screenshot(path="/tmp/survey-page.png", full_page=True)
    assert Response.objects.get().score == 3

    # The scale works from the keyboard: arrows move the choice, like any radio group.
    score.focus()
    phone.keyboard.press("ArrowRight")
    expect(phone.locator(f"#q_{nps.pk}_4")).to_be_checked()
    phone.keyboard.press("ArrowLeft")
    expect(score).to_be_checked()

    # A refused answer: the error summary takes the focus, the page keeps what was typed, nothing changes.
    phone.get_by_label("What went wrong?").fill("x" * (MAX_TEXT + 1))
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("alert")).to_be_focused()
    expect(phone.get_by_role("alert")).to_contain_text(f"under {MAX_TEXT:,} characters")
    expect(score).to_be_checked()
    assert Response.objects.get().submitted is False

    phone.get_by_label("What went wrong?").fill(COMMENT)
    consent = phone.get_by_label("You may show my name with my answer")
    expect(consent).not_to_be_checked()
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    assert phone.url == f"{site}/s/{link.split('/s/')[1].split('/')[0]}/thanks/"

    response = Response.objects.get()
    assert (response.score, response.score_band, response.comment) == (3, "detractor", COMMENT)
    assert response.consent_to_attribution is False
    assert response.submitted is True
    assert Invitation.objects.get().status == Invitation.Status.ANSWERED

    # Staff see the comment, but not who wrote it: Jane declined attribution.
    detail = reverse("surveys:response_detail", args=[response.pk])
    desk.goto(f"{site}/auth/login/")
    desk.get_by_label("Username").fill(admin.username)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    expect(desk.get_by_role("button", name="Sign out")).to_be_visible()
    desk.goto(f"{site}{detail}")
    expect(desk.get_by_text(COMMENT)).to_be_visible()
    page_html = desk.content()
    assert "Jane Customer" not in page_html
    assert "jane@example.com" not in page_html
