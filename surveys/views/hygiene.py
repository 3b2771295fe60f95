"""The CRM hygiene report: a staff page and its CSV, both from the one selector."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.selectors.hygiene import AccountRef, HygieneReport, MisclassifiedAccount
from surveys.selectors.hygiene import hygiene_report as report_for  # the view below takes the plain name
from vocplatform.permissions import staff_required
from vocplatform.spreadsheets import neutralised

# A table of thousands of rows helps nobody on screen; the CSV has them all.
SHOWN_PER_CHECK = 200

# HygieneReport field -> heading; the key is also the CSV's "check" column and the section's anchor.
CHECKS: dict[str, Promise] = {
    "shared_emails": gettext_lazy("Contacts sharing one email"),
    "similar_accounts": gettext_lazy("Accounts with near-duplicate names"),
    "foreign_domains": gettext_lazy("Contacts outside their account's domain"),
    "incomplete_accounts": gettext_lazy("Accounts without an owner or segment"),
    "misclassified_accounts": gettext_lazy("Segment contradicted by revenue"),
    "opted_out_invited": gettext_lazy("Opted-out contacts with open invitations"),
}

# Spreadsheets run a cell that starts with one of these as a formula.


@dataclass(frozen=True)
class Section:
    key: str
    title: Promise
    total: int
    shown: tuple[Any, ...]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.shown)


def _sections(report: HygieneReport) -> list[Section]:
    sections = []
    for key, title in CHECKS.items():
        findings: tuple[Any, ...] = getattr(report, key)
        sections.append(Section(key, title, len(findings), findings[:SHOWN_PER_CHECK]))
    return sections


@staff_required
def hygiene_report(request: HttpRequest) -> HttpResponse:
    report = report_for(request.user)
    return render(
        request,
        "surveys/hygiene.html",
        {"sections": _sections(report), "total": report.total, "shown_per_check": SHOWN_PER_CHECK},
    )


@staff_required
def hygiene_csv(request: HttpRequest) -> HttpResponse:
    report = report_for(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hygiene-{timezone.localdate():%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(["check", "account_external_id", "account_name", "contact_email", "detail"])
    for check, account, email, detail in _csv_rows(report):
        writer.writerow([neutralised(cell) for cell in (check, account.external_id, account.name, email, detail)])
    return response


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _band(finding: MisclassifiedAccount) -> str:
    low, high = finding.expected_min, finding.expected_max
    if low is None and high is not None:
        return _("below %(high)s") % {"high": _amount(high)}
    if high is None and low is not None:
        return _("%(low)s or more") % {"low": _amount(low)}
    return _("%(low)s to under %(high)s") % {"low": _amount(low or Decimal(0)), "high": _amount(high or Decimal(0))}


def _csv_rows(report: HygieneReport) -> Iterator[tuple[str, AccountRef, str, str]]:
    """One row per finding; a shared email is a finding for each contact that holds it."""
    for shared in report.shared_emails:
        for contact in shared.contacts:
            others = "; ".join(
                f"{c.account.external_id} {c.account.name}" for c in shared.contacts if c.pk != contact.pk
            )
            yield "shared_emails", contact.account, contact.email, _("same email as %(others)s") % {"others": others}
    for pair in report.similar_accounts:
        names = {"id": pair.second.external_id, "name": pair.second.name, "percent": int(pair.similarity * 100)}
        if pair.identical:
            detail = _("same name as %(id)s %(name)s once legal suffixes are dropped") % names
        else:
            detail = _("%(percent)d%% alike to %(id)s %(name)s") % names
        yield "similar_accounts", pair.first, "", detail
    for foreign in report.foreign_domains:
        detail = _("email domain %(email)s is not the account's domain %(account)s") % {
            "email": foreign.email_domain,
            "account": foreign.account_domain,
        }
        yield "foreign_domains", foreign.contact.account, foreign.contact.email, detail
    for incomplete in report.incomplete_accounts:
        missing = [_("no owner")] * incomplete.no_owner + [_("no segment")] * incomplete.no_segment
        yield "incomplete_accounts", incomplete.account, "", "; ".join(missing)
    for wrong in report.misclassified_accounts:
        detail = _("revenue %(revenue)s is outside %(segment)s (%(band)s)") % {
            "revenue": _amount(wrong.annual_revenue),
            "segment": wrong.segment,
            "band": _band(wrong),
        }
        if wrong.suggested_segment:
            detail += "; " + _("suggests %(segment)s") % {"segment": wrong.suggested_segment}
        yield "misclassified_accounts", wrong.account, "", detail
    for invited in report.opted_out_invited:
        detail = _("opted out but holds %(n)d open invitation(s)") % {"n": invited.open_invitations}
        yield "opted_out_invited", invited.contact.account, invited.contact.email, detail
