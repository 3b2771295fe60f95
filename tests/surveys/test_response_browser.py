"""The response browser: visibility, consent to attribution, filters, escaping and a fixed query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import Answer, Invitation, Question, Response
from surveys.services.events import invitation_build
from tests.factories import AccountFactory, ContactFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

CAST_CAN_SEE = {"manager": True, "teammate": False, "supervisor": True, "outsider": False, "admin_user": True}
BAND_OF = {"detractor": 3, "passive": 7, "promoter": 10}


def make_response(contact, *, survey=None, band="detractor", comment="", consent=False, created_at=None, **extra):
    survey = survey or SurveyFactory()
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.status = Invitation.Status.ANSWERED
    invitation.save()
    response = Response.objects.create(
        invitation=invitation,
        survey=survey,
        contact=contact,
        account=contact.account,
        touchpoint=extra.pop("touchpoint", survey.touchpoint),
        score_kind="nps",
        score=BAND_OF[band],
        score_band=band,
        comment=comment,
        consent_to_attribution=consent,
        submitted=True,
    )
    if created_at:
        Response.objects.filter(pk=response.pk).update(created_at=created_at)
    return response


def listed(client, **params):
    """The responses the browser lists for these filters, by pk."""
    page = client.get(reverse("surveys:response_list"), params)
    assert page.status_code == 200
    return {r.pk for r in page.context["page"].object_list}


def detail_url(response):
    return reverse("surveys:response_detail", args=[response.pk])


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("who, allowed", CAST_CAN_SEE.items())
def test_the_response_detail_is_shown_only_to_those_allowed_and_is_404_to_others(request, contact, who, allowed):
    response = make_response(contact, comment="Slow support")
    page = login(request.getfixturevalue(who)).get(detail_url(response))
    assert page.status_code == (200 if allowed else 404)


@pytest.mark.parametrize("who, allowed", CAST_CAN_SEE.items())
def test_the_response_list_shows_only_responses_of_visible_accounts(request, contact, who, allowed):
    make_response(contact, comment="Slow support")
    page = login(request.getfixturevalue(who)).get(reverse("surveys:response_list"))
    assert page.status_code == 200
    assert (b"Acme Corp" in page.content) is allowed
    assert (b"Slow support" in page.content) is allowed


def test_anonymous_visitors_are_sent_to_sign_in_from_the_response_pages(client, contact):
    response = make_response(contact)
    for url in (reverse("surveys:response_list"), detail_url(response)):
        page = client.get(url)
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("login"))


def test_a_missing_response_is_404(manager):
    assert login(manager).get(reverse("surveys:response_detail", args=[999999])).status_code == 404


# --- consent to attribution --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "supervisor", "admin_user"])
def test_a_response_without_consent_never_shows_the_contacts_name_or_email(request, contact, who):
    response = make_response(contact, consent=False, comment="Fine")
    client = login(request.getfixturevalue(who))
    for url in (reverse("surveys:response_list"), detail_url(response)):
        content = client.get(url).content.decode()
        assert "Jane Doe" not in content and "jane@acme.com" not in content, url
        assert reverse("surveys:contact_detail", args=[contact.pk]) not in content, url
    assert "Anonymous (declined attribution)" in client.get(detail_url(response)).content.decode()
    assert "Anonymous" in client.get(reverse("surveys:response_list")).content.decode()


def test_a_response_with_consent_shows_who_answered(manager, contact):
    response = make_response(contact, consent=True)
    client = login(manager)
    assert "Jane Doe" in client.get(reverse("surveys:response_list")).content.decode()
    detail = client.get(detail_url(response)).content.decode()
    assert "Jane Doe" in detail and "jane@acme.com" in detail
    assert "declined attribution" not in detail


# --- the detail page ---------------------------------------------------------------------------


def test_the_detail_lists_every_answer_with_its_question_and_links_the_account(manager, contact):
    survey = SurveyFactory()
    score = QuestionFactory(survey=survey, position=0, text="How likely are you to recommend us?")
    topics = QuestionFactory(
        survey=survey, position=1, kind=Question.Kind.MULTIPLE, text="What mattered?", choices=["Price", "Speed"]
    )
    why = QuestionFactory(survey=survey, position=2, kind=Question.Kind.TEXT, text="Why that score?")
    response = make_response(contact, survey=survey, comment="Too slow")
    Answer.objects.create(response=response, question=score, number=3)
    Answer.objects.create(response=response, question=topics, choices=["Price", "Speed"])
    Answer.objects.create(response=response, question=why, text="Too slow")
    content = login(manager).get(detail_url(response)).content.decode()
    for expected in ("How likely are you to recommend us?", "What mattered?", "Price, Speed", "Why that score?"):
        assert expected in content
    assert content.index("How likely") < content.index("What mattered?") < content.index("Why that score?")
    assert reverse("surveys:account_detail", args=[contact.account.pk]) in content


def test_a_comment_with_markup_is_escaped_in_the_list_and_the_detail(manager, contact):
    response = make_response(contact, comment="<script>alert(1)</script>")
    Answer.objects.create(
        response=response,
        question=QuestionFactory(survey=response.survey, kind=Question.Kind.TEXT),
        text="<script>alert(1)</script>",
    )
    client = login(manager)
    for url in (reverse("surveys:response_list"), detail_url(response)):
        content = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in content, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content, url


def test_a_long_comment_is_cut_short_in_the_list(manager, contact):
    make_response(contact, comment="word " * 200)
    content = login(manager).get(reverse("surveys:response_list")).content.decode()
    assert "word " * 200 not in content
    assert "…" in content


# --- filters -----------------------------------------------------------------------------------


def test_the_date_range_is_read_in_the_viewers_time_zone(manager, contact):
    manager.time_zone = "America/New_York"
    manager.save()
    # 03:00 UTC on the 10th is still the evening of the 9th in New York.
    late = make_response(contact, created_at=dt.datetime(2025, 3, 10, 3, 0, tzinfo=dt.UTC))
    next_day = make_response(contact, created_at=dt.datetime(2025, 3, 10, 15, 0, tzinfo=dt.UTC))
    earlier = make_response(contact, created_at=dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC))
    client = login(manager)
    assert listed(client, **{"from": "2025-03-09", "to": "2025-03-09"}) == {late.pk}
    assert listed(client, **{"from": "2025-03-10"}) == {next_day.pk}
    assert listed(client, to="2025-03-08") == {earlier.pk}
    assert listed(client) == {late.pk, next_day.pk, earlier.pk}


def test_the_band_filter_keeps_only_that_band(manager, contact):
    responses = {band: make_response(contact, band=band) for band in BAND_OF}
    client = login(manager)
    for band, response in responses.items():
        assert listed(client, band=band) == {response.pk}


def test_the_survey_and_touchpoint_filters_narrow_the_list(manager, contact):
    onboarding = make_response(contact, survey=SurveyFactory(touchpoint="onboarding"))
    support = make_response(contact, survey=SurveyFactory(touchpoint="support ticket"))
    client = login(manager)
    assert listed(client, survey=onboarding.survey_id) == {onboarding.pk}
    assert listed(client, touchpoint="support ticket") == {support.pk}


def test_the_segment_region_and_owner_filters_narrow_the_list(supervisor, manager, teammate):
    mine = make_response(ContactFactory(account=AccountFactory(owner=manager, segment="Enterprise", region="EMEA")))
    theirs = make_response(ContactFactory(account=AccountFactory(owner=teammate, segment="SMB", region="APAC")))
    client = login(supervisor)
    assert listed(client, segment="Enterprise") == {mine.pk}
    assert listed(client, region="APAC") == {theirs.pk}
    assert listed(client, owner=teammate.pk) == {theirs.pk}
    assert listed(client, owner=manager.pk, segment="SMB") == set()


def test_nonsense_filter_values_are_ignored(manager, contact):
    response = make_response(contact)
    client = login(manager)
    assert listed(client, band="bogus", survey="x", owner="-1", **{"from": "2025-02-30", "to": "soon"}) == {response.pk}


def test_the_filters_offer_only_what_the_viewer_may_see(manager, outsider, contact):
    make_response(ContactFactory(account=AccountFactory(owner=outsider, segment="Secret", region="Mars")))
    choices = login(manager).get(reverse("surveys:response_list")).context["choices"]
    assert "Secret" not in choices["segments"] and "Mars" not in choices["regions"]
    assert list(choices["owners"]) == [manager]


def test_an_empty_result_says_so_and_offers_to_clear_the_filters(manager, contact):
    make_response(contact, band="promoter")
    content = login(manager).get(reverse("surveys:response_list"), {"band": "detractor"}).content.decode()
    assert "No responses match" in content and "Clear the filters" in content


# --- cost and paging ---------------------------------------------------------------------------


def test_the_response_list_costs_the_same_queries_for_5_or_40_responses(manager):
    survey = SurveyFactory()
    client = login(manager)
    counts = []
    for total in (5, 40):
        for n in range(Response.objects.count(), total):
            account = AccountFactory(owner=manager, segment=f"Segment {n}")
            make_response(ContactFactory(account=account), survey=survey, consent=n % 2 == 0, comment=f"Comment {n}")
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("surveys:response_list"))
        assert len(page.context["page"].object_list) == total
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_list_shows_50_responses_a_page(manager, contact):
    survey = SurveyFactory()
    for _ in range(51):
        make_response(contact, survey=survey)
    client = login(manager)
    assert len(client.get(reverse("surveys:response_list")).context["page"].object_list) == 50
    assert len(client.get(reverse("surveys:response_list"), {"page": 2}).context["page"].object_list) == 1
