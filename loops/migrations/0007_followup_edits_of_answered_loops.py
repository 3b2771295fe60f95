"""Loops whose follow-up was answered before `followup_edits` existed: the answer they show is the
one they were recorded with, so they start marked as recorded rather than all being swept (and
their owners notified again of old answers) on the first sweep after the upgrade."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def mark_answered_followups_recorded(apps, schema_editor):
    Loop = apps.get_model("loops", "Loop")
    Response = apps.get_model("surveys", "Response")
    edits = Response.objects.filter(invitation_id=OuterRef("followup_invitation_id")).values("edits")[:1]
    Loop.objects.filter(followup_edits__isnull=True, followup_invitation__response__isnull=False).update(
        followup_edits=Subquery(edits)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("loops", "0006_loop_followup_edits"),
        ("surveys", "0011_import_job_heartbeat"),
    ]

    operations = [migrations.RunPython(mark_answered_followups_recorded, migrations.RunPython.noop)]
