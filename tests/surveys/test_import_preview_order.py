"""The import preview: each value under its own heading whatever the file's column order (PostgreSQL's
jsonb reorders an object's keys), also for a job checked by the previous release."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import login
from surveys.models import ImportJob

pytestmark = pytest.mark.django_db


def _checked(client, content: str, django_capture_on_commit_callbacks) -> ImportJob:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:import_list"),
            {"kind": "accounts", "file": SimpleUploadedFile("crm.csv", content.encode())},
        )
    return ImportJob.objects.get()


def _preview_table(client, job):  # type: ignore[no-untyped-def]
    page = client.get(reverse("surveys:import_detail", args=[job.pk])).content.decode()
    preview = page[page.index("First rows") :]
    headings = re.findall(r"<th scope=\"col\">(.*?)(?:<br>|</th>)", preview)
    body = re.search(r"<tbody>.*?</tbody>", preview, re.S).group(0)
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return headings, rows


def test_the_import_preview_keeps_each_value_under_its_heading_when_columns_are_not_in_key_order(
    admin_user, django_capture_on_commit_callbacks
):
    # PostgreSQL's jsonb keeps an object's keys in an order of its own (shorter keys first): the
    # headings must not come from one, or values land under other columns' headings.
    client = login(admin_user)
    content = "segment,id,name,favourite_colour,tier\nSMB,A1,Acme,blue,gold\n"
    job = _checked(client, content, django_capture_on_commit_callbacks)
    headings, rows = _preview_table(client, job)
    shown = dict(zip(headings, rows[0], strict=True))
    assert shown["Line"] == "2"
    assert (shown["segment"], shown["external_id"], shown["name"]) == ("SMB", "A1", "Acme"), shown
    assert (shown["favourite_colour"], shown["tier"]) == ("blue", "gold"), shown


def test_an_import_checked_before_the_upgrade_still_shows_its_preview_headings(
    admin_user, django_capture_on_commit_callbacks
):
    client = login(admin_user)
    job = _checked(client, "id,name,segment,tier\nA1,Acme,SMB,gold\n", django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.READY
    # What the previous release stored for this file (the cells in the same order as now).
    old_preview = {
        "columns": {"id": "external_id", "name": "name", "segment": "segment"},
        "custom_types": {"tier": "text"},
        "rows": job.preview["rows"],
    }
    ImportJob.objects.filter(pk=job.pk).update(preview=old_preview)
    headings, rows = _preview_table(client, job)
    assert headings == ["Line", "external_id", "name", "segment", "tier"], headings
    assert rows[0] == ["2", "A1", "Acme", "SMB", "gold"]
