"""A health recompute (the dirty sweeper) that overlaps a response's analysis or a loop change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from loops.models import HealthDirty, HealthSnapshot, Loop
from loops.services.health import health_recompute_dirty, snapshot_date
from surveys.models import Response
from surveys.services.analysis import response_analyse
from surveys.services.events import invitation_build
from surveys.services.responses import AnswerInput, response_submit
from surveys.signals import response_saved
from tests.loops.races import closing_held
from tests.surveys.races import RACE, second_waits_for_first


def _component(account_id: int, key: str) -> float | None:
    snapshot = HealthSnapshot.objects.get(account_id=account_id, date=snapshot_date())
    return next(c["score"] for c in snapshot.components if c["key"] == key)


@pytest.mark.django_db
def test_a_sweep_that_ran_before_the_analysis_finished_recomputes_the_sentiment_after_it(
    nps_survey, contact, django_capture_on_commit_callbacks
):
    """The worker tells the apps about a new response (its account is marked dirty), then analyses
    it. The sweeper recomputes the account in between, without the verdict. Once the verdict is
    stored, the next sweep must take the comment's sentiment into the account's health."""
    invitation = invitation_build(survey=nps_survey, contact=contact, scheduled_for=timezone.now())
    invitation.save()
    nps, text = nps_survey.questions.order_by("position")[:2]
    response = response_submit(
        invitation=invitation,
        answers={nps.pk: AnswerInput(number=10), text.pk: AnswerInput(text="Wonderful support, thank you so much!")},
        consent=False,
    )
    # What response_recorded_task does, with the sweeper's run between its two steps.
    response_saved.send(Response, response_id=response.pk, created=True)
    assert health_recompute_dirty() == [contact.account_id]
    assert _component(contact.account_id, "sentiment") is None  # not analysed yet
    with django_capture_on_commit_callbacks(execute=True):  # the verdict is announced once committed
        assert response_analyse(response_id=response.pk).sentiment > 0
    health_recompute_dirty()  # the next sweep
    assert _component(contact.account_id, "sentiment") is not None


class TestOnPostgreSQL:
    pytestmark = RACE

    def test_a_loop_change_committed_during_a_sweep_is_recomputed_by_the_next_sweep(
        self, seeded_defaults, answer, contact, manager
    ):
        """The manager closes the account's only loop (its account marked dirty inside the close's
        transaction) while the sweeper recomputes that account without seeing the close. The sweeper
        must not unmark the account: the next sweep shows no open loop."""
        loop = Loop.objects.get(response=answer(contact, 2, "Support never called back"))
        assert HealthDirty.objects.filter(account_id=contact.account_id).exists()

        second_waits_for_first(closing_held(loop, manager), health_recompute_dirty)
        assert Loop.objects.get(pk=loop.pk).status == Loop.Status.CLOSED
        health_recompute_dirty()  # the next sweep
        assert _component(contact.account_id, "open-loops") == 100.0


@pytest.mark.django_db
def test_two_overlapping_recomputes_announce_one_band_change_once(monkeypatch, django_capture_on_commit_callbacks):
    """The nightly run and the dirty sweeper (or two sweeps on two workers) recompute an account at
    the same time: both read its band as green before either stores red. Subscribers must hear of
    the one green-to-red change once, not twice."""
    from loops.models import HealthComponent
    from loops.services import health
    from tests.factories import AccountFactory
    from vocplatform.webhooks.models import WebhookEvent, WebhookSubscription

    WebhookSubscription.objects.create(
        url="https://hooks.example.com/x", secret="s", event_types=["health.band_changed"]
    )
    HealthComponent.objects.update(active=False)
    HealthComponent.objects.create(
        key="usage", label="Usage", kind="attribute", attribute="usage", weight=1, zero_at=0, hundred_at=100
    )
    account = AccountFactory(custom_attributes={"usage": 90})
    health.health_recompute(account_ids=[account.pk])
    account.custom_attributes = {"usage": 10}
    account.save()

    real_store = health._store
    overlapped = []

    def store_after_the_other_run(snapshots):  # type: ignore[no-untyped-def]
        if not overlapped:  # the other worker's whole recompute happens between our read and our write
            overlapped.append(True)
            health.health_recompute(account_ids=[account.pk], now=timezone.now() + dt.timedelta(milliseconds=5))
        real_store(snapshots)

    monkeypatch.setattr(health, "_store", store_after_the_other_run)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        health.health_recompute(account_ids=[account.pk])
    for callback in callbacks:
        callback()
    changes = [(e.payload["previous_band"], e.payload["band"]) for e in WebhookEvent.objects.all()]
    assert changes == [("green", "red")]
