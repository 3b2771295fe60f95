"""The outbox viewer: admins only, the plain text in a <pre>, the HTML only inside a sandboxed srcdoc."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import OutboxMessage
from surveys.services.events import invitation_build
from surveys.services.outbox import outbox_message_build
from tests.factories import ContactFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

HOSTILE_HTML = '<p class="hello">Hello Jane</p><script>alert(1)</script><img src=x onerror="alert(2)">'
IFRAME = re.compile(r"<iframe\b([^>]*)>", re.S)


def message_for(contact, *, status=OutboxMessage.Status.PENDING, **fields):
    invitation = invitation_build(survey=SurveyFactory(), contact=contact, scheduled_for=timezone.now())
    invitation.save()
    defaults = {"kind": OutboxMessage.Kind.INVITATION, "to_email": contact.email, "subject": "How did we do?"}
    return OutboxMessage.objects.create(invitation=invitation, status=status, **(defaults | fields))


def iframe_attributes(content):
    tags = IFRAME.findall(content)
    assert len(tags) == 1, tags
    return {name: html.unescape(value) for name, value in re.findall(r'([a-z-]+)="([^"]*)"', tags[0])}


@pytest.mark.parametrize("who", ["manager", "teammate", "supervisor", "outsider"])
def test_the_outbox_pages_are_404_to_everyone_but_admins(request, contact, who):
    message = message_for(contact)
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("surveys:outbox_list")).status_code == 404
    assert client.get(reverse("surveys:outbox_detail", args=[message.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_from_the_outbox(client, contact):
    message = message_for(contact)
    for url in (reverse("surveys:outbox_list"), reverse("surveys:outbox_detail", args=[message.pk])):
        page = client.get(url)
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("login"))


def test_the_outbox_lists_each_email_with_its_delivery_state(admin_user, contact):
    message_for(
        contact,
        status=OutboxMessage.Status.FAILED,
        subject="Tell us about your ticket",
        attempts=3,
        last_error="SMTP 451 try again later",
    )
    content = login(admin_user).get(reverse("surveys:outbox_list")).content.decode()
    for expected in ("jane@acme.com", "Tell us about your ticket", "Invitation", "Failed", "SMTP 451 try again later"):
        assert expected in content
    assert '<td class="num">3</td>' in content


def test_the_status_filter_narrows_the_outbox(admin_user, contact):
    sent = message_for(contact, status=OutboxMessage.Status.SENT, sent_at=timezone.now())
    message_for(contact, status=OutboxMessage.Status.FAILED)
    page = login(admin_user).get(reverse("surveys:outbox_list"), {"status": "sent"})
    assert [m.pk for m in page.context["page"].object_list] == [sent.pk]


def test_an_empty_outbox_says_so(admin_user):
    assert "No emails match" in login(admin_user).get(reverse("surveys:outbox_list")).content.decode()


def test_the_detail_shows_the_plain_text_in_a_pre(admin_user, contact):
    message = message_for(contact, body_text="Hello Jane,\n<b>not bold</b>")
    content = login(admin_user).get(reverse("surveys:outbox_detail", args=[message.pk])).content.decode()
    assert '<pre class="scroll">Hello Jane,\n&lt;b&gt;not bold&lt;/b&gt;</pre>' in content


def test_the_html_body_appears_only_escaped_inside_a_sandboxed_srcdoc(admin_user, contact):
    message = message_for(contact, body_html=HOSTILE_HTML)
    page = login(admin_user).get(reverse("surveys:outbox_detail", args=[message.pk]))
    content = page.content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "<img src=x" not in content and '<p class="hello">' not in content
    attributes = iframe_attributes(content)
    assert attributes["sandbox"] == ""
    assert attributes["srcdoc"] == HOSTILE_HTML
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_a_real_invitation_email_is_previewed_without_its_markup_going_live(admin_user, contact):
    survey = SurveyFactory()
    QuestionFactory(survey=survey, position=0)
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.save()
    message, _ = outbox_message_build(invitation=invitation, kind=OutboxMessage.Kind.INVITATION, sequence=0)
    content = login(admin_user).get(reverse("surveys:outbox_detail", args=[message.pk])).content.decode()
    preview = iframe_attributes(content)["srcdoc"]
    assert '<table role="presentation"' not in content
    assert "Hello Jane Doe" in content  # the plain-text part
    # The preview shows the email's markup but none of its links, each of which carries the
    # customer's token: a click on a score there would answer the survey for them.
    assert "/s/" in message.body_html and "href=" in message.body_html
    assert "/s/" not in preview and "href" not in preview
    assert preview == re.sub(r' href="[^"]*"', "", message.body_html)
    assert 'aria-label="Score 9">9</a>' in preview


@pytest.mark.parametrize(
    "link",
    ['<a href="/s/x/">', "<a HREF='/s/x/'>", "<a href=/s/x/>", '<a\nhref = "/s/x/">', '<form action="/s/x/">'],
)
def test_a_preview_link_goes_nowhere_however_it_is_written(link):
    from surveys.views.outbox import inert_links

    assert "/s/x/" not in inert_links(link)


def test_the_outbox_costs_the_same_queries_for_5_or_40_emails(admin_user):
    client = login(admin_user)
    counts = []
    for total in (5, 40):
        for _ in range(OutboxMessage.objects.count(), total):
            message_for(ContactFactory())
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("surveys:outbox_list"))
        assert len(page.context["page"].object_list) == total
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
