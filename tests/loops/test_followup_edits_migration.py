"""Upgrading: loops whose follow-up was answered before loops recorded the answer's version start
marked as recorded, so the first sweep after the upgrade re-records nothing."""

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps

from loops.models import Loop
from loops.services.followup import followups_unrecorded
from tests.loops.test_followup import answer_followup, close_with_followup

pytestmark = pytest.mark.django_db
migration = import_module("loops.migrations.0007_followup_edits_of_answered_loops")


def test_answered_follow_ups_are_marked_recorded_with_their_answers_version(
    loop, manager, django_capture_on_commit_callbacks, settings
):
    invitation = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    answer_followup(invitation, True, django_capture_on_commit_callbacks)
    Loop.objects.update(followup_edits=None)  # as stored before the field existed
    later = invitation.response.updated_at + dt.timedelta(seconds=2 * settings.SWEEP_GRACE_SECONDS)
    assert followups_unrecorded(now=later) == [invitation.response.pk], "what the sweep would redo"

    migration.mark_answered_followups_recorded(apps, None)

    loop.refresh_from_db()
    assert loop.followup_edits == invitation.response.edits == 0
    assert followups_unrecorded(now=later) == []
