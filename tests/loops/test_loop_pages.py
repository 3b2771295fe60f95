"""The loop pages: the manager works their loops, the supervisor sees and reassigns the team's,
a teammate or an outsider gets a 404 for every loop page and action, and lists cost a fixed
number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from loops.models import Loop, Notification, PolicyOverride, RootCause
from loops.services import cases

pytestmark = pytest.mark.django_db
SOON = dt.date.today() + dt.timedelta(days=7)

ACTIONS = ["contact", "status", "pause", "resume", "details", "waive", "reassign", "close", "reopen", "note", "step"]


def test_my_loops_lists_the_managers_open_loops_most_urgent_first(client, loop, manager, answer, contact):
    later = Loop.objects.get(response=answer(contact, 4))
    Loop.objects.filter(pk=later.pk).update(first_contact_due_at=loop.first_contact_due_at + dt.timedelta(hours=5))
    page = login(manager).get(reverse("loops:loop_list"))
    assert page.status_code == 200
    assert [row.pk for row in page.context["page"].object_list] == [loop.pk, later.pk]
    assert page.context["counts"]["open"] == 2
    assert b"Acme Corp" in page.content


def test_the_queue_costs_the_same_queries_for_one_loop_or_many(loop, manager, answer, contact):
    browser = login(manager)
    browser.get(reverse("loops:loop_list"))
    with CaptureQueriesContext(connection) as one:
        browser.get(reverse("loops:loop_list"))
    for score in range(6):
        answer(contact, score)
    with CaptureQueriesContext(connection) as seven:
        assert len(browser.get(reverse("loops:loop_list")).context["page"].object_list) == 7
    assert len(seven.captured_queries) == len(one.captured_queries)


def test_the_overdue_filter_shows_only_loops_past_their_deadline(loop, manager, answer, contact):
    late = Loop.objects.get(response=answer(contact, 1))
    Loop.objects.filter(pk=late.pk).update(first_contact_due_at=late.opened_at - dt.timedelta(hours=1))
    page = login(manager).get(reverse("loops:loop_list"), {"overdue": "1"})
    assert [row.pk for row in page.context["page"].object_list] == [late.pk]
    assert page.context["counts"]["overdue"] == 1


def test_an_empty_queue_says_what_will_appear_there(manager):
    page = login(manager).get(reverse("loops:loop_list"))
    assert b"Nothing waiting" in page.content


def test_the_supervisor_sees_the_team_queue_and_can_reassign(loop, supervisor, teammate):
    browser = login(supervisor)
    queue = browser.get(reverse("loops:loop_list"))
    assert [row.pk for row in queue.context["page"].object_list] == [loop.pk]
    refused = browser.post(reverse("loops:loop_action", args=[loop.pk, "reassign"]), {"owner": teammate.pk})
    assert refused.status_code == 400 and b"policy-override log" in refused.content
    done = browser.post(
        reverse("loops:loop_action", args=[loop.pk, "reassign"]), {"owner": teammate.pk, "reason": "Max is away"}
    )
    assert done.status_code == 302
    loop.refresh_from_db()
    assert loop.owner == teammate
    # The new owner can now see and work it.
    assert login(teammate).get(reverse("loops:loop_detail", args=[loop.pk])).status_code == 200


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_someone_elses_loop_is_a_404_on_every_page_and_action(request, loop, who):
    browser = login(request.getfixturevalue(who))
    assert browser.get(reverse("loops:loop_detail", args=[loop.pk])).status_code == 404
    for action in ACTIONS:
        assert browser.post(reverse("loops:loop_action", args=[loop.pk, action]), {}).status_code == 404, action
    step = cases.step_add(loop_id=loop.pk, actor=loop.owner, description="x", owner=loop.owner, due_on=SOON)
    assert browser.post(reverse("loops:step_update", args=[step.pk]), {"status": "done"}).status_code == 404
    assert list(browser.get(reverse("loops:loop_list"), {"scope": "all"}).context["page"].object_list) == []


@pytest.mark.parametrize("who", ["manager", "supervisor", "admin_user"])
def test_the_manager_the_supervisor_and_an_admin_can_open_the_loop(request, loop, who):
    assert login(request.getfixturevalue(who)).get(reverse("loops:loop_detail", args=[loop.pk])).status_code == 200


def test_a_manager_cannot_reassign_someone_elses_loop_even_on_their_own_account(loop, manager, teammate, supervisor):
    cases.loop_reassign(loop_id=loop.pk, actor=supervisor, owner=teammate, reason="cover")
    response = login(manager).post(
        reverse("loops:loop_action", args=[loop.pk, "reassign"]), {"owner": manager.pk, "reason": "mine"}
    )
    assert response.status_code == 404


def test_the_manager_works_the_loop_from_its_page(loop, manager, teammate):
    browser = login(manager)
    page = browser.get(reverse("loops:loop_detail", args=[loop.pk]))
    assert b"Support never called back" in page.content
    assert b"Anonymous (declined attribution)" in page.content and b"jane@acme.com" not in page.content
    browser.post(reverse("loops:loop_action", args=[loop.pk, "contact"]), {"channel": "phone", "text": "Called"})
    browser.post(
        reverse("loops:loop_action", args=[loop.pk, "step"]),
        {"description": "Credit note", "owner": teammate.pk, "due_on": SOON.isoformat()},
    )
    cause = RootCause.objects.get(name="Product defect")
    closed = browser.post(
        reverse("loops:loop_action", args=[loop.pk, "close"]),
        {"resolution_summary": "Patched and credited", "root_causes": [cause.pk]},
    )
    assert closed.status_code == 302
    loop.refresh_from_db()
    assert loop.status == Loop.Status.CLOSED and loop.steps.count() == 1
    timeline = browser.get(reverse("loops:loop_detail", args=[loop.pk])).context["timeline"]
    assert {"contact logged", "plan step added", "closed"} <= {e["action"] for e in timeline}


def test_closing_without_a_root_cause_is_refused_with_the_reason_on_the_form(loop, manager):
    response = login(manager).post(
        reverse("loops:loop_action", args=[loop.pk, "close"]), {"resolution_summary": "Done"}
    )
    assert response.status_code == 400
    assert b"Choose at least one root cause." in response.content
    loop.refresh_from_db()
    assert loop.is_open


def test_the_customers_name_shows_only_with_consent(loop, manager):
    type(loop.response).objects.filter(pk=loop.response_id).update(consent_to_attribution=True)
    page = login(manager).get(reverse("loops:loop_detail", args=[loop.pk]))
    assert b"jane@acme.com" in page.content


def test_every_staff_post_needs_csrf(loop, manager):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    response = browser.post(reverse("loops:loop_action", args=[loop.pk, "note"]), {"text": "hi"})
    assert response.status_code == 403


def test_supervisors_review_the_override_log_and_managers_cannot(loop, manager, supervisor, teammate):
    cases.loop_waive_sla(loop_id=loop.pk, actor=manager, stage="resolution", reason="Customer closed for a month")
    assert login(manager).get(reverse("loops:override_list")).status_code == 404
    browser = login(supervisor)
    page = browser.get(reverse("loops:override_list"))
    assert b"Customer closed for a month" in page.content
    override = PolicyOverride.objects.get()
    browser.post(reverse("loops:override_review", args=[override.pk]))
    override.refresh_from_db()
    assert override.reviewed_by == supervisor
    assert login(teammate).post(reverse("loops:override_review", args=[override.pk])).status_code == 404


def test_notifications_are_listed_and_delivery_is_a_personal_choice(loop, manager):
    browser = login(manager)
    page = browser.get(reverse("loops:notification_list"))
    assert b"New loop for Acme Corp" in page.content
    browser.post(reverse("loops:notification_list"), {"delivery": "digest"})
    assert manager.notification_settings.delivery == "digest"
    done = browser.post(reverse("loops:notification_read"), {"next": "https://evil.example/"})
    assert done.status_code == 302 and done["Location"] == reverse("loops:notification_list")
    assert not Notification.objects.filter(recipient=manager, read_at__isnull=True).exists()
    assert browser.post(reverse("loops:notification_read"), {"next": "/crm/loops/"})["Location"] == "/crm/loops/"
    assert browser.post(reverse("loops:notification_read"), {"next": "foo"})["Location"] == reverse(
        "loops:notification_list"
    )


def test_odd_numbers_in_the_query_or_form_are_ignored_not_a_server_error(loop, manager):
    browser = login(manager)
    for owner in ("²", "٩", "9" * 30, "-1", "abc"):
        assert browser.get(reverse("loops:loop_list"), {"owner": owner, "scope": "all"}).status_code == 200
    assert browser.get(reverse("loops:loop_list"), {"page": "9999"}).status_code == 200
    assert browser.post(reverse("loops:notification_read"), {"id": ["²", "9" * 30]}).status_code == 302


def test_a_plan_step_owner_from_another_team_can_open_the_loop_and_finish_the_step(loop, manager, outsider):
    step = cases.step_add(loop_id=loop.pk, actor=manager, description="Ask legal", owner=outsider, due_on=SOON)
    browser = login(outsider)
    assert browser.get(reverse("loops:loop_detail", args=[loop.pk])).status_code == 200
    assert browser.post(reverse("loops:step_update", args=[step.pk]), {"status": "done"}).status_code == 302
    step.refresh_from_db()
    assert step.status == "done"


def test_nobody_reviews_their_own_override(loop, supervisor, teammate):
    cases.loop_reassign(loop_id=loop.pk, actor=supervisor, owner=teammate, reason="cover")
    override = PolicyOverride.objects.get()
    browser = login(supervisor)
    assert b"cover" not in browser.get(reverse("loops:override_list")).content
    assert browser.post(reverse("loops:override_review", args=[override.pk])).status_code == 404
    override.refresh_from_db()
    assert override.reviewed_at is None


def test_a_resolved_loop_can_be_closed_from_its_page(loop, manager):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.RESOLVED)
    browser = login(manager)
    page = browser.get(reverse("loops:loop_detail", args=[loop.pk]))
    assert b"Close loop" in page.content
    assert loop.pk in [row.pk for row in browser.get(reverse("loops:loop_list")).context["page"].object_list]


def test_watching_a_loop_tells_you_when_it_closes(loop, manager, supervisor):
    login(supervisor).post(reverse("loops:loop_watch", args=[loop.pk]), {"watch": "1"})
    assert list(loop.watchers.all()) == [supervisor]
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_close(
        loop_id=loop.pk, actor=manager, resolution_summary="Done", root_causes=list(RootCause.objects.all()[:1])
    )
    assert supervisor.notifications.filter(kind="loop_closed").count() == 1


def test_your_overdue_plan_steps_are_shown_above_the_queue(loop, manager, teammate):
    cases.step_add(
        loop_id=loop.pk,
        actor=manager,
        description="Send the credit note",
        owner=teammate,
        due_on=dt.date.today() - dt.timedelta(days=2),
    )
    assert b"Send the credit note" in login(teammate).get(reverse("loops:loop_list")).content
    assert b"Your overdue plan steps" not in login(manager).get(reverse("loops:loop_list")).content


def test_a_plan_step_of_a_closed_loop_shows_its_status_and_refuses_changes_with_a_message(loop, manager):
    step = cases.step_add(loop_id=loop.pk, actor=manager, description="Refund", owner=manager, due_on=SOON)
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    causes = list(RootCause.objects.filter(name="Slow or unhelpful support"))
    cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Refunded", root_causes=causes)
    browser = login(manager)
    page = browser.get(reverse("loops:loop_detail", args=[loop.pk]))
    assert reverse("loops:step_update", args=[step.pk]) not in page.content.decode()
    answer = browser.post(reverse("loops:step_update", args=[step.pk]), {"status": "done", "due_on": ""}, follow=True)
    assert answer.status_code == 200
    assert "This loop is closed; reopen it to change its plan." in [str(m) for m in answer.context["messages"]]
    step.refresh_from_db()
    assert step.status == "todo"


def test_the_queue_never_calls_a_resolved_loop_overdue(loop, manager):
    """A loop resolved on time waits in the queue to be closed; its deadline passing later makes it
    neither overdue in the filter nor red in the list, as the overdue count already says."""
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.RESOLVED)
    Loop.objects.filter(pk=loop.pk).update(resolution_due_at=timezone.now() - dt.timedelta(hours=1))
    browser = login(manager)
    overdue = browser.get(reverse("loops:loop_list"), {"overdue": "1"})
    assert overdue.context["counts"]["overdue"] == 0
    assert list(overdue.context["page"].object_list) == []
    listed = browser.get(reverse("loops:loop_list"))
    assert [row.pk for row in listed.context["page"].object_list] == [loop.pk]
    assert 'class="badge bad">overdue' not in listed.content.decode()
    assert 'class="badge ok">Resolved' in listed.content.decode()
