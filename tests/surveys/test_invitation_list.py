"""The invitation list: visibility, the status and survey filters, why an invitation was suppressed."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import Invitation
from surveys.services.events import invitation_build
from tests.factories import AccountFactory, ContactFactory, SurveyFactory

pytestmark = pytest.mark.django_db

CAST_CAN_SEE = {"manager": True, "teammate": False, "supervisor": True, "outsider": False, "admin_user": True}


def invite(contact, *, survey=None, **fields):
    invitation = invitation_build(survey=survey or SurveyFactory(), contact=contact, scheduled_for=timezone.now())
    for name, value in fields.items():
        setattr(invitation, name, value)
    invitation.save()
    return invitation


def listed(client, **params):
    page = client.get(reverse("surveys:invitation_list"), params)
    assert page.status_code == 200
    return {invitation.pk for invitation in page.context["page"].object_list}


@pytest.mark.parametrize("who, allowed", CAST_CAN_SEE.items())
def test_the_invitation_list_shows_only_invitations_of_visible_accounts(request, contact, who, allowed):
    invitation = invite(contact)
    client = login(request.getfixturevalue(who))
    assert (invitation.pk in listed(client)) is allowed
    assert (b"Acme Corp" in client.get(reverse("surveys:invitation_list")).content) is allowed


def test_anonymous_visitors_are_sent_to_sign_in_from_the_invitation_list(client):
    page = client.get(reverse("surveys:invitation_list"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))


def test_a_suppressed_invitation_names_the_rule_that_stopped_it(manager, contact):
    invite(
        contact,
        status=Invitation.Status.SUPPRESSED,
        suppressed_by=Invitation.Suppression.CONTACT_GAP,
        suppression_detail="Last surveyed 12 days ago",
    )
    content = login(manager).get(reverse("surveys:invitation_list")).content.decode()
    assert "Suppressed" in content
    assert "Contact was surveyed recently" in content
    assert "Last surveyed 12 days ago" in content


def test_the_status_filter_can_pick_out_suppressed_invitations(manager, contact):
    suppressed = invite(contact, status=Invitation.Status.SUPPRESSED, suppressed_by=Invitation.Suppression.OPTED_OUT)
    sent = invite(contact, status=Invitation.Status.SENT, sent_at=timezone.now())
    client = login(manager)
    assert listed(client, status="suppressed") == {suppressed.pk}
    assert listed(client, status="sent") == {sent.pk}
    assert listed(client, status="nonsense") == {suppressed.pk, sent.pk}


def test_the_survey_filter_narrows_the_list(manager, contact):
    onboarding = invite(contact, survey=SurveyFactory(name="Onboarding"))
    invite(contact, survey=SurveyFactory(name="Support"))
    assert listed(login(manager), survey=onboarding.survey_id) == {onboarding.pk}


def test_the_list_shows_when_it_was_sent_opened_and_answered_and_the_reminders(manager, contact):
    manager.time_zone = "Europe/Paris"
    manager.save()
    sent = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.UTC)
    invite(
        contact,
        status=Invitation.Status.ANSWERED,
        sent_at=sent,
        opened_at=sent + dt.timedelta(hours=1),
        answered_at=sent + dt.timedelta(hours=2),
        reminders_sent=2,
    )
    content = login(manager).get(reverse("surveys:invitation_list")).content.decode()
    # Shown in the viewer's time zone (Paris is UTC+2 in June).
    for shown in ("2025-06-02 10:00", "2025-06-02 11:00", "2025-06-02 12:00"):
        assert shown in content
    assert '<td class="num">2</td>' in content


def test_the_invitation_list_costs_the_same_queries_for_5_or_40_invitations(manager):
    client = login(manager)
    counts = []
    for total in (5, 40):
        for n in range(Invitation.objects.count(), total):
            invite(ContactFactory(account=AccountFactory(owner=manager)), survey=SurveyFactory(name=f"Survey {n}"))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("surveys:invitation_list"))
        assert len(page.context["page"].object_list) == total
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_an_answered_invitation_of_an_anonymous_response_hides_the_contact(manager, contact):
    from django.utils import timezone

    from surveys.models import Response, Survey
    from surveys.services.events import invitation_build

    survey = Survey.objects.create(name="Anon", touchpoint="support", status="active")
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.status = "answered"
    invitation.save()
    Response.objects.create(
        invitation=invitation, survey=survey, contact=contact, account=contact.account, touchpoint="support"
    )
    page = login(manager).get(reverse("surveys:invitation_list"))
    assert b"Anonymous (declined attribution)" in page.content
    assert b"Jane Doe" not in page.content and b"jane@acme.com" not in page.content
