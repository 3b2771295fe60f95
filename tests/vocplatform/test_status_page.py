"""The status page (/status/) says whether the Celery worker and beat are alive, each from its own
heartbeat: beat records one as it sends the heartbeat task, a worker as it runs it."""

from __future__ import annotations

from unittest import mock

import pytest
from celery.beat import ScheduleEntry
from celery.utils.imports import symbol_by_name

from conftest import login
from vocplatform.celery import app
from vocplatform.models import Heartbeat
from vocplatform.tasks import heartbeat

pytestmark = pytest.mark.django_db


def beat_ticks_with_no_worker_running(tmp_path) -> mock.MagicMock:
    """What celery beat does every HEARTBEAT_SECONDS, with the scheduler it is configured with: apply
    its "heartbeat" entry. The broker accepts the message; no worker is there to run it."""
    app.finalize()
    config = app.conf.beat_schedule["heartbeat"]
    entry = ScheduleEntry(
        name="heartbeat", task=config["task"], schedule=config["schedule"], args=config["args"], app=app
    )
    scheduler = symbol_by_name(app.conf.beat_scheduler)(app, lazy=True, schedule_filename=str(tmp_path / "schedule"))
    with mock.patch.object(type(heartbeat._get_current_object()), "apply_async") as published:
        scheduler.apply_async(entry, producer=mock.Mock(), advance=False)
    return published


def rows(page) -> tuple[str, str]:
    cells = page.content.decode().split("<tr>")
    return next(r for r in cells if "Celery beat" in r), next(r for r in cells if "Celery worker" in r)


def test_status_shows_beat_alive_while_it_ticks_even_when_the_worker_is_down(admin_user, tmp_path) -> None:
    published = beat_ticks_with_no_worker_running(tmp_path)
    assert published.called  # beat did its part: the heartbeat went to the broker

    page = login(admin_user).get("/status/")
    assert page.status_code == 200
    beat_row, worker_row = rows(page)
    assert "not seen recently" in worker_row  # true: nothing runs tasks
    assert "alive" in beat_row and "not seen recently" not in beat_row, beat_row


def test_a_worker_running_a_heartbeat_proves_the_worker_alive_not_beat(admin_user) -> None:
    heartbeat("beat")  # a backlog of old heartbeats, run after beat died, says nothing about beat
    beat_row, worker_row = rows(login(admin_user).get("/status/"))
    assert "alive" in worker_row and "not seen recently" not in worker_row
    assert "not seen recently" in beat_row
    assert not Heartbeat.objects.filter(name="beat").exists()
