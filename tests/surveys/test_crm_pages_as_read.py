"""The accounts list and the staff-app import as staff read them: each filter value offered once, an
import's error count, and every preview value under its own column."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import login
from surveys.models import ImportJob
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_the_account_filters_offer_each_segment_and_region_once(manager):
    # The demo's Accounts page offers "Enterprise" 17 times and "APAC" dozens of times (one
    # option per account): Account is ordered by name, so .distinct() keeps one row per name.
    for name in ("Alpha", "Beta", "Gamma"):
        AccountFactory(owner=manager, name=name, segment="SMB", region="EMEA")
    page = login(manager).get(reverse("surveys:account_list"))
    assert page.status_code == 200
    assert page.context["choices"] == {"segments": ["SMB"], "regions": ["EMEA"]}
    segment_select = re.search(rb'<select[^>]*name="segment".*?</select>', page.content, re.S).group(0)
    assert segment_select.count(b">SMB<") == 1


def _upload(client, content: str):  # type: ignore[no-untyped-def]
    data = {"kind": "accounts", "file": SimpleUploadedFile("crm.csv", content.encode())}
    return client.post(reverse("surveys:import_list"), data)


def test_a_checked_file_with_one_error_is_headed_one_error(admin_user, django_capture_on_commit_callbacks):
    # The heading reads "0 errors" above a table listing the error: in the template
    # `error_count|default:job.errors|length` takes the length of the number 1.
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, "id,annual_revenue\nA1,100\nA2,abc\n")
    job = ImportJob.objects.get()
    page = client.get(reverse("surveys:import_detail", args=[job.pk]))
    headings = re.findall(rb"<h2>(.*?)</h2>", page.content)
    assert b"1 error" in headings, headings


def test_the_import_preview_keeps_each_value_under_its_own_column(admin_user, django_capture_on_commit_callbacks):
    # A row with an empty or refused cell drops that cell from the preview, so every later value
    # slides one column left: the demo showed the owner's name under "annual_revenue".
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, "id,name,region,segment\nA1,Acme,EMEA,SMB\nA2,Beta,,SMB\n")
    job = ImportJob.objects.get()
    page = client.get(reverse("surveys:import_detail", args=[job.pk])).content.decode()
    preview = page[page.index("First rows") :]
    header_cells = len(re.findall(r"<th scope=\"col\">", re.search(r"<thead>.*?</thead>", preview, re.S).group(0)))
    rows = re.findall(r"<tr>(.*?)</tr>", re.search(r"<tbody>.*?</tbody>", preview, re.S).group(0), re.S)
    assert len(rows) == 2
    assert [len(re.findall(r"<td>", row)) for row in rows] == [header_cells, header_cells]
    second = re.findall(r"<td>(.*?)</td>", rows[1])
    columns = re.findall(r"<th scope=\"col\">(.*?)<br>", preview)
    assert second[columns.index("segment") + 1] == "SMB", list(zip(columns, second, strict=False))
