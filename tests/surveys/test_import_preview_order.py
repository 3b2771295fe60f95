"""The import preview on PostgreSQL: each value under its own heading whatever the file's column order."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import login
from surveys.models import ImportJob

pytestmark = pytest.mark.django_db


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
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:import_list"),
            {"kind": "accounts", "file": SimpleUploadedFile("crm.csv", content.encode())},
        )
    job = ImportJob.objects.get()
    headings, rows = _preview_table(client, job)
    shown = dict(zip(headings, rows[0], strict=True))
    assert shown["Line"] == "2"
    assert (shown["segment"], shown["external_id"], shown["name"]) == ("SMB", "A1", "Acme"), shown
    assert (shown["favourite_colour"], shown["tier"]) == ("blue", "gold"), shown
