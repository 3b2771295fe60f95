"""The Reports page: ask for a pack and watch it render, download it from the archive (only
what is yours), "send now" on a schedule, and the account report as a direct download."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from conftest import login
from loops.models import DistributionList, GeneratedReport, Recipient, ReportSchedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_mail(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _ask(browser, django_capture_on_commit_callbacks, **data):  # type: ignore[no-untyped-def]
    form = {"kind": "weekly", "date_from": "2025-03-03", "date_to": "2025-03-16", **data}
    with django_capture_on_commit_callbacks(execute=True):
        return browser.post(reverse("loops:report_index"), form)


def test_a_supervisor_renders_a_pack_watches_it_and_downloads_it(
    crafted, supervisor, django_capture_on_commit_callbacks
):
    browser = login(supervisor)
    response = _ask(browser, django_capture_on_commit_callbacks)
    report = GeneratedReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("loops:report_detail", args=[report.pk])
    status = browser.get(reverse("loops:report_status", args=[report.pk])).json()
    assert status == {"status": "done", "label": "Done", "percent": 100}
    page = browser.get(reverse("loops:report_detail", args=[report.pk])).content.decode()
    assert "Download the PDF" in page and 'data-busy="0"' in page
    download = browser.get(reverse("loops:report_download", args=[report.pk]))
    assert download["Content-Type"] == "application/pdf" and download.content.startswith(b"%PDF")
    assert report.title in browser.get(reverse("loops:report_index")).content.decode()
    assert mail.outbox == []  # asked for, not distributed


def test_a_queued_report_shows_its_progress_bar(crafted, supervisor):
    report = GeneratedReport.objects.create(
        kind="weekly", title="Queued", rendered_as=supervisor, period_start=dt.date(2025, 3, 3),
        period_end=dt.date(2025, 3, 16), status="rendering", percent=40, created_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    page = login(supervisor).get(reverse("loops:report_detail", args=[report.pk])).content.decode()
    assert 'data-busy="1"' in page and '<progress max="100" value="40"' in page
    assert 'data-busy-statuses="queued rendering"' in page


def test_someone_elses_report_is_a_404(
    crafted, supervisor, manager, outsider, admin_user, django_capture_on_commit_callbacks
):
    _ask(login(supervisor), django_capture_on_commit_callbacks)
    report = GeneratedReport.objects.get()
    for who in (manager, outsider):
        browser = login(who)
        for name in ("report_detail", "report_status", "report_download"):
            assert browser.get(reverse(f"loops:{name}", args=[report.pk])).status_code == 404, (who, name)
        assert report.title not in browser.get(reverse("loops:report_index")).content.decode()
    assert login(admin_user).get(reverse("loops:report_download", args=[report.pk])).status_code == 200


def test_the_form_refuses_an_account_the_user_cannot_see_and_a_team_they_do_not_lead(crafted, supervisor, outsider):
    browser = login(supervisor)
    gamma = crafted.accounts["gamma"].external_id
    dates = {"date_from": "2025-03-03", "date_to": "2025-03-16"}
    response = browser.post(reverse("loops:report_index"), {"kind": "account", "account": gamma, **dates})
    assert response.status_code == 200 and "No account with this id" in response.content.decode()
    backwards = {"date_from": "2025-03-16", "date_to": "2025-03-03"}
    response = browser.post(reverse("loops:report_index"), {"kind": "weekly", "team": outsider.team_id, **backwards})
    form = response.context["form"]
    assert "team" in form.errors and "date_to" in form.errors
    assert not GeneratedReport.objects.exists()


def test_send_now_renders_and_emails_the_list(crafted, supervisor, outsider, team, django_capture_on_commit_callbacks):
    lst = DistributionList.objects.create(name="Leads", time_zone="UTC")
    lst.recipients.add(Recipient.objects.create(name="Sue", email="sue@staff.example"))
    schedule = ReportSchedule.objects.create(
        name="North weekly", distribution_list=lst, rendered_as=supervisor, team=team, time=dt.time(8)
    )
    assert login(outsider).post(reverse("loops:schedule_send", args=[schedule.pk])).status_code == 404
    browser = login(supervisor)
    assert "North weekly" in browser.get(reverse("loops:report_index")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("loops:schedule_send", args=[schedule.pk]))
    report = GeneratedReport.objects.get()
    assert response["Location"] == reverse("loops:report_detail", args=[report.pk])
    assert report.status == "done" and report.due_at is None and report.requested_by == supervisor
    (message,) = mail.outbox
    assert message.to == ["sue@staff.example"] and message.attachments[0][2] == "application/pdf"


def test_the_account_report_downloads_for_its_owner_and_is_a_404_for_others(crafted, manager, outsider):
    acme = crafted.accounts["acme"].pk
    response = login(manager).get(reverse("loops:account_report", args=[acme]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert login(outsider).get(reverse("loops:account_report", args=[acme])).status_code == 404
