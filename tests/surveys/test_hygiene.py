"""The CRM hygiene report: each check on crafted data, the visibility rule, the page and its CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import Invitation, SegmentRevenueBand
from surveys.selectors.hygiene import (
    foreign_domain_contacts,
    hygiene_report,
    incomplete_accounts,
    misclassified_accounts,
    normalise_name,
    opted_out_invited,
    shared_emails,
    similar_accounts,
)
from tests.factories import AccountFactory, ContactFactory, InvitationFactory
from vocplatform.spreadsheets import neutralised as csv_safe

pytestmark = pytest.mark.django_db

PAGE = reverse("surveys:hygiene")
CSV = reverse("surveys:hygiene_csv")


def _names(pairs) -> set[frozenset[str]]:  # type: ignore[no-untyped-def]
    return {frozenset({pair.first.name, pair.second.name}) for pair in pairs}


def _csv_rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# --- 1. shared emails ----------------------------------------------------------------


def test_contacts_sharing_an_email_in_any_case_are_grouped_by_email(admin_user):
    a, b, c = AccountFactory(name="Able"), AccountFactory(name="Baker"), AccountFactory(name="Charlie")
    pat_a = ContactFactory(account=a, email="Pat@Example.com")
    pat_b = ContactFactory(account=b, email="pat@example.com")
    pat_c = ContactFactory(account=c, email="PAT@example.COM")
    ContactFactory(account=a, email="lee@example.com")
    ContactFactory(account=b, email="lee.other@example.com")

    found = shared_emails(admin_user)

    assert [group.email for group in found] == ["pat@example.com"]
    assert [contact.pk for contact in found[0].contacts] == [pat_a.pk, pat_b.pk, pat_c.pk]
    assert [contact.account.name for contact in found[0].contacts] == ["Able", "Baker", "Charlie"]


def test_a_manager_is_not_told_of_a_duplicate_in_an_account_they_cannot_see(manager, outsider, admin_user):
    ContactFactory(account=AccountFactory(owner=manager), email="dup@example.com")
    ContactFactory(account=AccountFactory(owner=outsider), email="dup@example.com")

    assert shared_emails(manager) == ()
    assert [group.email for group in shared_emails(admin_user)] == ["dup@example.com"]


# --- 2. near-duplicate names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Acme Inc.", "acme"),
        ("ACME, Incorporated", "acme"),
        ("Acme Ltd", "acme"),
        ("The Acme Company", "acme"),
        ("Société Générale S.A.", "societe generale"),
        ("Müller GmbH & Co.", "muller"),
        ("Müller GmbH", "muller"),
        ("O'Brien Holdings, LLC", "obrien holdings"),
        ("The Company", "company"),
        ("!!!", ""),
    ],
)
def test_names_are_normalised_without_case_accents_punctuation_or_legal_suffixes(name, normalised):
    assert normalise_name(name) == normalised


def test_acme_inc_incorporated_and_ltd_are_duplicates_but_apex_is_not(admin_user):
    for name in ("Acme Inc.", "ACME, Incorporated", "Acme Ltd", "Apex", "Zenith Holdings"):
        AccountFactory(name=name)

    found = similar_accounts(admin_user)

    assert _names(found) == {
        frozenset({"Acme Inc.", "ACME, Incorporated"}),
        frozenset({"Acme Inc.", "Acme Ltd"}),
        frozenset({"ACME, Incorporated", "Acme Ltd"}),
    }
    assert all(pair.identical and pair.similarity == 1.0 for pair in found)


def test_names_a_typo_apart_are_paired_but_names_with_different_numbers_are_not(admin_user):
    for name in ("Globex Corporation", "Globexx Corp", "Initech Systems", "Initech Sistems", "Branch 11", "Branch 12"):
        AccountFactory(name=name)

    found = similar_accounts(admin_user)

    assert _names(found) == {
        frozenset({"Globex Corporation", "Globexx Corp"}),
        frozenset({"Initech Systems", "Initech Sistems"}),
    }
    assert all(0.9 <= pair.similarity < 1 and not pair.identical for pair in found)


def test_a_typo_in_the_first_letter_is_found_although_many_names_sort_between_them(admin_user):
    # Sorted forwards, forty names sit between the two; sorted by their endings they are neighbours.
    AccountFactory(name="Umbrella Pharmaceuticals")
    AccountFactory(name="Ymbrella Pharmaceuticals")
    for letter in "vwx":
        for i in range(14):
            AccountFactory(name=f"{letter}endor {chr(97 + i) * 3} trading")

    found = similar_accounts(admin_user)

    assert frozenset({"Umbrella Pharmaceuticals", "Ymbrella Pharmaceuticals"}) in _names(found)


# --- 3. email domains ----------------------------------------------------------------


def test_contacts_outside_their_accounts_domain_are_flagged_but_subdomains_are_not(admin_user):
    acme = AccountFactory(name="Acme", domain="acme.com")
    for email in ("jane@acme.com", "eu@eu.acme.com", "Bob@ACME.COM"):
        ContactFactory(account=acme, email=email)
    for email in ("gail@gmail.com", "nat@notacme.com", "eve@acme.com.evil.io"):
        ContactFactory(account=acme, email=email)
    ContactFactory(account=AccountFactory(name="Nodomain", domain=""), email="free@gmail.com")
    ContactFactory(account=AccountFactory(name="Initech", domain="WWW.Initech.com"), email="al@initech.com")

    found = foreign_domain_contacts(admin_user)

    assert [f.contact.email for f in found] == ["eve@acme.com.evil.io", "gail@gmail.com", "nat@notacme.com"]
    assert {f.account_domain for f in found} == {"acme.com"}
    assert [f.email_domain for f in found] == ["acme.com.evil.io", "gmail.com", "notacme.com"]


# --- 4. owner and segment ------------------------------------------------------------


def test_accounts_without_an_owner_or_a_segment_are_listed_with_what_is_missing(manager, admin_user):
    AccountFactory(name="Complete", owner=manager, segment="SMB")
    AccountFactory(name="Orphan", owner=None, segment="SMB")
    AccountFactory(name="Unsorted", owner=manager, segment="")
    AccountFactory(name="Void", owner=None, segment="")

    found = incomplete_accounts(admin_user)

    assert [(f.account.name, f.no_owner, f.no_segment) for f in found] == [
        ("Orphan", True, False),
        ("Unsorted", False, True),
        ("Void", True, True),
    ]


# --- 5. segment against revenue ------------------------------------------------------


@pytest.fixture
def bands() -> None:
    """A configuration of our own instead of the defaults the data migration creates."""
    SegmentRevenueBand.objects.all().delete()
    SegmentRevenueBand.objects.create(segment="SMB", min_revenue=Decimal(10_000), max_revenue=Decimal(1_000_000))
    SegmentRevenueBand.objects.create(segment="Mid", min_revenue=Decimal(1_000_000), max_revenue=Decimal(10_000_000))
    SegmentRevenueBand.objects.create(segment="Enterprise", min_revenue=Decimal(10_000_000), max_revenue=None)


def test_accounts_whose_revenue_contradicts_their_segment_are_flagged_with_a_suggestion(bands, admin_user):
    AccountFactory(name="Small inside", segment="SMB", annual_revenue=500_000)
    AccountFactory(name="Small at its max", segment="SMB", annual_revenue=1_000_000)
    AccountFactory(name="Mid at its min", segment="Mid", annual_revenue=1_000_000)
    AccountFactory(name="Tiny enterprise", segment="Enterprise", annual_revenue=50_000)
    AccountFactory(name="Tinier enterprise", segment="Enterprise", annual_revenue=5_000)
    AccountFactory(name="Enterprise without revenue", segment="Enterprise", annual_revenue=None)
    AccountFactory(name="Startup without band", segment="Startup", annual_revenue=5)

    found = misclassified_accounts(admin_user)

    assert [(f.account.name, f.segment, f.suggested_segment) for f in found] == [
        ("Small at its max", "SMB", "Mid"),
        ("Tinier enterprise", "Enterprise", ""),
        ("Tiny enterprise", "Enterprise", "SMB"),
    ]
    assert (found[0].expected_min, found[0].expected_max) == (Decimal(10_000), Decimal(1_000_000))
    assert (found[2].expected_min, found[2].expected_max) == (Decimal(10_000_000), None)


def test_no_account_is_misclassified_when_no_bands_are_configured(admin_user):
    SegmentRevenueBand.objects.all().delete()
    AccountFactory(segment="SMB", annual_revenue=10**9)

    assert misclassified_accounts(admin_user) == ()


# --- 6. opted out yet invited --------------------------------------------------------


def test_opted_out_contacts_with_open_invitations_are_flagged_and_closed_ones_are_not(admin_user):
    now = timezone.now()
    account = AccountFactory(name="Acme")
    twice = ContactFactory(account=account, email="twice@x.com", opted_out=True, opted_out_at=now)
    opened = ContactFactory(account=account, email="opened@x.com", opted_out=True, opted_out_at=now)
    answered = ContactFactory(account=account, email="answered@x.com", opted_out=True, opted_out_at=now)
    willing = ContactFactory(account=account, email="willing@x.com")
    InvitationFactory(contact=twice, status=Invitation.Status.SCHEDULED)
    InvitationFactory(contact=twice, status=Invitation.Status.SENT)
    InvitationFactory(contact=opened, status=Invitation.Status.OPENED)
    InvitationFactory(contact=answered, status=Invitation.Status.ANSWERED)
    InvitationFactory(contact=answered, status=Invitation.Status.EXPIRED)
    InvitationFactory(contact=willing, status=Invitation.Status.SENT)

    found = opted_out_invited(admin_user)

    assert [(f.contact.email, f.open_invitations) for f in found] == [("opened@x.com", 1), ("twice@x.com", 2)]


# --- visibility ----------------------------------------------------------------------


@pytest.fixture
def problems(manager, teammate, outsider) -> dict[str, str]:
    """An account with no segment and a contact on a foreign domain, for each owner."""
    names = {"manager": "Alpha Freight", "teammate": "Bravo Mining", "outsider": "Charlie Foods", "nobody": "Delta Oil"}
    owners = {"manager": manager, "teammate": teammate, "outsider": outsider, "nobody": None}
    for key, name in names.items():
        account = AccountFactory(name=name, owner=owners[key], segment="", domain=f"{key}.example")
        ContactFactory(account=account, email=f"{key}@gmail.com")
    return names


def _seen(viewer) -> set[str]:  # type: ignore[no-untyped-def]
    report = hygiene_report(viewer)
    return {f.account.name for f in report.incomplete_accounts} | {
        f.contact.account.name for f in report.foreign_domains
    }


def test_a_manager_sees_only_findings_in_their_own_accounts(problems, manager):
    assert _seen(manager) == {problems["manager"]}


def test_the_teammate_does_not_see_the_managers_findings(problems, teammate):
    assert _seen(teammate) == {problems["teammate"]}


def test_the_supervisor_sees_the_findings_of_the_team(problems, supervisor):
    assert _seen(supervisor) == {problems["manager"], problems["teammate"]}


def test_the_outsider_sees_none_of_the_teams_findings(problems, outsider):
    assert _seen(outsider) == {problems["outsider"]}


def test_an_admin_sees_every_finding(problems, admin_user):
    assert _seen(admin_user) == set(problems.values())


def test_the_page_obeys_the_visibility_rule(problems, manager):
    response = login(manager).get(PAGE)

    assert response.status_code == 200
    assert problems["manager"] in response.content.decode()
    for other in ("teammate", "outsider", "nobody"):
        assert problems[other] not in response.content.decode()


def test_the_csv_obeys_the_visibility_rule(problems, supervisor):
    rows = _csv_rows(login(supervisor).get(CSV))

    assert {row["account_name"] for row in rows} == {problems["manager"], problems["teammate"]}


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the page ------------------------------------------------------------------------


def test_the_page_summarises_each_check_with_a_link_to_its_section(problems, admin_user):
    content = login(admin_user).get(PAGE).content.decode()

    for anchor in (
        "shared_emails",
        "similar_accounts",
        "foreign_domains",
        "incomplete_accounts",
        "misclassified_accounts",
        "opted_out_invited",
    ):
        assert f'href="#{anchor}"' in content
        assert f'id="{anchor}"' in content
    assert content.count("No problems found") == 4  # only no-segment and foreign-domain findings exist
    assert f'href="{CSV}"' in content
    assert 'scope="col"' in content


def test_a_viewer_without_problems_sees_an_empty_state_for_every_check(manager):
    content = login(manager).get(PAGE).content.decode()

    assert content.count("No problems found") == 6


def test_each_table_shows_the_first_200_findings_and_says_how_many_there_are(admin_user):
    AccountFactory.create_batch(201, owner=None, segment="")

    content = login(admin_user).get(PAGE).content.decode()

    assert "showing 200 of 201; download the CSV for all" in content
    assert content.count("no owner</span>") == 200


def test_the_page_links_findings_to_account_and_contact_pages(manager, account):
    stray = ContactFactory(account=account, email="stray@gmail.com")

    content = login(manager).get(PAGE).content.decode()

    assert reverse("surveys:contact_detail", args=[stray.pk]) in content
    assert reverse("surveys:account_detail", args=[account.pk]) in content


def _add_problems(owner, start: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` sets of problems, each touching every one of the six checks.

    The revenue is above the default SMB band that the data migration creates."""
    now = timezone.now()
    for i in range(start, start + count):
        twin = AccountFactory(owner=owner, name=f"Twin {i} Inc", segment="SMB", annual_revenue=50_000_000)
        AccountFactory(owner=owner, name=f"Twin {i} Ltd", segment="")
        quitter = ContactFactory(account=twin, email=f"shared{i}@gmail.com", opted_out=True, opted_out_at=now)
        InvitationFactory(contact=quitter, status=Invitation.Status.SENT)
        ContactFactory(account=AccountFactory(owner=owner, segment=""), email=f"shared{i}@gmail.com")


def test_the_pages_query_count_does_not_grow_with_the_number_of_findings(manager):
    client = login(manager)
    _add_problems(manager, 0, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    _add_problems(manager, 5, 45)
    with CaptureQueriesContext(connection) as many:
        response = client.get(PAGE)

    counts = hygiene_report(manager).counts
    assert counts == dict.fromkeys(counts, 50) | {"foreign_domains": 100, "incomplete_accounts": 100}
    assert response.content.decode().count("Twin 49") >= 2
    assert len(many) == len(few) <= 12


# --- the CSV -------------------------------------------------------------------------


def test_the_csv_has_one_row_per_finding_and_a_dated_file_name(manager, account, bands):
    account.segment, account.annual_revenue = "Enterprise", Decimal(50_000)
    account.save()
    ContactFactory(account=account, email="stray@gmail.com")
    ContactFactory(account=AccountFactory(owner=manager, name="Acme Ltd"), email="stray@gmail.com")

    response = login(manager).get(CSV)
    rows = _csv_rows(response)

    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="hygiene-{today}.csv"'
    assert response["Content-Type"].startswith("text/csv")
    assert list(rows[0]) == ["check", "account_external_id", "account_name", "contact_email", "detail"]
    assert sorted((row["check"], row["account_name"], row["contact_email"]) for row in rows) == [
        ("foreign_domains", "Acme Corp", "stray@gmail.com"),
        ("foreign_domains", "Acme Ltd", "stray@gmail.com"),
        ("misclassified_accounts", "Acme Corp", ""),
        ("shared_emails", "Acme Corp", "stray@gmail.com"),
        ("shared_emails", "Acme Ltd", "stray@gmail.com"),
        ("similar_accounts", "Acme Corp", ""),
    ]
    misclassified = next(row for row in rows if row["check"] == "misclassified_accounts")
    assert misclassified["detail"] == "revenue 50000 is outside Enterprise (10000000 or more); suggests SMB"


def test_the_csv_neutralises_a_name_that_a_spreadsheet_would_run_as_a_formula(admin_user):
    AccountFactory(name='=HYPERLINK("http://evil.example","click")', external_id="+ACC-1", segment="")

    rows = _csv_rows(login(admin_user).get(CSV))

    assert rows[0]["account_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[0]["account_external_id"] == "'+ACC-1"


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_prefix_is_quoted(prefix):
    assert csv_safe(f"{prefix}1+1") == f"'{prefix}1+1"


def test_ordinary_cells_are_left_alone():
    assert csv_safe("Acme Corp") == "Acme Corp"
    assert csv_safe("") == ""
