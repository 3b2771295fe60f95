"""An import checked by the previous release (its preview's headings stored as two maps) still shows
them after the upgrade."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import login
from surveys.models import ImportJob

pytestmark = pytest.mark.django_db


def test_an_import_checked_before_the_upgrade_still_shows_its_preview_headings(
    admin_user, django_capture_on_commit_callbacks
):
    client = login(admin_user)
    content = "id,name,segment,tier\nA1,Acme,SMB,gold\n"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:import_list"),
            {"kind": "accounts", "file": SimpleUploadedFile("crm.csv", content.encode())},
        )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.READY
    # What the previous release stored for this file (the cells in the same order as now).
    old_preview = {
        "columns": {"id": "external_id", "name": "name", "segment": "segment"},
        "custom_types": {"tier": "text"},
        "rows": job.preview["rows"],
    }
    ImportJob.objects.filter(pk=job.pk).update(preview=old_preview)
    page = client.get(reverse("surveys:import_detail", args=[job.pk])).content.decode()
    preview = page[page.index("First rows") :]
    headings = re.findall(r"<th scope=\"col\">(.*?)(?:<br>|</th>)", preview)
    assert headings == ["Line", "external_id", "name", "segment", "tier"], headings
