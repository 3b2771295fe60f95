"""Upgrading: loops whose follow-up was answered before loops recorded the answer's version start
marked as recorded, so the first sweep after the upgrade re-records nothing."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("loops", "0006_loop_followup_edits"), ("surveys", "0011_import_job_heartbeat")]
AFTER = [("loops", "0007_followup_edits_of_answered_loops")]


@pytest.mark.django_db(transaction=True)
def test_answered_follow_ups_are_marked_recorded_with_their_answers_version(
    loop, manager, django_capture_on_commit_callbacks
):
    from tests.loops.test_followup import answer_followup, close_with_followup

    invitation = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    answer_followup(invitation, True, django_capture_on_commit_callbacks)
    type(loop).objects.update(followup_edits=None)  # as stored before the field was filled in

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    loop.refresh_from_db()
    assert loop.followup_edits == invitation.response.edits == 0
