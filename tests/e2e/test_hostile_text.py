"""Hostile comments in a real browser: the customer types script and markup into the survey, a
manager opens every page that shows it, and no script runs (no dialog fires), no element is
injected, and the words appear as typed."""

import pytest
from django.utils import timezone
from playwright.sync_api import Dialog, Page

from conftest import PASSWORD
from loops.models import Loop
from surveys.models import FrequencyRule, Question, Response
from surveys.services.events import invitation_build
from surveys.services.tokens import token_for
from tests.factories import AccountFactory, ContactFactory, SurveyFactory, UserFactory
from tests.security.hostile import XSS
from vocplatform.models import User

pytestmark = pytest.mark.browser

COMMENT = " ".join(XSS)


def test_script_typed_by_a_customer_never_runs_on_any_page(site, browser):  # type: ignore[no-untyped-def]
    FrequencyRule.objects.filter(kind=FrequencyRule.Kind.SEND_WINDOW).update(active=False)
    manager = UserFactory(username="max", role=User.Role.MANAGER)
    contact = ContactFactory(account=AccountFactory(name="Bluebird Ltd", owner=manager))
    survey = SurveyFactory()
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="Recommend us?")
    Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Why?")
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.save()

    dialogs: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page: Page = context.new_page()

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # The customer types the payloads into the real survey form.
    page.goto(f"{site}/s/{token_for(invitation.token_nonce)}/")
    page.get_by_label("2", exact=True).check()
    page.locator("textarea").fill(COMMENT)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/thanks/")
    response = Response.objects.get()
    assert response.comment == COMMENT
    loop = Loop.objects.get(response=response)

    page.goto(f"{site}/auth/login/")
    page.get_by_label("Username").fill("max")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in (
        f"/crm/responses/{response.pk}/",
        "/crm/responses/",
        "/crm/responses/?q=click",
        f"/crm/accounts/{response.account_id}/",
        f"/crm/loops/{loop.pk}/",
        "/crm/loops/",
    ):
        page.goto(f"{site}{path}")
        page.wait_for_load_state("load")
        assert page.locator("main").count() == 1, path
        injected = page.evaluate(
            "() => document.querySelectorAll('main script, main img[src=x], main svg[onload], main iframe').length"
        )
        assert injected == 0, path
        assert dialogs == [], (path, dialogs)
    page.goto(f"{site}/crm/responses/{response.pk}/")
    assert "<script>alert('xss-script')</script>" in page.locator("main").inner_text()
    context.close()
