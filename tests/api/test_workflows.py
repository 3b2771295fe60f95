"""Invitations, responses, loops and health over the API, with the app's rules: consent decides whether
a customer is named, loops change only through the loop services, health and churn are read."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from loops.models import AccountRisk, HealthSnapshot, Loop, Note, PolicyOverride
from loops.services import cases
from surveys.models import Event, Invitation, OutboxMessage, Response
from surveys.services.outbox import outbox_message_build
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


# --- invitations -------------------------------------------------------------------------------


def test_cancelling_an_invitation_expires_its_link_and_stops_its_email(api, manager, contact, nps_survey):
    invitation = InvitationFactory(survey=nps_survey, contact=contact, status=Invitation.Status.SENT)
    message, _ = outbox_message_build(invitation=invitation, kind=OutboxMessage.Kind.REMINDER, sequence=1)
    response = api(manager).post(f"/api/v1/invitations/{invitation.pk}/cancel", format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "expired"
    invitation.refresh_from_db()
    message.refresh_from_db()
    assert invitation.expires_at <= timezone.now() and invitation.next_reminder_at is None
    assert message.status == OutboxMessage.Status.CANCELLED
    again = api(manager).post(f"/api/v1/invitations/{invitation.pk}/cancel", format="json")
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {
        "status": ["Only a scheduled, sent or opened invitation can be cancelled; this one is expired."]
    }


def test_an_anonymous_answer_hides_the_invitations_contact_and_event(api, manager, answer, contact):
    """The event names its contact, so an invitation that hides its contact hides its event too."""
    answered = answer(contact, 9, "Great").invitation
    event = Event.objects.create(
        external_id="T-1", type="ticket.closed", contact=contact, account=contact.account, occurred_at=timezone.now()
    )
    Invitation.objects.filter(pk=answered.pk).update(event=event)
    body = api(manager).get(f"/api/v1/invitations/{answered.pk}").json()
    assert (body["status"], body["contact"], body["event"]) == ("answered", None, None)
    Response.objects.update(consent_to_attribution=True)
    named = api(manager).get(f"/api/v1/invitations/{answered.pk}").json()
    assert (named["contact"]["email"], named["event"]) == ("jane@acme.com", event.pk)


# --- responses -----------------------------------------------------------------------------------


def test_a_response_names_the_customer_only_with_their_consent(api, manager, answer, contact):
    response = answer(contact, 3, "Slow")
    client = api(manager)
    listed = client.get("/api/v1/responses").json()["results"][0]
    assert listed["contact"] is None
    assert "jane" not in str(client.get(f"/api/v1/responses/{response.pk}").json()).lower()
    Response.objects.filter(pk=response.pk).update(consent_to_attribution=True)
    detail = client.get(f"/api/v1/responses/{response.pk}").json()
    assert detail["contact"] == {"name": "Jane Doe", "email": "jane@acme.com"}
    assert [(a["kind"], a["number"], a["text"]) for a in detail["answers"]] == [("nps", 3, ""), ("text", None, "Slow")]
    assert detail["analysis"]["negative"] is True


def test_responses_filter_by_a_whole_theme_name(api, manager, answer, contact):
    billed = answer(contact, 2, "Charged twice on one invoice, and the refund never came.")
    answer(contact, 9, "All good.")
    themes = [theme["name"] for theme in Response.objects.get(pk=billed.pk).analysis.themes]
    assert themes, "the taxonomy finds a theme in the complaint"
    listed = api(manager).get("/api/v1/responses", {"theme": themes[0]}).json()["results"]
    assert [row["id"] for row in listed] == [billed.pk]
    assert api(manager).get("/api/v1/responses", {"theme": themes[0][1:]}).json()["results"] == []


def test_the_export_is_csv_with_names_only_where_consented(api, manager, answer, contact):
    from tests.factories import ContactFactory

    answer(contact, 9, "=HYPERLINK(evil)")
    consenting = answer(ContactFactory(account=contact.account, name="Bo Open", email="bo@acme.com"), 4, "Meh")
    Response.objects.filter(pk=consenting.pk).update(consent_to_attribution=True)
    export = api(manager).get("/api/v1/responses/export", {"band": "promoter"}, HTTP_ACCEPT="text/csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [(r["score"], r["comment"], r["contact_name"]) for r in rows] == [("9", "'=HYPERLINK(evil)", "")]
    everyone = api(manager).get("/api/v1/responses/export")
    rows = list(csv.DictReader(io.StringIO(b"".join(everyone.streaming_content).decode())))
    assert sorted((r["score"], r["contact_name"], r["contact_email"]) for r in rows) == [
        ("4", "Bo Open", "bo@acme.com"),
        ("9", "", ""),
    ]


def test_an_export_error_is_json_whatever_was_accepted(api, manager):
    bad = api(manager).get("/api/v1/responses/export", {"created_after": "soon"}, HTTP_ACCEPT="text/csv")
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/json"
    assert "created_after" in bad.json()["error"]["fields"]


# --- loops ---------------------------------------------------------------------------------------


def test_a_loop_moves_only_forward_and_contacted_needs_a_logged_contact(api, manager, loop):
    client = api(manager)
    skipped = client.post(f"/api/v1/loops/{loop.pk}/status", {"status": "resolved"}, format="json")
    assert skipped.status_code == 400
    assert skipped.json()["error"]["fields"] == {"status": ["A loop that is new cannot become resolved."]}
    early = client.post(f"/api/v1/loops/{loop.pk}/status", {"status": "contacted"}, format="json")
    assert early.json()["error"]["fields"] == {"status": ["Log the customer contact first."]}
    logged = client.post(
        f"/api/v1/loops/{loop.pk}/notes", {"kind": "contact", "channel": "phone", "text": "Called Jane"}, format="json"
    )
    assert logged.status_code == 201 and logged.json()["kind"] == "contact"
    loop.refresh_from_db()
    assert loop.status == Loop.Status.CONTACTED and loop.first_contact_at is not None
    moved = client.post(f"/api/v1/loops/{loop.pk}/status", {"status": "in_progress"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"


def test_notes_and_plan_steps_are_added_through_the_loop_services(api, manager, teammate, loop):
    client = api(manager)
    note = client.post(f"/api/v1/loops/{loop.pk}/notes", {"text": "Escalated to billing"}, format="json")
    assert note.status_code == 201 and note.json()["author"] == "max"
    step = client.post(
        f"/api/v1/loops/{loop.pk}/steps",
        {"description": "Send the credit note", "owner": "tina", "due_on": "2030-01-10"},
        format="json",
    )
    assert step.status_code == 201, step.json()
    assert (step.json()["owner"], step.json()["status"]) == ("tina", "todo")
    assert teammate.notifications.filter(kind="step_assigned").count() == 1, "the service notifies the step's owner"
    detail = client.get(f"/api/v1/loops/{loop.pk}").json()
    assert [s["description"] for s in detail["steps"]] == ["Send the credit note"]
    assert Note.objects.filter(loop=loop, kind=Note.Kind.NOTE).count() == 1
    blank = client.post(
        f"/api/v1/loops/{loop.pk}/steps", {"description": "x", "owner": "ghost", "due_on": "2030-01-01"}, format="json"
    )
    assert blank.json()["error"]["fields"] == {"owner": ["'ghost' is not an active staff member."]}


def test_closing_needs_a_summary_a_root_cause_and_a_reason_without_contact(api, manager, loop):
    client = api(manager)
    refused = client.post(
        f"/api/v1/loops/{loop.pk}/close",
        {"resolution_summary": "Refunded", "root_causes": ["Product defect"]},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "reason": ["No customer contact is logged: say why you close without one."]
    }
    unknown = client.post(
        f"/api/v1/loops/{loop.pk}/close", {"resolution_summary": "x", "root_causes": ["Gremlins"]}, format="json"
    )
    assert "root_causes" in unknown.json()["error"]["fields"]
    closed = client.post(
        f"/api/v1/loops/{loop.pk}/close",
        {
            "resolution_summary": "Refunded",
            "root_causes": ["Product defect"],
            "reason_without_contact": "Customer asked",
        },
        format="json",
    )
    assert closed.status_code == 200, closed.json()
    assert (closed.json()["status"], closed.json()["root_causes"]) == ("closed", ["Product defect"])
    override = PolicyOverride.objects.get(loop=loop)
    assert (override.kind, override.reason, override.actor) == ("close_without_contact", "Customer asked", manager)
    twice = client.post(
        f"/api/v1/loops/{loop.pk}/close", {"resolution_summary": "x", "root_causes": ["Product defect"]}, format="json"
    )
    assert twice.json()["error"]["fields"]["non_field_errors"] == ["This loop is already closed."]


def test_loops_filter_by_status_and_overdue(api, manager, loop):
    client = api(manager)
    assert [row["id"] for row in client.get("/api/v1/loops", {"status": "new"}).json()["results"]] == [loop.pk]
    assert client.get("/api/v1/loops", {"status": "closed"}).json()["results"] == []
    Loop.objects.filter(pk=loop.pk).update(first_contact_due_at=timezone.now() - dt.timedelta(hours=1))
    assert [row["id"] for row in client.get("/api/v1/loops", {"overdue": "true"}).json()["results"]] == [loop.pk]
    assert client.get("/api/v1/loops", {"overdue": "false"}).json()["results"] == []


def test_a_loop_with_every_sla_waived_is_not_overdue(api, manager, supervisor, loop):
    """Waived SLAs leave the loop without a deadline: it is listed as not overdue, not dropped from both lists."""
    for stage in ("first_contact", "resolution"):
        cases.loop_waive_sla(loop_id=loop.pk, actor=supervisor, stage=stage, reason="Customer on holiday")
    client = api(manager)
    assert client.get("/api/v1/loops", {"overdue": "true"}).json()["results"] == []
    assert [row["id"] for row in client.get("/api/v1/loops", {"overdue": "false"}).json()["results"]] == [loop.pk]


# --- health and churn ------------------------------------------------------------------------


def test_health_and_churn_risk_are_read_per_account(api, manager, account):
    today = timezone.localdate()
    for days, score, band in ((40, 80.0, "green"), (0, 42.0, "red")):
        HealthSnapshot.objects.create(
            account=account,
            date=today - dt.timedelta(days=days),
            score=score,
            band=band,
            based_on=3,
            components=[],
            computed_at=timezone.now(),
        )
    AccountRisk.objects.create(
        account=account,
        probability=0.7,
        drivers=[{"feature": "detractors", "effect": 0.4}],
        model_version="v1",
        scored_at=timezone.now(),
    )
    client = api(manager)
    listed = client.get("/api/v1/health", {"band": "red"}).json()["results"]
    assert [(a["external_id"], a["health"], a["band"], a["churn_risk"]) for a in listed] == [
        (account.external_id, 42.0, "red", 0.7)
    ]
    assert client.get("/api/v1/health", {"band": "green"}).json()["results"] == []
    detail = client.get(f"/api/v1/accounts/{account.pk}/health").json()
    assert (detail["latest"]["score"], detail["churn_risk"]["probability"]) == (42.0, 0.7)
    assert [point["band"] for point in detail["history"]] == ["green", "red"]


@pytest.mark.parametrize("url", ["/api/v1/responses", "/api/v1/invitations", "/api/v1/loops", "/api/v1/health"])
def test_list_endpoints_cost_the_same_queries_for_one_row_or_many(api, manager, answer, contact, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AccountFactory, ContactFactory

    client = api(manager)
    answer(contact, 2, "Broken")
    client.get(url)  # the key's last use is written once a minute: do it before counting
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()["results"]) == 1
    for score in (1, 3, 4, 5):
        answer(ContactFactory(account=AccountFactory(owner=manager)), score, "Still broken")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["results"]) == 5
    assert len(many.captured_queries) == len(one.captured_queries)
