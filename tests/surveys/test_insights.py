"""Term associations over a filtered set of comments, and topic discovery with accept-into-taxonomy."""

import pytest
from django.urls import reverse

from conftest import login
from surveys.models import Response, Theme
from tests.surveys.test_comment_search import respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def comments(contact):
    for i in range(6):
        response = respond(contact, f"Still waiting for the refund after {i + 2} weeks, refund please")
        Response.objects.filter(pk=response.pk).update(score_band="detractor", score=2)
    for i in range(6):
        response = respond(contact, f"Great onboarding, the trainer was brilliant ({i})")
        Response.objects.filter(pk=response.pk).update(score_band="promoter", score=10)


def test_detractor_comments_show_what_stands_out_against_the_rest(manager, comments):
    page = login(manager).get(reverse("surveys:term_associations"), {"band": "detractor"})
    report = page.context["report"]
    assert (report.target_size, report.other_size) == (6, 6)
    words = {t.term: t for t in report.words}
    assert (
        words["refund"].target_count == 6
        and words["refund"].other_count == 0
        and words["refund"].lift == pytest.approx(2.0)
    )
    assert "brilliant" not in words
    assert any(t.term == "still waiting" for t in report.phrases) or any("waiting" in t.term for t in report.phrases)


def test_without_a_filter_there_is_nothing_to_compare(manager, comments):
    page = login(manager).get(reverse("surveys:term_associations"))
    assert page.context["report"] is None and b"Pick at least one filter" in page.content


def test_term_associations_only_read_the_viewers_comments(outsider, comments):
    report = login(outsider).get(reverse("surveys:term_associations"), {"band": "detractor"}).context["report"]
    assert (report.target_size, report.other_size, report.words) == (0, 0, [])


def test_an_admin_discovers_topics_and_accepts_one_as_a_theme(admin_user, comments):
    client = login(admin_user)
    page = client.get(reverse("surveys:topic_discovery"), {"days": 30, "topics": 2})
    assert page.status_code == 200 and page.context["candidates"]
    response = client.post(
        reverse("surveys:topic_accept"), {"name": "Refund delays", "keywords": "refund, waiting"}, follow=True
    )
    theme = Theme.objects.get(name="Refund delays")
    assert theme.keywords == ["refund", "waiting"] and theme.discovered
    assert "added to the taxonomy" in response.content.decode()


def test_accepting_a_duplicate_or_empty_theme_explains_why_not(admin_user):
    client = login(admin_user)
    Theme.objects.create(name="Billing twice")
    reply = client.post(reverse("surveys:topic_accept"), {"name": "billing TWICE", "keywords": "x"}, follow=True)
    assert "already exists" in reply.content.decode()
    reply = client.post(reverse("surveys:topic_accept"), {"name": "New", "keywords": " , "}, follow=True)
    assert "at least one keyword" in reply.content.decode()
    assert not Theme.objects.filter(name="New").exists()


def test_a_theme_responses_could_not_tell_apart_from_another_is_refused(admin_user):
    """On responses a "|" in a name reads as "/": Billing|Refunds would share Billing/Refunds' answers."""
    Theme.objects.create(name="Billing/Refunds", keywords=["refund"])
    reply = login(admin_user).post(
        reverse("surveys:topic_accept"), {"name": "billing|refunds", "keywords": "invoice"}, follow=True
    )
    assert "“Billing/Refunds” already exists" in reply.content.decode()
    assert not Theme.objects.filter(name__iexact="billing|refunds").exists()


@pytest.mark.parametrize("field", ["name", "keywords"])
def test_a_control_character_in_an_accepted_theme_is_a_message_not_a_500(admin_user, field):
    """PostgreSQL refuses NUL in text and JSON alike; every database gets the same message."""
    data = {"name": "Parking", "keywords": "parking"} | {field: "Park\x00ing"}
    reply = login(admin_user).post(reverse("surveys:topic_accept"), data, follow=True)
    assert "Use printable characters only." in reply.content.decode()
    assert not Theme.objects.filter(name__startswith="Park").exists()


@pytest.mark.parametrize("who", ["manager", "supervisor", "outsider"])
def test_topic_discovery_is_for_admins(request, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("surveys:topic_discovery")).status_code == 404
    assert client.post(reverse("surveys:topic_accept"), {"name": "x", "keywords": "y"}).status_code == 404
