"""Uploading a CSV of events: all or nothing, every bad line reported, a replay stores nothing new."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import login
from surveys.models import Event, Invitation
from surveys.services.events import EventInput, events_ingest
from tests.factories import AccountFactory, ContactFactory, QuestionFactory, TriggerRuleFactory

pytestmark = pytest.mark.django_db

HEADER = "external_id,type,contact_external_id,contact_email,account_external_id,occurred_at,channel\n"
CAST_CAN_SEE = {"manager": True, "teammate": False, "supervisor": True, "outsider": False, "admin_user": True}


@pytest.fixture
def rule(db):
    rule = TriggerRuleFactory(event_type="ticket.closed")
    QuestionFactory(survey=rule.survey, position=0)
    return rule


def upload(client, content, name="events.csv"):
    file = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return client.post(reverse("surveys:event_upload"), {"file": file}, follow=True)


def good_file(contact):
    return (
        HEADER
        + f"T-1,ticket.closed,{contact.external_id},,,2025-05-01T14:30:00+02:00,phone\n"
        + f"T-2,ticket.closed,,JANE@acme.com,{contact.account.external_id},,\n"
        + f"O-1,order.delivered,{contact.external_id},,,,\n"
    )


# --- who may upload and list -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "teammate", "supervisor", "outsider"])
def test_the_event_upload_is_404_to_everyone_but_admins(request, contact, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("surveys:event_upload")).status_code == 404
    assert upload(client, good_file(contact)).status_code == 404
    assert not Event.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_from_the_event_pages(client):
    for url in (reverse("surveys:event_upload"), reverse("surveys:event_list")):
        page = client.get(url)
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who, allowed", CAST_CAN_SEE.items())
def test_the_event_list_shows_only_events_of_visible_accounts(request, contact, who, allowed):
    events_ingest(items=[EventInput(external_id="T-77", type="ticket.closed", contact_external_id=contact.external_id)])
    page = login(request.getfixturevalue(who)).get(reverse("surveys:event_list"))
    assert page.status_code == 200
    assert (b"T-77" in page.content) is allowed


# --- a good file -------------------------------------------------------------------------------


def test_a_good_file_stores_its_events_and_schedules_invitations(admin_user, contact, rule):
    page = upload(login(admin_user), good_file(contact))
    assert page.redirect_chain[-1][0] == reverse("surveys:event_list")
    assert "3 events stored, 0 duplicates skipped, 2 invitations scheduled" in page.content.decode()
    assert set(Event.objects.values_list("external_id", flat=True)) == {"T-1", "T-2", "O-1"}
    assert set(Event.objects.values_list("source", flat=True)) == {Event.Source.CSV}
    first = Event.objects.get(external_id="T-1")
    assert first.properties == {"channel": "phone"}
    assert first.occurred_at == dt.datetime(2025, 5, 1, 12, 30, tzinfo=dt.UTC)
    assert Event.objects.get(external_id="T-2").properties == {}
    assert set(Invitation.objects.values_list("event__external_id", flat=True)) == {"T-1", "T-2"}
    assert all(invitation.trigger_rule == rule for invitation in Invitation.objects.all())


def test_cells_left_off_the_end_of_a_row_are_blank(admin_user, contact):
    """Hand-written files drop trailing empty cells; a property column left off is simply not given."""
    content = "external_id,type,contact_external_id,channel\n" + "".join(
        f"T-{n},ticket.closed,{contact.external_id}{cell}\n" for n, cell in ((1, ",phone"), (2, ""))
    )
    page = upload(login(admin_user), content)
    assert "2 events stored" in page.content.decode()
    assert dict(Event.objects.values_list("external_id", "properties")) == {"T-1": {"channel": "phone"}, "T-2": {}}


def test_a_time_without_an_offset_is_read_in_the_uploaders_time_zone(admin_user, contact):
    admin_user.time_zone = "Asia/Tokyo"
    admin_user.save()
    upload(login(admin_user), HEADER + f"T-1,ticket.closed,{contact.external_id},,,2025-05-01T09:00:00,\n")
    assert Event.objects.get().occurred_at == dt.datetime(2025, 5, 1, 0, 0, tzinfo=dt.UTC)


def test_replaying_the_same_file_skips_every_event_and_invites_nobody_again(admin_user, contact, rule):
    client = login(admin_user)
    upload(client, good_file(contact))
    page = upload(client, good_file(contact))
    assert "0 events stored, 3 duplicates skipped, 0 invitations scheduled" in page.content.decode()
    assert Event.objects.count() == 3
    assert Invitation.objects.count() == 2


# --- bad files ---------------------------------------------------------------------------------


def test_an_unknown_contact_stores_nothing_and_names_its_line(admin_user, contact, rule):
    content = good_file(contact) + "T-3,ticket.closed,NOPE,,,,\n"
    page = upload(login(admin_user), content)
    assert page.status_code == 200
    assert "line 5: contact: no contact with external id &#x27;NOPE&#x27;" in page.content.decode()
    assert "Nothing was stored" in page.content.decode()
    assert not Event.objects.exists() and not Invitation.objects.exists()


def test_every_bad_line_is_reported_with_its_field(admin_user, contact):
    content = (
        HEADER
        + f",ticket.closed,{contact.external_id},,,,\n"
        + f"T-2,,{contact.external_id},,,yesterday,\n"
        + "T-3,ticket.closed,,,,,\n"
        + "T-4,Ticket Closed!,,not-an-email,,,\n"
    )
    text = upload(login(admin_user), content).content.decode()
    for expected in (
        "line 2: external_id: This field may not be blank.",
        "line 3: type: This field may not be blank.",
        "line 3: occurred_at: Datetime has wrong format.",
        "line 4: contact_external_id: Give contact_external_id or contact_email.",
        "line 5: type: This value does not match the required pattern.",
        "line 5: contact_email: Enter a valid email address.",
    ):
        assert expected in text
    assert not Event.objects.exists()


def test_line_numbers_count_blank_lines_in_the_file(admin_user, contact):
    content = HEADER + f"T-1,ticket.closed,{contact.external_id},,,,\n\n" + "T-2,ticket.closed,NOPE,,,,\n"
    assert "line 4: contact:" in upload(login(admin_user), content).content.decode()


def test_a_header_without_the_required_columns_is_refused(admin_user):
    text = upload(login(admin_user), "id,kind\n1,x\n").content.decode()
    assert "The header lacks external_id, type." in text


def test_a_file_over_1000_events_is_refused_and_stores_nothing(admin_user, contact):
    rows = "".join(f"T-{n},ticket.closed,{contact.external_id},,,,\n" for n in range(1001))
    text = upload(login(admin_user), HEADER + rows).content.decode()
    assert "The file holds 1001 events; upload at most 1000 per file." in text
    assert not Event.objects.exists()


def test_a_file_of_exactly_1000_events_is_accepted(admin_user, contact):
    rows = "".join(f"T-{n},ticket.closed,{contact.external_id},,,,\n" for n in range(1000))
    assert "1000 events stored" in upload(login(admin_user), HEADER + rows).content.decode()


def test_a_file_that_is_not_utf8_is_refused(admin_user):
    file = SimpleUploadedFile("events.csv", "external_id,type\nT-1,caf\xe9\n".encode("latin-1"))
    page = login(admin_user).post(reverse("surveys:event_upload"), {"file": file})
    assert "not UTF-8" in page.content.decode()
    assert not Event.objects.exists()


# --- the list ----------------------------------------------------------------------------------


def test_the_event_list_costs_the_same_queries_for_5_or_40_events(manager, rule):
    client = login(manager)
    counts = []
    for total in (5, 40):
        for n in range(Event.objects.count(), total):
            contact = ContactFactory(account=AccountFactory(owner=manager))
            events_ingest(
                items=[EventInput(external_id=f"E{n}", type="ticket.closed", contact_external_id=contact.external_id)]
            )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("surveys:event_list"))
        assert len(page.context["page"].object_list) == total
        assert all(event.invitation_count == 1 for event in page.context["page"].object_list)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
