"""What a customer meets through an invitation: the survey link (also from an old email or a mail
scanner), the closing date on their own calendar, the email itself, and opting out."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation, OutboxMessage, Question, Response, Survey
from surveys.services.events import invitation_build
from surveys.services.invitations import invitation_dispatch
from surveys.services.tokens import token_for
from tests.factories import AccountFactory, ContactFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    survey = SurveyFactory()
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?", required=True)
    Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Anything to add?")
    return survey


@pytest.fixture
def nps(survey):
    return survey.questions.get(position=0)


@pytest.fixture
def comment(survey):
    return survey.questions.get(position=1)


def invite(survey, contact, **changes):
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.status = Invitation.Status.SENT
    for name, value in changes.items():
        setattr(invitation, name, value)
    invitation.save()
    return invitation


@pytest.fixture
def invitation(survey, contact):
    return invite(survey, contact, next_reminder_at=timezone.now() + dt.timedelta(days=3))


@pytest.fixture
def token(invitation):
    return token_for(invitation.token_nonce)


def page(token, name="survey"):
    return reverse(f"public:{name}", args=[token])


def answer(token, nps, comment, score="3", text="Slow replies.", client=None):
    return (client or Client()).post(page(token), {f"q_{nps.pk}": score, f"q_{comment.pk}": text})


# --- a survey that is not live --------------------------------------------------------------------


def test_a_survey_set_back_to_draft_takes_no_answers(client, survey, token, nps, comment):
    """The outbox stops mailing a survey that is not active ("a survey customers can still answer:
    active…", surveys/services/outbox.py survey_open); its link must not take answers either."""
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.DRAFT)
    assert client.get(page(token) + "?score=3").status_code != 200
    assert answer(token, nps, comment).status_code != 302
    assert not Response.objects.exists()


# --- the one-click score after a finished answer -----------------------------------------------------


def test_an_old_score_link_does_not_silently_change_a_submitted_answer(client, token, nps, comment):
    answer(token, nps, comment, score="2", text="Nobody called me back.")
    stored = Response.objects.get()
    assert (stored.score, stored.submitted) == (2, True)

    # The customer opens the original email again (or a mail scanner follows its links) and a
    # different score button is followed: the finished answer must not change without a submit.
    response = client.get(page(token) + "?score=10")
    assert response.status_code == 200
    stored.refresh_from_db()
    assert (stored.score, stored.score_band, stored.edits) == (2, "detractor", 0)
    # The clicked score is offered on the form: the customer's own button press sends it.
    html = response.content.decode()
    assert f'id="q_{nps.pk}_10" name="q_{nps.pk}" value="10" checked' in html
    assert "Your answer is unchanged" in html


def test_an_old_score_link_before_the_form_was_sent_still_changes_the_clicked_score(client, token, nps):
    client.get(page(token) + "?score=2")
    client.get(page(token) + "?score=8")  # a second button in the same email: nothing was sent yet
    assert Response.objects.values_list("score", "submitted").get() == (8, False)


# --- opting out ---------------------------------------------------------------------------------------


def test_unsubscribing_stops_survey_mail_to_the_same_address_under_another_account(survey, contact, token):
    """The page promises "We will not send you survey emails or reminders any more"; the same person
    (same address) is also a contact of another account, as the hygiene report's shared emails show."""
    other_contact = ContactFactory(account=AccountFactory(), email=contact.email.upper())
    other = invitation_build(survey=survey, contact=other_contact, scheduled_for=timezone.now())
    other.save()

    assert Client().post(page(token, "unsubscribe")).status_code == 200

    invitation_dispatch(invitation_id=other.pk)
    other.refresh_from_db()
    assert other.status == Invitation.Status.SUPPRESSED
    assert not OutboxMessage.objects.filter(invitation=other).exists()


# --- time zones ---------------------------------------------------------------------------------------


def test_the_closing_date_is_shown_in_the_customers_time_zone(client, survey, contact, nps, comment):
    contact.time_zone = "America/Los_Angeles"
    contact.save()
    day = (timezone.now() + dt.timedelta(days=10)).date()
    closes_at = dt.datetime.combine(day, dt.time(3, 0), tzinfo=dt.UTC)  # the evening before, in Los Angeles
    Survey.objects.filter(pk=survey.pk).update(closes_at=closes_at)
    invitation = invite(survey, contact)
    token = token_for(invitation.token_nonce)
    answer(token, nps, comment)

    local = closes_at.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    html = client.get(page(token)).content.decode()
    shown = re.search(r"It closes on ([^.]*)\.", html)
    assert shown is not None
    assert shown.group(1) == f"{local.day} {local:%B} {local.year}"


# --- the invitation email ---------------------------------------------------------------------------


@pytest.fixture
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "noreply@vocplatform.example"


def sent_invitation(survey, contact, django_capture_on_commit_callbacks):
    from surveys.models import FrequencyRule

    FrequencyRule.objects.filter(kind=FrequencyRule.Kind.SEND_WINDOW).update(active=False)
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert invitation_dispatch(invitation_id=invitation.pk) == "sent"
    return invitation


def test_a_sender_name_without_an_address_is_used_with_the_default_address(
    survey, contact, locmem_mail, django_capture_on_commit_callbacks
):
    """Survey.from_name: "Sender name; empty for the default"; from_email: "empty for DEFAULT_FROM_EMAIL"."""
    from django.core import mail

    Survey.objects.filter(pk=survey.pk).update(from_name="Acme Support", from_email="")
    survey.refresh_from_db()
    sent_invitation(survey, contact, django_capture_on_commit_callbacks)
    assert mail.outbox[0].from_email == "Acme Support <noreply@vocplatform.example>"


@pytest.mark.parametrize(
    ("kind", "low_words", "high_words"),
    [(Question.Kind.NPS, "not at all likely", "extremely likely"), (Question.Kind.CSAT, "dissatisfied", "satisfied")],
)
def test_the_one_click_scale_in_the_email_says_what_its_ends_mean_in_both_parts(
    contact, locmem_mail, django_capture_on_commit_callbacks, kind, low_words, high_words
):
    """The survey page explains both ends of every scale; the email's one-click buttons record a
    score at once, so both the HTML and the plain-text part must say which end is good."""
    from django.core import mail

    survey = SurveyFactory()
    Question.objects.create(survey=survey, position=0, kind=kind, text="How did we do?")
    sent_invitation(survey, contact, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    html, text = message.alternatives[0][0], message.body
    assert "?score=" in html and "?score=" in text
    for part in (html, text):
        assert low_words in part and high_words in part


def test_one_click_unsubscribes_relayed_by_one_mail_provider_are_all_honoured(survey, settings, monkeypatch):
    """RFC 8058: the mailbox provider's servers POST the one-click unsubscribe for its users, so many
    customers' opt-outs arrive from one address. A valid link's opt-out must not be refused with a 429."""
    settings.SURVEY_RATE_PER_IP = "60/min"
    import time

    from vocplatform import throttling

    now = time.time()
    monkeypatch.setattr(throttling.time, "time", lambda: now)  # all within one minute's window
    account = AccountFactory()
    tokens = [token_for(invite(survey, ContactFactory(account=account)).token_nonce) for _ in range(61)]
    provider = Client(REMOTE_ADDR="209.85.220.41")
    one_click = "List-Unsubscribe=One-Click"
    statuses = [
        provider.post(page(t, "unsubscribe"), one_click, content_type="application/x-www-form-urlencoded").status_code
        for t in tokens
    ]
    assert statuses.count(429) == 0
    assert not Invitation.objects.filter(contact__opted_out=False).exists()


def test_guessed_unsubscribe_links_are_still_throttled_per_address(survey, token, settings):
    settings.SURVEY_RATE_PER_IP = "3/min"
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    statuses = [guesser.post(page(f"guess{n}", "unsubscribe")).status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    # Over the limit, a real link is refused too: a guess that hits learns nothing new.
    assert guesser.post(page(token, "unsubscribe")).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.8").post(page(token, "unsubscribe")).status_code == 200
