"""Searching comments: stemmed full-text search on PostgreSQL, word match on SQLite; matches marked, text escaped."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import Response
from surveys.selectors.search import highlighted
from surveys.services.events import invitation_build
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db


def respond(contact, comment, survey=None):
    survey = survey or SurveyFactory()
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.save()
    return Response.objects.create(
        invitation=invitation,
        survey=survey,
        contact=contact,
        account=contact.account,
        touchpoint="support",
        comment=comment,
        submitted=True,
    )


def test_search_finds_comments_by_their_words_and_highlights_them(manager, contact):
    respond(contact, "I asked for a refund three times")
    respond(contact, "Lovely onboarding")
    page = login(manager).get(reverse("surveys:response_list"), {"q": "refund"})
    rows = list(page.context["page"].object_list)
    assert [r.comment for r in rows] == ["I asked for a refund three times"]
    assert b"<mark>refund</mark>" in page.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming needs PostgreSQL full-text search")
def test_postgres_search_matches_other_forms_of_a_word(manager, contact):
    respond(contact, "They cancelled my flight and I was waiting for hours")
    rows = login(manager).get(reverse("surveys:response_list"), {"q": "cancel wait"}).context["page"].object_list
    assert len(rows) == 1


def test_html_in_a_comment_stays_text_around_the_highlight(manager, contact):
    respond(contact, "<script>alert('refund')</script> no refund <b>yet</b>")
    page = login(manager).get(reverse("surveys:response_list"), {"q": "refund"})
    assert b"<script>alert" not in page.content
    assert b"&lt;script&gt;" in page.content and b"<mark>refund</mark>" in page.content


def test_highlight_escapes_first_then_marks():
    assert str(highlighted("a <i>refund</i> & more", "refund")) == "a &lt;i&gt;<mark>refund</mark>&lt;/i&gt; &amp; more"


def test_search_respects_visibility(outsider, contact):
    respond(contact, "refund please")
    assert not login(outsider).get(reverse("surveys:response_list"), {"q": "refund"}).context["page"].object_list


def test_an_empty_or_symbol_only_query_does_not_fail(manager, contact):
    respond(contact, "refund please")
    client = login(manager)
    assert client.get(reverse("surveys:response_list"), {"q": "   "}).status_code == 200
    assert client.get(reverse("surveys:response_list"), {"q": "'); DROP TABLE x;--"}).status_code == 200
