"""Signed webhooks, delivered to a real HTTP server on loopback (loopback is put on the allow-list):
a receiver that checks the signature on its own, retries with back-off and one delivery id, a
delivery log, resend and replay, and no delivery to a private address that is not allowed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import itertools
import json
import socket
import threading
import time
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import login
from loops.models import HealthComponent, HealthSnapshot, Loop
from loops.services.escalation import escalations_run
from loops.services.health import health_recompute
from loops.services.webhooks import emit_loop_opened
from tests.api.conftest import Receiver
from tests.factories import AccountFactory
from vocplatform.tasks import integrations_sweep_task
from vocplatform.webhooks.delivery import deliveries_due, retry_delay
from vocplatform.webhooks.emit import deliveries_create
from vocplatform.webhooks.models import (
    WebhookAllowedNetwork,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from vocplatform.webhooks.subscriptions import subscription_create
from vocplatform.webhooks.transport import post

pytestmark = pytest.mark.django_db


def subscribe(receiver: Receiver, admin_user, *types: str, url: str = "") -> tuple[WebhookSubscription, str]:  # type: ignore[no-untyped-def]
    return subscription_create(url=url or receiver.url, event_types=types, created_by=admin_user)


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does, written here from the documentation, not with the app's code."""
    timestamp = headers["x-voc-timestamp"]
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(expected, headers["x-voc-signature"])


def sweep(at: dt.datetime) -> dict[str, int]:
    return integrations_sweep_task(now=at.isoformat())


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Run what a service queues for after its commit (the first delivery task), as production would."""

    def run(function, **kwargs):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def test_a_new_loop_reaches_the_receiver_signed_and_verifiable(receiver, loopback_allowed, admin_user, loop_opened):
    _subscription, secret = loop_opened
    [request] = receiver.received
    assert request.path == "/hooks/voc"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-voc-event"] == "loop.opened"
    assert verified(secret, request.headers, request.body)
    assert not verified("whsec_wrong", request.headers, request.body)
    assert not verified(secret, request.headers, request.body.replace(b"Acme", b"Acne"))
    body = json.loads(request.body)
    loop = Loop.objects.get()
    assert (body["type"], body["data"]["loop"]["id"], body["data"]["loop"]["account"]["name"]) == (
        "loop.opened",
        loop.pk,
        "Acme Corp",
    )
    delivery = WebhookDelivery.objects.get()
    assert str(delivery.pk) == request.headers["x-voc-delivery"]
    assert str(delivery.event_id) == body["id"]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)


@pytest.fixture
def loop_opened(receiver, loopback_allowed, admin_user, answer, contact):  # type: ignore[no-untyped-def]
    subscription, secret = subscribe(receiver, admin_user, "loop.opened")
    answer(contact, 2, "Support never called back")
    return subscription, secret


def test_a_receiver_that_fails_twice_gets_one_delivery_with_one_id_on_every_try(
    receiver, loopback_allowed, admin_user, answer, contact
):
    receiver.statuses = [500, 503]
    subscribe(receiver, admin_user, "loop.opened")
    start = timezone.now()
    answer(contact, 2, "Nobody called back")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert sweep(start + dt.timedelta(seconds=30))["deliveries"] == 0, "not before its back-off"
    first_retry = delivery.next_attempt_at
    assert first_retry is not None
    sweep(first_retry)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 2, 503)
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - first_retry == dt.timedelta(minutes=2), "the wait doubles"
    sweep(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    for later in (1, 10, 1000):
        sweep(delivery.delivered_at + dt.timedelta(minutes=later))  # type: ignore[operator]
    assert [r.headers["x-voc-delivery"] for r in receiver.received] == [str(delivery.pk)] * 3
    assert len({r.body for r in receiver.received}) == 1, "the same body on every try"
    codes = list(
        WebhookAttempt.objects.filter(delivery=delivery).order_by("number").values_list("status_code", flat=True)
    )
    assert codes == [500, 503, 200]


def test_a_dead_receiver_is_retried_with_back_off_for_a_day_then_given_up(
    receiver, loopback_allowed, admin_user, loop, after_commit
):
    receiver.statuses = [500] * 100
    subscribe(receiver, admin_user, "loop.opened")
    after_commit(emit_loop_opened, loop_id=loop.pk)
    delivery = WebhookDelivery.objects.get()
    tries = [WebhookAttempt.objects.get(delivery=delivery, number=1).at]
    while delivery.status == "pending":
        assert delivery.next_attempt_at is not None
        tries.append(delivery.next_attempt_at)
        sweep(delivery.next_attempt_at)
        delivery.refresh_from_db()
    waits = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert waits[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == dt.timedelta(hours=6)
    assert tries[-1] - tries[0] <= dt.timedelta(days=1) < tries[-1] - tries[0] + retry_delay(delivery.attempts)
    assert (delivery.status, delivery.attempts) == ("failed", len(tries))
    assert len(receiver.received) == delivery.attempts


def test_a_worker_killed_mid_send_is_swept_back_after_its_lease(
    receiver, loopback_allowed, admin_user, loop, after_commit, settings
):
    subscribe(receiver, admin_user, "loop.opened")
    receiver.statuses = []
    WebhookSubscription.objects.update(active=True)
    after_commit(emit_loop_opened, loop_id=loop.pk)
    delivery = WebhookDelivery.objects.get()
    stuck = timezone.now()
    WebhookDelivery.objects.update(status="sending", claimed_at=stuck, attempts=1)
    assert sweep(stuck + dt.timedelta(seconds=10))["deliveries"] == 0, "a live claim is left alone"
    sweep(stuck + dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS + 1))
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


def test_the_sweep_queues_a_waiting_delivery_again_only_when_its_task_looks_lost(admin_user, loop, settings):
    """Its first task was queued when it was made; a backlog that outlasts SWEEP_GRACE_SECONDS gets a
    duplicate task after 2, 4, 8… minutes (each a no-op once one claims it), not one per sweep."""
    settings.SWEEP_GRACE_SECONDS = 120
    WebhookSubscription.objects.create(url="https://hooks.example.com/x", secret="s", event_types=["loop.opened"])
    emit_loop_opened(loop_id=loop.pk)  # its task is queued on commit, which never comes here: a backlog
    made = WebhookDelivery.objects.get().created_at
    with mock.patch("vocplatform.tasks.webhook_deliver_task.delay") as published:  # the tasks wait in the queue
        queued = [minute for minute in range(1, 11) if sweep(made + dt.timedelta(minutes=minute))["deliveries"]]
    assert queued == [2, 4, 8] and published.call_count == 3


def test_a_retry_is_queued_as_soon_as_it_is_due(admin_user, loop, settings):
    settings.SWEEP_GRACE_SECONDS = 120
    WebhookSubscription.objects.create(url="https://hooks.example.com/x", secret="s", event_types=["loop.opened"])
    emit_loop_opened(loop_id=loop.pk)
    made = WebhookDelivery.objects.get().created_at
    # A first try failed and set the retry a minute later: no task is queued for that try yet.
    WebhookDelivery.objects.update(attempts=1, next_attempt_at=made + dt.timedelta(seconds=61))
    with mock.patch("vocplatform.tasks.webhook_deliver_task.delay"):
        assert sweep(made + dt.timedelta(seconds=30))["deliveries"] == 0
        assert sweep(made + dt.timedelta(seconds=62))["deliveries"] == 1
        assert sweep(made + dt.timedelta(seconds=122))["deliveries"] == 0, "its task was queued a minute ago"


def test_deliveries_whose_task_is_still_trusted_do_not_crowd_a_due_retry_out_of_the_batch(admin_user, loop, settings):
    settings.SWEEP_GRACE_SECONDS = 120
    for n in range(3):
        WebhookSubscription.objects.create(url=f"https://h{n}.example.com/x", secret="s", event_types=["loop.opened"])
    emit_loop_opened(loop_id=loop.pk)
    first, second, retry = WebhookDelivery.objects.order_by("created_at", "pk")
    made = first.created_at
    # A backlog: two due since it was made, a duplicate task queued for each 10 minutes later (the
    # next is wanted at 20); and a retry due a minute in, for which no task was ever queued.
    later = made + dt.timedelta(minutes=10)
    WebhookDelivery.objects.filter(pk__in=[first.pk, second.pk]).update(next_attempt_at=made, enqueued_at=later)
    WebhookDelivery.objects.filter(pk=retry.pk).update(next_attempt_at=made + dt.timedelta(minutes=1), enqueued_at=made)
    assert deliveries_due(now=made + dt.timedelta(minutes=13), limit=2) == [str(retry.pk)]


def test_emitting_the_same_fact_twice_sends_it_once(receiver, loopback_allowed, admin_user, loop, after_commit):
    subscribe(receiver, admin_user, "loop.opened")
    after_commit(emit_loop_opened, loop_id=loop.pk)
    after_commit(emit_loop_opened, loop_id=loop.pk)
    assert (WebhookEvent.objects.count(), WebhookDelivery.objects.count(), len(receiver.received)) == (1, 1, 1)


def test_nothing_is_stored_when_nobody_listens(loop):
    emit_loop_opened(loop_id=loop.pk)
    assert not WebhookEvent.objects.exists()


# --- where webhooks may go ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest",
        "http://[::1]:8080/",
        "http://localhost:9/",
    ],
)
def test_a_private_or_loopback_address_is_refused_when_subscribing(admin_user, url):
    form = {"url": url, "event_types": ["loop.opened"], "active": "on"}
    page = login(admin_user).post(reverse("integrations:webhook_new"), form)
    assert page.status_code == 400
    assert "not on the allow-list" in page.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_private_address_is_refused_at_send_time_without_connecting(admin_user, loop, after_commit):
    WebhookSubscription.objects.create(url="http://10.255.255.1/hook", secret="s", event_types=["loop.opened"])
    started = time.monotonic()
    after_commit(emit_loop_opened, loop_id=loop.pk)
    assert time.monotonic() - started < 2, "refused before any connection attempt"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "refused"
    assert "10.255.255.1" in delivery.last_error and "allow-list" in delivery.last_error


def test_the_host_is_resolved_again_at_send_time(receiver, admin_user, loop, after_commit):
    allowed = WebhookAllowedNetwork.objects.create(network="127.0.0.1/32")
    url = receiver.url.replace("127.0.0.1", "localhost")
    subscribe(receiver, admin_user, "loop.opened", url=url)  # localhost resolves to an allowed address
    allowed.delete()
    after_commit(emit_loop_opened, loop_id=loop.pk)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "refused" and "localhost resolves to 127.0.0.1" in delivery.last_error
    assert receiver.received == []


# --- the staff pages: subscriptions, delivery log, resend, replay ------------------------------------


def test_an_admin_subscribes_and_sees_the_secret_once(receiver, loopback_allowed, admin_user, answer, contact):
    browser = login(admin_user)
    form = {"url": receiver.url, "event_types": ["response.created", "loop.opened"], "active": "on"}
    page = browser.post(reverse("integrations:webhook_new"), form)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in page.content.decode()
    assert subscription.secret not in browser.get(reverse("integrations:webhook_list")).content.decode()
    answer(contact, 2, "Slow")
    assert sorted(r.headers["x-voc-event"] for r in receiver.received) == ["loop.opened", "response.created"]
    assert all(verified(subscription.secret, r.headers, r.body) for r in receiver.received)


def test_the_delivery_log_shows_response_codes_and_one_delivery_can_be_resent(
    receiver, loopback_allowed, admin_user, loop_opened, after_commit
):
    subscription, _secret = loop_opened
    delivery = WebhookDelivery.objects.get()
    browser = login(admin_user)
    receiver.statuses = [410]
    after_commit(browser.post, path=reverse("integrations:webhook_resend", args=[delivery.pk]))
    log = browser.get(reverse("integrations:webhook_deliveries", args=[subscription.pk])).content.decode()
    assert str(delivery.pk) in log and "#1 200" in log and "#2 410" in log
    assert [r.headers["x-voc-delivery"] for r in receiver.received] == [str(delivery.pk)] * 2


def test_replaying_a_time_range_sends_its_events_again_as_new_deliveries(
    receiver, loopback_allowed, admin_user, loop_opened, after_commit
):
    subscription, _secret = loop_opened
    event = WebhookEvent.objects.get()
    browser = login(admin_user)
    local = timezone.localtime(event.occurred_at)
    before = {
        "start": (local - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "end": (local - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    after_commit(browser.post, path=reverse("integrations:webhook_replay", args=[subscription.pk]), data=before)
    assert len(receiver.received) == 1, "nothing happened in that range"
    around = {
        "start": (local - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "end": (local + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    after_commit(browser.post, path=reverse("integrations:webhook_replay", args=[subscription.pk]), data=around)
    first, replayed = receiver.received
    assert json.loads(replayed.body)["id"] == json.loads(first.body)["id"] == str(event.pk)
    assert replayed.headers["x-voc-delivery"] != first.headers["x-voc-delivery"]
    assert WebhookDelivery.objects.filter(replay=True, status="succeeded").count() == 1


def test_webhook_pages_are_for_admins_only(manager, supervisor, receiver, loopback_allowed, admin_user):
    subscription, _secret = subscribe(receiver, admin_user, "loop.opened")
    for person in (manager, supervisor):
        browser = login(person)
        assert browser.get(reverse("integrations:webhook_list")).status_code == 404
        assert browser.get(reverse("integrations:webhook_deliveries", args=[subscription.pk])).status_code == 404
        assert browser.post(reverse("integrations:webhook_delete", args=[subscription.pk])).status_code == 404
    assert WebhookSubscription.objects.exists()
    login(admin_user).post(reverse("integrations:webhook_delete", args=[subscription.pk]))
    assert not WebhookSubscription.objects.exists()


# --- every event type -------------------------------------------------------------------------


def test_each_event_type_is_sent_when_it_happens(
    receiver, loopback_allowed, admin_user, answer, contact, api, manager, django_capture_on_commit_callbacks
):
    subscribe(
        receiver,
        admin_user,
        "response.created",
        "response.flagged",
        "loop.opened",
        "loop.escalated",
        "loop.closed",
        "health.band_changed",
    )
    answer(contact, 2, "Terrible support, nobody called back")
    loop = Loop.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        escalations_run(now=loop.first_contact_due_at + dt.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        api(manager).post(
            f"/api/v1/loops/{loop.pk}/close",
            {
                "resolution_summary": "Refunded",
                "root_causes": ["Product defect"],
                "reason_without_contact": "Asked by email",
            },
            format="json",
        )
    HealthSnapshot.objects.create(
        account=contact.account,
        date=timezone.localdate(),
        score=99,
        band="green",
        based_on=1,
        components=[],
        computed_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        health_recompute(account_ids=[contact.account_id])
    bodies = {r.headers["x-voc-event"]: json.loads(r.body) for r in receiver.received}
    assert sorted(bodies) == sorted(
        ["response.created", "response.flagged", "loop.opened", "loop.escalated", "loop.closed", "health.band_changed"]
    )
    assert bodies["response.created"]["data"]["response"]["contact_email"] == "", "no consent, no email"
    assert bodies["response.flagged"]["data"]["analysis"]["negative"] is True
    assert bodies["loop.escalated"]["data"]["escalation"]["level"] >= 1
    assert bodies["loop.closed"]["data"]["loop"]["status"] == "closed"
    changed = bodies["health.band_changed"]["data"]
    stored = HealthSnapshot.objects.get(account=contact.account, date=timezone.localdate())
    assert (changed["previous_band"], changed["band"]) == ("green", stored.band) and stored.band != "green"


def test_the_staff_lists_cost_the_same_queries_for_one_row_or_many(
    receiver, loopback_allowed, admin_user, loop, after_commit, make_key, manager
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    subscription, _secret = subscribe(receiver, admin_user, "loop.opened", "loop.closed")
    browser = login(admin_user)
    pages = [
        reverse("integrations:webhook_deliveries", args=[subscription.pk]),
        reverse("integrations:apikey_list"),
        reverse("integrations:webhook_list"),
    ]
    make_key(manager)
    after_commit(emit_loop_opened, loop_id=loop.pk)
    counts = []
    for round_ in range(2):
        with CaptureQueriesContext(connection) as queries:
            for page in pages:
                assert browser.get(page).status_code == 200
        counts.append(len(queries.captured_queries))
        for n in range(4):
            make_key(manager)
            WebhookEvent.objects.create(
                type="loop.opened", key=f"extra-{round_}-{n}", payload={}, occurred_at=loop.opened_at
            )
        after_commit(
            deliveries_create, events=list(WebhookEvent.objects.all()), subscriptions=[subscription], replay=True
        )
    assert counts[0] == counts[1]


@pytest.fixture
def trickling_receiver():  # type: ignore[no-untyped-def]
    """Accepts the POST, then answers one header byte every 0.3 s for about 4 s: each read is
    within a 1 s socket timeout, but the answer as a whole takes far longer."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        conn.settimeout(5)
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(13):
                if stop.is_set():
                    break
                conn.sendall(b"X")
                time.sleep(0.3)
            conn.sendall(b"-Slow: 1\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    server.close()


def test_the_time_limit_bounds_the_whole_send_not_each_read(trickling_receiver, loopback_allowed):
    """A receiver that answers a byte every 0.3 s stays within a 1 s limit per read for 4 s; the send
    gives up after 1 s, so it never outlives the delivery's lease and gets sent a second time."""
    started = time.monotonic()
    with pytest.raises((OSError, http.client.HTTPException)):
        post(trickling_receiver, body=b"{}", headers={"Content-Type": "application/json"}, timeout=1)
    assert time.monotonic() - started < 2


def test_every_band_change_of_a_day_reaches_subscribers(receiver, loopback_allowed, admin_user, after_commit):
    """green, red, green, red in one day: the second green-to-red change is news as much as the first."""
    subscribe(receiver, admin_user, "health.band_changed")
    HealthComponent.objects.update(active=False)
    HealthComponent.objects.create(
        key="usage", label="Usage", kind="attribute", attribute="usage", weight=1, zero_at=0, hundred_at=100
    )
    account = AccountFactory()
    for usage in (90, 10, 90, 10):
        account.custom_attributes = {"usage": usage}
        account.save()
        after_commit(health_recompute, account_ids=[account.pk])
    events = WebhookEvent.objects.filter(type="health.band_changed").order_by("occurred_at", "pk")
    changes = [("green", "red"), ("red", "green"), ("green", "red")]
    assert [(e.payload["previous_band"], e.payload["band"]) for e in events] == changes
    delivered = [json.loads(r.body)["data"] for r in receiver.received]
    assert [(d["previous_band"], d["band"]) for d in delivered] == changes
