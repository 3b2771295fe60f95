"""Closing the loop in a real browser: a manager opens the loop from the queue, logs the first
contact, adds a plan step with an owner and a date, closes it with a root cause and a follow-up;
the customer answers the follow-up and the answer appears on the loop."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from loops.models import Loop
from surveys.models import FrequencyRule, Question
from surveys.services.events import invitation_build
from surveys.services.responses import AnswerInput, response_submit
from tests.factories import AccountFactory, ContactFactory, SurveyFactory, TeamFactory, UserFactory
from vocplatform.models import User

pytestmark = pytest.mark.browser


@pytest.fixture
def detractor_loop(site) -> tuple[User, User, Loop]:  # type: ignore[no-untyped-def]
    FrequencyRule.objects.filter(kind=FrequencyRule.Kind.SEND_WINDOW).update(active=False)  # any hour
    boss = UserFactory(username="sue", role=User.Role.SUPERVISOR)
    team = TeamFactory(name="North", supervisor=boss)
    manager = UserFactory(username="max", first_name="Max", role=User.Role.MANAGER, team=team)
    teammate = UserFactory(username="tina", first_name="Tina", role=User.Role.MANAGER, team=team)
    contact = ContactFactory(account=AccountFactory(name="Bluebird Ltd", owner=manager), email="jane@example.com")
    survey = SurveyFactory()
    nps = Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="Recommend us?")
    text = Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Why?")
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.save()
    response_submit(
        invitation=invitation,
        answers={nps.pk: AnswerInput(number=2), text.pk: AnswerInput(text="The outage cost us a day")},
        consent=False,
    )
    return manager, teammate, Loop.objects.get()


def test_a_manager_closes_the_loop_and_sees_the_customers_follow_up(site, detractor_loop, desk: Page, phone: Page):
    manager, teammate, loop = detractor_loop
    assert loop.owner == manager  # opened for the account's manager, whose queue it is in
    desk.goto(f"{site}/auth/login/")
    desk.get_by_label("Username").fill("max")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()

    # The queue: the loop is there with its deadline; open it.
    desk.get_by_role("link", name="Loops", exact=True).click()
    expect(desk.get_by_role("heading", name="My loops")).to_be_visible()
    desk.get_by_role("link", name="Bluebird Ltd").click()
    expect(desk.get_by_text("The outage cost us a day")).to_be_visible()

    # First contact.
    desk.get_by_label("Channel").select_option("phone")
    desk.get_by_label("What was said").fill("Called Jane, apologised, agreed a credit")
    desk.get_by_role("button", name="Log contact").click()
    expect(desk.get_by_text("Contact logged.")).to_be_visible()
    expect(desk.locator("#loop-status")).to_contain_text("Contacted")

    # A plan step for a teammate, due in a week.
    plan = desk.get_by_role("form", name="Add a plan step")
    plan.get_by_label("Description").fill("Issue the credit note")
    plan.get_by_label("Owner").select_option(label=str(teammate))
    plan.get_by_label("Due on").fill((dt.date.today() + dt.timedelta(days=7)).isoformat())
    plan.get_by_role("button", name="Add step").click()
    expect(desk.get_by_role("cell", name="Issue the credit note")).to_be_visible()

    # Close with a root cause and ask the customer whether it is resolved.
    # (The details form, folded away, offers the root causes too: each label is its own field's.)
    closing = desk.locator("form[action$='/close/']")
    closing.get_by_label("Resolution summary").fill("Credit issued; root cause fixed by engineering")
    closing.get_by_label("Product defect").check()
    closing.get_by_label("Did we resolve your issue?").check()
    closing.get_by_role("button", name="Close loop").click()
    expect(desk.get_by_text("Loop closed.")).to_be_visible()
    expect(desk.locator("#loop-status")).to_contain_text("Closed")
    loop.refresh_from_db()
    assert loop.status == Loop.Status.CLOSED and loop.steps.get().owner == teammate

    # The customer answers the follow-up from the email.
    followup = [m for m in mail.outbox if m.subject == "Did we resolve your issue?"]
    assert [m.to for m in followup] == [["jane@example.com"]]
    link = re.search(r'href="([^"]+/s/[^"/]+/)"', followup[0].alternatives[0][0]).group(1)  # type: ignore[union-attr]
    phone.goto(link)
    phone.get_by_label("Yes").check()
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()

    desk.reload()
    expect(desk.locator("#loop-followup")).to_contain_text("Recovered")
    assert Loop.objects.get().recovered is True
