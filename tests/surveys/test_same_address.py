"""One person, one address: unsubscribing and bounces reach every contact with that address, in any
letter case, on both databases; and guessing links meets one per-address limit on every public page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Contact
from surveys.services.invitations import contact_opt_out
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_opting_out_covers_the_same_address_with_a_non_ascii_host_in_another_case():
    """One person, two accounts: the CSV import lowers the host ("jane@bücher.de"), the contact API
    stores the address as sent ("jane@BÜCHER.de"). Unsubscribing once must opt out both, on SQLite
    as on PostgreSQL (SQLite's LIKE, behind email__iexact, folds ASCII letters only)."""
    first = ContactFactory(account=AccountFactory(), email="jane@bücher.de")
    second = ContactFactory(account=AccountFactory(), email="jane@BÜCHER.de")

    contact_opt_out(contact_id=first.pk)

    assert Contact.objects.get(pk=second.pk).opted_out


def _page(token: str, name: str) -> str:
    return reverse(f"public:{name}", args=[token])


def test_guessing_links_on_the_unsubscribe_page_counts_against_the_same_per_address_limit(settings):
    """README: "guessing from one address hits SURVEY_RATE_PER_IP". The unsubscribe link carries the
    same token as the survey link and tells a real token (200) from a guess (404); once an address
    has used up its guesses on the survey page, it gets no more on the unsubscribe page."""
    settings.SURVEY_RATE_PER_IP = "3/min"
    guesser = Client(REMOTE_ADDR="198.51.100.9")
    survey_page = [guesser.get(_page(f"guess{n}", "survey")).status_code for n in range(4)]
    assert survey_page == [404, 404, 404, 429]

    # The same address goes on guessing through the unsubscribe page.
    statuses = [guesser.get(_page(f"more{n}", "unsubscribe")).status_code for n in range(3)]
    assert statuses == [429, 429, 429]


def test_a_bounce_marks_the_same_address_with_a_non_ascii_host_in_another_case_undeliverable():
    """The same email__iexact pattern in email_mark_undeliverable (README: "the address then gets
    nothing more"): a bounce reported as sent by the mail system must reach every spelling."""
    from surveys.services.invitations import email_mark_undeliverable

    stored = ContactFactory(account=AccountFactory(), email="jane@bücher.de")

    email_mark_undeliverable(email="jane@BÜCHER.de")

    assert Contact.objects.get(pk=stored.pk).undeliverable_at is not None
