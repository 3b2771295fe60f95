"""Events from other systems become invitations through trigger rules; replaying an event does nothing new."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from surveys.models import Event, Invitation
from surveys.services.events import EventInput, EventsRefused, events_ingest
from tests.factories import AccountFactory, ContactFactory, QuestionFactory, TriggerRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(db):
    rule = TriggerRuleFactory(event_type="ticket.closed")
    QuestionFactory(survey=rule.survey, position=0)
    return rule


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def event(external_id="E1", contact="CON-1", **extra):
    return {"external_id": external_id, "type": "ticket.closed", "contact_external_id": contact, **extra}


def test_an_event_matching_a_rule_schedules_one_invitation(rule, contact, admin_user):
    response = api(admin_user).post(reverse("api:events"), event(contact=contact.external_id), format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 1, "duplicates": 0, "invitations": 1}
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.survey, invitation.trigger_rule) == (contact, rule.survey, rule)


def test_the_same_event_twice_makes_one_invitation(rule, contact, admin_user):
    client = api(admin_user)
    client.post(reverse("api:events"), event(contact=contact.external_id), format="json")
    again = client.post(reverse("api:events"), event(contact=contact.external_id), format="json")
    assert again.status_code == 200
    assert again.json() == {"created": 0, "duplicates": 1, "invitations": 0}
    assert Event.objects.count() == Invitation.objects.count() == 1


def test_a_batch_with_repeated_ids_inside_it_stores_each_event_once(rule, contact, admin_user):
    batch = {
        "events": [event("E1", contact.external_id), event("E1", contact.external_id), event("E2", contact.external_id)]
    }
    response = api(admin_user).post(reverse("api:events"), batch, format="json")
    assert response.json() == {"created": 2, "duplicates": 1, "invitations": 2}


def test_the_contact_can_be_named_by_email(rule, contact, admin_user):
    body = {"external_id": "E9", "type": "ticket.closed", "contact_email": "JANE@acme.com"}
    assert api(admin_user).post(reverse("api:events"), body, format="json").status_code == 201
    assert Invitation.objects.get().contact == contact


def test_an_email_shared_by_two_accounts_needs_the_account(rule, admin_user):
    for external_id in ("A1", "A2"):
        ContactFactory(account=AccountFactory(external_id=external_id), email="ops@shared.example")
    body = {"external_id": "E1", "type": "ticket.closed", "contact_email": "ops@shared.example"}
    refused = api(admin_user).post(reverse("api:events"), body, format="json")
    assert refused.status_code == 400
    assert "give account_external_id" in refused.json()["error"]["fields"]["contact"][0]
    body["account_external_id"] = "A2"
    assert api(admin_user).post(reverse("api:events"), body, format="json").status_code == 201


def test_a_bad_item_refuses_the_whole_batch_with_its_position(rule, contact, admin_user):
    batch = {"events": [event("E1", contact.external_id), event("E2", "NOPE")]}
    response = api(admin_user).post(reverse("api:events"), batch, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["events"]["1"]["contact"] == ["no contact with external id 'NOPE'"]
    assert not Event.objects.exists() and not Invitation.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"type": "ticket.closed", "contact_external_id": "X"}, "external_id"),
        ({"external_id": "E1", "type": "Ticket Closed!", "contact_external_id": "X"}, "type"),
        ({"external_id": "E1", "type": "ticket.closed"}, "contact_external_id"),
        ({"external_id": "E1", "type": "ticket.closed", "contact_email": "not-an-email"}, "contact_email"),
        # Send times and expiry are counted from it: the end of the calendar overflowed into a 500.
        (
            {
                "external_id": "E1",
                "type": "ticket.closed",
                "contact_external_id": "X",
                "occurred_at": "9999-12-31T23:00Z",
            },
            "occurred_at",
        ),
        (
            {
                "external_id": "E1",
                "type": "ticket.closed",
                "contact_external_id": "X",
                "occurred_at": "0001-01-01T00:00Z",
            },
            "occurred_at",
        ),
    ],
)
def test_invalid_events_get_a_field_level_error(admin_user, body, field):
    response = api(admin_user).post(reverse("api:events"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_batch_over_1000_is_refused(admin_user):
    batch = {"events": [event(f"E{i}") for i in range(1001)]}
    response = api(admin_user).post(reverse("api:events"), batch, format="json")
    assert response.status_code == 400
    assert "events" in response.json()["error"]["fields"]


def test_rule_conditions_must_all_match(contact):
    rule = TriggerRuleFactory(segments=["Enterprise"], properties={"channel": "phone"})
    contact.account.segment = "Enterprise"
    contact.account.save()
    items = [
        EventInput(
            external_id="E1",
            type="ticket.closed",
            contact_external_id=contact.external_id,
            properties={"channel": "email"},
        ),
        EventInput(
            external_id="E2",
            type="ticket.closed",
            contact_external_id=contact.external_id,
            properties={"channel": "phone"},
        ),
    ]
    result = events_ingest(items=items)
    assert result.invitations == 1
    assert Invitation.objects.get().event.external_id == "E2"
    assert Invitation.objects.get().trigger_rule == rule


def test_a_delay_schedules_the_invitation_later_and_expiry_follows(contact):
    TriggerRuleFactory(delay_minutes=120, expiry_days=7)
    events_ingest(items=[EventInput(external_id="E1", type="ticket.closed", contact_external_id=contact.external_id)])
    invitation = Invitation.objects.get()
    event = invitation.event
    assert round((invitation.scheduled_for - event.occurred_at).total_seconds()) == 7200
    assert (invitation.expires_at - invitation.scheduled_for).days == 7


def test_an_unmatched_event_is_stored_without_invitations(contact):
    result = events_ingest(
        items=[EventInput(external_id="E1", type="order.delivered", contact_external_id=contact.external_id)]
    )
    assert (result.created, result.invitations) == (1, 0)


def test_the_events_api_refuses_anonymous_callers(client):
    response = client.post(reverse("api:events"), {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"


def test_events_ingest_refuses_a_batch_above_the_limit():
    with pytest.raises(EventsRefused):
        events_ingest(
            items=[EventInput(external_id=str(i), type="x", contact_email="a@b.example") for i in range(1001)]
        )
