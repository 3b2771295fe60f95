"""The public survey pages: a customer answers from an email link, with no login and no JavaScript;
the email itself, and opting out."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Invitation, OutboxMessage, Question, Response, Survey
from surveys.services.events import invitation_build
from surveys.services.invitations import invitation_dispatch
from surveys.services.responses import MAX_TEXT
from surveys.services.tokens import token_for
from tests.factories import AccountFactory, ContactFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    survey = SurveyFactory(intro="A few words about your support ticket.", thank_you="Thanks a million!")
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?", required=True)
    Question.objects.create(
        survey=survey,
        position=1,
        kind=Question.Kind.TEXT,
        text="Anything to add?",
        text_detractor="What went wrong?",
        text_promoter="What did you like most?",
    )
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


def answer(token, nps, comment, score="3", text="Slow replies.", consent=None, client=None):
    data = {f"q_{nps.pk}": score, f"q_{comment.pk}": text}
    if consent is not None:
        data["consent"] = consent
    return (client or Client()).post(page(token), data)


# --- showing the survey ----------------------------------------------------------------------


def test_the_survey_page_shows_the_intro_and_every_question(client, token, nps, comment, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get(page(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "A few words about your support ticket." in html
    assert html.count(f'type="radio" id="q_{nps.pk}_') == 11
    assert f'<textarea id="q_{comment.pk}" name="q_{comment.pk}"' in html
    assert "Anything to add?" in html, "without a score the open question has its neutral wording"
    assert "0 = not at all likely" in html
    assert "10 = extremely likely" in html
    assert 'name="consent" value="1"' in html
    assert 'value="1" checked' not in html, "consent is not given by default"
    assert "csrftoken" in response.cookies


def test_a_first_visit_makes_no_query_for_a_stored_answer(client, token, nps, comment):
    # Only an answered invitation has a response; the page of one is checked further down.
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page(token)).status_code == 200
    read = [query["sql"] for query in queries.captured_queries if Response._meta.db_table in query["sql"]]
    assert read == []


def test_opening_the_page_marks_the_invitation_opened(client, token, invitation):
    client.get(page(token))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.OPENED
    assert invitation.opened_at is not None


def test_survey_pages_keep_the_token_out_of_referrers_and_caches(client, token):
    for name in ("survey", "thanks", "unsubscribe"):
        response = client.get(page(token, name))
        assert response["Referrer-Policy"] == "no-referrer", name
        assert response["Cache-Control"] == "no-store", name
    assert client.get(page("nope"))["Referrer-Policy"] == "no-referrer"


# --- the one-click score from the email ---------------------------------------------------------


def test_the_one_click_link_records_the_score_and_selects_it(client, token, invitation, nps):
    response = client.get(page(token) + "?score=3")
    assert response.status_code == 200
    stored = Response.objects.get(invitation=invitation)
    assert (stored.score, stored.score_band, stored.submitted) == (3, "detractor", False)
    html = response.content.decode()
    assert f'id="q_{nps.pk}_3" name="q_{nps.pk}" value="3" checked' in html
    assert "What went wrong?" in html, "the open question is worded for a detractor"
    assert "your score is saved" in html


def test_a_promoter_sees_the_promoter_wording(client, token):
    assert "What did you like most?" in client.get(page(token) + "?score=10").content.decode()


def test_opening_the_same_score_link_again_changes_nothing(client, token, invitation):
    client.get(page(token) + "?score=3")
    client.get(page(token) + "?score=3")
    assert Response.objects.get(invitation=invitation).edits == 0


@pytest.mark.parametrize("bad", ["-1", "11", "9.5", "٩", "abc", "", "003", " 3", "3\n"])
def test_an_invalid_score_in_the_link_records_nothing(client, token, nps, bad):
    response = client.get(page(token), {"score": bad})
    assert response.status_code == 200
    assert not Response.objects.exists()
    html = response.content.decode()
    assert 'role="alert"' in html
    assert f'href="#q_{nps.pk}_0"' in html
    assert " checked" not in html


def test_a_head_request_neither_opens_nor_answers(client, token, invitation):
    # Link checkers in mail systems probe links; only a real visit counts.
    assert client.head(page(token) + "?score=3").status_code == 200
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


# --- submitting ---------------------------------------------------------------------------------


def test_submitting_creates_one_response_with_its_answers_and_consent(token, invitation, nps, comment):
    result = answer(token, nps, comment, score="3", text="Slow replies.", consent="1")
    assert result.status_code == 302
    assert result["Location"] == page(token, "thanks")
    stored = Response.objects.get()
    assert (stored.score, stored.score_band, stored.comment) == (3, "detractor", "Slow replies.")
    assert stored.consent_to_attribution is True
    assert stored.submitted is True
    assert {a.question_id: (a.number, a.text) for a in Answer.objects.all()} == {
        nps.pk: (3, ""),
        comment.pk: (None, "Slow replies."),
    }
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED


def test_a_submit_is_a_fixed_few_queries_and_publishes_one_task(
    token, nps, comment, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    # Throttle, link, questions (read once per process, then kept); then under the invitation's
    # lock: the stored response (none), the response, its answers, the invitation's status (plus
    # the savepoint around them here). On PostgreSQL the lock and the writes are one statement
    # (tests/surveys/test_first_submit_statement.py). Telling webhooks and loops, and the
    # analysis, run in the one task the request publishes.
    with django_capture_on_commit_callbacks() as published, django_assert_max_num_queries(10):
        result = answer(token, nps, comment, score="3", text="Slow replies.")
    assert result.status_code == 302
    assert len(published) == 1


def test_leaving_consent_unticked_declines_attribution(token, nps, comment):
    answer(token, nps, comment)
    assert Response.objects.get().consent_to_attribution is False


def test_the_thank_you_page_shows_the_surveys_text_and_a_way_back(client, token, nps, comment):
    answer(token, nps, comment)
    html = client.get(page(token, "thanks")).content.decode()
    assert "Thanks a million!" in html
    assert f'href="{page(token)}"' in html


def test_a_second_submit_edits_the_same_response(client, token, nps, comment):
    answer(token, nps, comment, score="3", text="Slow.", consent="1")
    answer(token, nps, comment, score="9", text="Sorted out now.")
    stored = Response.objects.get()
    assert (stored.score, stored.score_band, stored.comment, stored.edits) == (9, "promoter", "Sorted out now.", 1)
    assert stored.consent_to_attribution is False
    assert Answer.objects.count() == 2


def test_a_score_from_the_link_then_the_form_is_still_one_response(client, token, nps, comment):
    client.get(page(token) + "?score=2")
    answer(token, nps, comment, score="2", text="Too slow.")
    stored = Response.objects.get()
    assert (stored.score, stored.comment, stored.submitted) == (2, "Too slow.", True)


def test_an_answered_survey_shows_the_answers_to_change(client, token, nps, comment):
    answer(token, nps, comment, score="7", text="Fine overall.", consent="1")
    html = client.get(page(token)).content.decode()
    assert "You can change your answer until the survey closes" in html
    assert f'id="q_{nps.pk}_7" name="q_{nps.pk}" value="7" checked' in html
    assert ">Fine overall.</textarea>" in html
    assert 'name="consent" value="1" checked' in html


def test_a_missing_required_answer_is_refused_and_nothing_is_saved(client, token, nps, comment):
    response = answer(token, nps, comment, score="", text="I skipped the score.")
    assert response.status_code == 200
    assert not Response.objects.exists()
    html = response.content.decode()
    assert 'class="error-summary" id="error-summary" role="alert"' in html
    assert f'<a href="#q_{nps.pk}_0">' in html
    assert "This question needs an answer." in html
    assert ">I skipped the score.</textarea>" in html, "what was typed is kept"


def test_a_required_comment_of_control_characters_only_is_refused(token, nps, comment):
    """Control characters are dropped before the answer is stored, so they alone say nothing."""
    Question.objects.filter(pk=comment.pk).update(required=True)
    response = answer(token, nps, comment, score="3", text="\x01\x02\x7f")
    assert "This question needs an answer." in response.content.decode()
    assert not Response.objects.exists()


def test_an_optional_comment_of_control_characters_only_stores_no_comment(token, nps, comment):
    answer(token, nps, comment, score="3", text="\x01\x02")
    assert list(Answer.objects.values_list("question", flat=True)) == [nps.pk]


def test_a_score_off_the_scale_is_refused(token, nps, comment):
    response = answer(token, nps, comment, score="11")
    assert "Choose a whole number from 0 to 10." in response.content.decode()
    assert not Response.objects.exists()


def test_a_comment_over_the_limit_is_refused(token, nps, comment):
    response = answer(token, nps, comment, text="x" * (MAX_TEXT + 1))
    assert response.status_code == 200
    assert f"under {MAX_TEXT:,} characters" in response.content.decode()
    assert not Response.objects.exists()


def test_a_nul_byte_in_a_comment_is_cleaned_not_a_server_error(token, nps, comment):
    response = answer(token, nps, comment, text="bad\x00byte")
    assert response.status_code == 302
    assert Response.objects.get().comment == "badbyte"


def test_a_comment_is_stored_as_typed_and_shown_escaped(client, token, nps, comment):
    answer(token, nps, comment, text="<script>alert(1)</script> & 'quotes'")
    assert Response.objects.get().comment == "<script>alert(1)</script> & 'quotes'"
    html = client.get(page(token)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x27;quotes&#x27;</textarea>" in html


def test_choice_questions_are_radios_and_checkboxes(client, survey, contact):
    single = Question.objects.create(
        survey=survey, position=2, kind="single", text="Channel?", choices=["Phone", "Chat"]
    )
    multi = Question.objects.create(survey=survey, position=3, kind="multiple", text="What?", choices=["A", "B", "C"])
    invitation = invite(survey, contact)
    token = token_for(invitation.token_nonce)
    html = client.get(page(token)).content.decode()
    assert html.count(f'type="radio" id="q_{single.pk}_') == 2
    assert html.count(f'type="checkbox" id="q_{multi.pk}_') == 3
    nps, text = survey.questions.get(position=0), survey.questions.get(position=1)
    data = {f"q_{nps.pk}": "8", f"q_{text.pk}": "", f"q_{single.pk}": "Chat", f"q_{multi.pk}": ["A", "C"]}
    assert client.post(page(token), data).status_code == 302
    assert Answer.objects.get(question=multi).choices == ["A", "C"]
    assert Answer.objects.get(question=single).choices == ["Chat"]
    refused = client.post(page(token), {**data, f"q_{multi.pk}": ["A", "Z"]})
    assert "Choose from the options shown." in refused.content.decode()
    assert Answer.objects.get(question=multi).choices == ["A", "C"]


# --- CSRF ---------------------------------------------------------------------------------------


def test_the_form_post_needs_the_csrf_token(token, nps, comment):
    browser = Client(enforce_csrf_checks=True)
    refused = answer(token, nps, comment, client=browser)
    assert refused.status_code == 403
    assert "send your answer again" in refused.content.decode()
    assert not Response.objects.exists()


def test_a_browser_post_with_origin_null_and_the_token_is_accepted(token, nps, comment):
    """Under Referrer-Policy: no-referrer browsers send the form with `Origin: null`."""
    browser = Client(enforce_csrf_checks=True)
    browser.get(page(token))
    csrf = browser.cookies["csrftoken"].value
    data = {f"q_{nps.pk}": "5", f"q_{comment.pk}": "", "csrfmiddlewaretoken": csrf}
    assert browser.post(page(token), data, HTTP_ORIGIN="null").status_code == 302
    assert browser.post(page(token), data, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert Response.objects.get().score == 5


# --- links that do not work ---------------------------------------------------------------------


def test_unknown_and_tampered_tokens_get_the_same_404(client, token):
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    bodies = set()
    for bad in ("unknown", tampered, "x" * 200, "<script>", "%00"):
        for name in ("survey", "thanks", "unsubscribe"):
            response = client.get(page(bad, name) + "?score=3")
            assert response.status_code == 404, (bad, name)
            bodies.add(response.content)
    assert len(bodies) == 1
    assert b"<script>" not in bodies.pop()
    assert not Response.objects.exists()


def test_another_invitations_token_with_one_character_changed_is_a_404(client, survey, token):
    other = invite(survey, ContactFactory())
    foreign = token_for(other.token_nonce)
    changed = foreign[:5] + ("a" if foreign[5] != "a" else "b") + foreign[6:]
    assert client.get(page(changed)).status_code == 404
    assert client.post(page(changed), {"consent": "1"}).status_code == 404


def test_an_expired_link_gets_the_same_answer_as_a_forged_one(client, survey, contact):
    expired = invite(survey, contact, expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client.get(page(token_for(expired.token_nonce)) + "?score=3")
    forged = client.get(page("x" * 43) + "?score=3")
    assert response.status_code == forged.status_code == 404
    assert response.content == forged.content
    assert "it has expired" in response.content.decode()
    assert not Response.objects.exists()


def test_a_closed_survey_gets_a_friendly_410(client, survey, token, nps, comment):
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED)
    response = client.get(page(token))
    assert response.status_code == 410
    assert "This survey has closed" in response.content.decode()
    assert answer(token, nps, comment).status_code == 410
    assert not Response.objects.exists()


def test_answers_cannot_change_after_the_survey_closes(client, survey, token, nps, comment):
    answer(token, nps, comment, score="4")
    Survey.objects.filter(pk=survey.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    assert answer(token, nps, comment, score="10").status_code == 410
    assert Response.objects.get().score == 4


# --- unsubscribing ------------------------------------------------------------------------------


def test_the_unsubscribe_page_asks_before_opting_out(client, token, contact):
    response = client.get(page(token, "unsubscribe"))
    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()
    contact.refresh_from_db()
    assert contact.opted_out is False


def test_unsubscribing_opts_the_contact_out_and_stops_reminders(token, contact, invitation):
    response = Client(enforce_csrf_checks=True).post(page(token, "unsubscribe"))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    contact.refresh_from_db()
    invitation.refresh_from_db()
    assert contact.opted_out is True
    assert invitation.next_reminder_at is None


def test_a_mail_clients_one_click_unsubscribe_works_without_csrf(token, contact, invitation):
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        page(token, "unsubscribe"), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    invitation.refresh_from_db()
    assert contact.opted_out is True
    assert invitation.next_reminder_at is None


def test_an_expired_link_still_unsubscribes(client, survey, contact):
    expired = invite(survey, contact, expires_at=timezone.now() - dt.timedelta(days=1))
    assert client.post(page(token_for(expired.token_nonce), "unsubscribe")).status_code == 200
    contact.refresh_from_db()
    assert contact.opted_out is True


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
