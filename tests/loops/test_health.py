"""Account health in the database: recomputed after a response or a loop change through the
sweeper's dirty list, nightly for everyone in a fixed number of queries, explained on a page
that only the account's people can open."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from loops.models import HealthComponent, HealthDirty, HealthSnapshot, Loop
from loops.services.health import health_recompute, health_recompute_dirty, health_scores
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_a_new_response_marks_the_account_and_the_sweeper_recomputes_its_snapshot(answer, contact):
    answer(contact, 10, "Great")
    assert HealthDirty.objects.filter(account=contact.account).exists()
    assert health_recompute_dirty() == [contact.account.pk]
    first = HealthSnapshot.objects.get(account=contact.account)
    assert not HealthDirty.objects.exists()
    answer(contact, 0, "Terrible, the outage lost us a day")
    health_recompute_dirty()
    second = HealthSnapshot.objects.get(account=contact.account)  # same day: the snapshot is updated
    assert second.score < first.score
    scores = {c["key"]: c["score"] for c in second.components}
    assert scores["open-loops"] < 100  # the detractor opened a loop


def test_missing_components_drop_out_and_the_score_says_how_many_it_rests_on(contact):
    quiet = health_scores([contact.account_id])[contact.account_id]
    # No surveys yet: only the loops component (nothing open = 100) has data.
    assert quiet.based_on == 1
    assert quiet.score == 100
    assert {c.key for c in quiet.components if c.score is None} == {"scores", "sentiment", "silence", "recovery"}


def test_an_imported_attribute_scores_on_its_own_scale(contact):
    account = contact.account
    account.custom_attributes = {"logins_per_week": 15}
    account.save()
    HealthComponent.objects.create(
        key="usage", label="Logins", kind="attribute", attribute="logins_per_week", weight=20, zero_at=0, hundred_at=20
    )
    score = health_scores([account.pk])[account.pk]
    assert {c.key: c.score for c in score.components}["usage"] == 75


def test_the_nightly_recompute_costs_the_same_queries_for_few_or_many_accounts(answer):
    def accounts(n):
        for _ in range(n):
            answer(ContactFactory(account=AccountFactory()), 7, "ok")

    accounts(2)
    with CaptureQueriesContext(connection) as few:
        assert health_recompute() == 2
    accounts(20)
    with CaptureQueriesContext(connection) as many:
        assert health_recompute() == 22
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_snapshot_a_month_earlier_gives_the_trend_and_what_moved(answer, contact, manager):
    answer(contact, 10, "Lovely")
    health_recompute(account_ids=[contact.account_id], now=timezone.now() - dt.timedelta(days=31))
    answer(contact, 1, "Awful")
    health_recompute(account_ids=[contact.account_id])
    page = login(manager).get(reverse("loops:account_health", args=[contact.account_id]))
    assert page.status_code == 200
    assert page.context["trend"] < 0
    assert page.context["moved"] and page.context["moved"][0][1] < 0


@pytest.mark.parametrize("who, status", [("manager", 200), ("supervisor", 200), ("teammate", 404), ("outsider", 404)])
def test_only_the_accounts_people_see_its_health(request, contact, who, status):
    browser = login(request.getfixturevalue(who))
    assert browser.get(reverse("loops:account_health", args=[contact.account_id])).status_code == status
    assert browser.post(reverse("loops:account_health_recompute", args=[contact.account_id])).status_code in (
        302 if status == 200 else 404,
    )
    listed = [a.pk for a in browser.get(reverse("loops:health_list")).context["page"].object_list]
    assert (contact.account_id in listed) == (status == 200)


def test_a_loop_waiting_on_the_customer_is_not_overdue_in_the_health_score(answer, contact):
    """Its SLA clock has stopped, as the queue and the accountability report count it."""
    loop = Loop.objects.get(response=answer(contact, 2, "Support never called back"))
    now = timezone.now()
    Loop.objects.filter(pk=loop.pk).update(
        first_contact_at=now - dt.timedelta(days=3),
        resolution_due_at=now - dt.timedelta(hours=1),  # passed while paused
        waiting_since=now - dt.timedelta(days=2),
        status=Loop.Status.IN_PROGRESS,
    )
    score = health_scores([contact.account_id], now=now)[contact.account_id]
    assert {c.key: c.score for c in score.components}["open-loops"] == 85.0  # open, not overdue
    Loop.objects.filter(pk=loop.pk).update(waiting_since=None)
    score = health_scores([contact.account_id], now=now)[contact.account_id]
    assert {c.key: c.score for c in score.components}["open-loops"] == 60.0  # running and overdue
