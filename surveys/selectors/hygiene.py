"""CRM hygiene checks: read queries over the accounts and contacts the viewer may see.

Every check narrows its queryset with `visible()` before doing anything else, so
a manager is told only about problems in their own accounts and never learns,
for instance, that a contact of theirs shares an email with somebody else's
contact. Each check costs a fixed number of queries (one, or two for the
revenue bands) whatever the size of the data, and returns frozen dataclasses
that carry only what the report shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from itertools import combinations, product

from django.db.models import Count, F, Q, Value
from django.db.models.functions import Concat, Lower

from surveys.models import Account, Contact, Invitation, SegmentRevenueBand
from surveys.selectors.crm import Viewer
from vocplatform.visibility import visible

SIMILARITY_THRESHOLD = 0.9
# How many neighbours each name is compared with in each sort order (see _fuzzy_key_pairs).
NEIGHBOUR_WINDOW = 12

# Tokens that say what kind of company it is, not which one. Dropped from the end of
# a name (and "the" from its start) so "Acme Inc." and "ACME, Incorporated" agree.
_COMMON_FORMS = frozenset({"inc", "incorporated", "ltd", "limited", "llc", "plc", "corp", "corporation"})
LEGAL_SUFFIXES = _COMMON_FORMS | {"co", "company", "gmbh", "ag", "sa", "bv", "the"}


@dataclass(frozen=True)
class AccountRef:
    pk: int
    external_id: str
    name: str


@dataclass(frozen=True)
class ContactRef:
    pk: int
    name: str
    email: str
    account: AccountRef


@dataclass(frozen=True)
class SharedEmail:
    """One email address (compared case-insensitively) held by several contacts."""

    email: str
    contacts: tuple[ContactRef, ...]


@dataclass(frozen=True)
class SimilarAccounts:
    first: AccountRef
    second: AccountRef
    first_normalised: str
    second_normalised: str
    similarity: float

    @property
    def identical(self) -> bool:
        return self.first_normalised == self.second_normalised


@dataclass(frozen=True)
class ForeignDomainContact:
    contact: ContactRef
    email_domain: str
    account_domain: str


@dataclass(frozen=True)
class IncompleteAccount:
    account: AccountRef
    no_owner: bool
    no_segment: bool


@dataclass(frozen=True)
class MisclassifiedAccount:
    account: AccountRef
    segment: str
    annual_revenue: Decimal
    expected_min: Decimal | None
    expected_max: Decimal | None
    suggested_segment: str  # "" when no band holds the revenue


@dataclass(frozen=True)
class OptedOutInvited:
    contact: ContactRef
    open_invitations: int


@dataclass(frozen=True)
class HygieneReport:
    shared_emails: tuple[SharedEmail, ...]
    similar_accounts: tuple[SimilarAccounts, ...]
    foreign_domains: tuple[ForeignDomainContact, ...]
    incomplete_accounts: tuple[IncompleteAccount, ...]
    misclassified_accounts: tuple[MisclassifiedAccount, ...]
    opted_out_invited: tuple[OptedOutInvited, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "shared_emails": len(self.shared_emails),
            "similar_accounts": len(self.similar_accounts),
            "foreign_domains": len(self.foreign_domains),
            "incomplete_accounts": len(self.incomplete_accounts),
            "misclassified_accounts": len(self.misclassified_accounts),
            "opted_out_invited": len(self.opted_out_invited),
        }

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def hygiene_report(viewer: Viewer) -> HygieneReport:
    """All six checks for the viewer: seven queries in all."""
    return HygieneReport(
        shared_emails=shared_emails(viewer),
        similar_accounts=similar_accounts(viewer),
        foreign_domains=foreign_domain_contacts(viewer),
        incomplete_accounts=incomplete_accounts(viewer),
        misclassified_accounts=misclassified_accounts(viewer),
        opted_out_invited=opted_out_invited(viewer),
    )


# --- 1. one email, several contacts -------------------------------------------------

_CONTACT_FIELDS = ("pk", "name", "email", "account_id", "account__external_id", "account__name")


def _contact_ref(pk: int, name: str, email: str, account_pk: int, external_id: str, account_name: str) -> ContactRef:
    return ContactRef(pk=pk, name=name, email=email, account=AccountRef(account_pk, external_id, account_name))


def shared_emails(viewer: Viewer) -> tuple[SharedEmail, ...]:
    """Emails held by more than one visible contact, grouped by lower-cased email."""
    contacts = visible(Contact.objects.all(), viewer, "account").annotate(email_key=Lower("email"))
    # The same visible set on both sides: a duplicate in an account the viewer may
    # not see is not reported, since saying so would reveal that the account exists.
    repeated = contacts.values("email_key").annotate(n=Count("pk")).filter(n__gt=1).values("email_key")
    rows = (
        contacts.filter(email_key__in=repeated)
        .order_by("email_key", "account__name", "pk")
        .values_list("email_key", *_CONTACT_FIELDS)
    )
    groups: dict[str, list[ContactRef]] = defaultdict(list)
    for email_key, *ref in rows:
        groups[email_key].append(_contact_ref(*ref))
    return tuple(SharedEmail(email=email, contacts=tuple(refs)) for email, refs in groups.items())


# --- 2. near-duplicate account names ------------------------------------------------


def normalise_name(name: str) -> str:
    """Lower-case, no accents or punctuation, without legal suffixes: "ACME, Inc." -> "acme"."""
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    # Dots and apostrophes vanish rather than split, so "S.A." is the suffix "sa"
    # and "O'Brien" stays one word.
    text = re.sub(r"[.'\u2019]", "", text)
    tokens = re.sub(r"[\W_]+", " ", text).split()
    while len(tokens) > 1 and tokens[0] == "the":
        tokens.pop(0)
    # Keep the last token even if it is a suffix: "The Company" is a name, not nothing.
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def _close_neighbours(order: list[str], numbers: dict[str, list[str]], found: dict[tuple[str, str], float]) -> None:
    """Add to `found` each name's near-duplicates among its NEIGHBOUR_WINDOW successors in `order`."""
    matcher = SequenceMatcher(None, autojunk=False)
    for i, key in enumerate(order):
        # SequenceMatcher indexes its second sequence; doing that once per name, not
        # once per comparison, is most of the speed.
        matcher.set_seq2(key)
        for other in order[i + 1 : i + 1 + NEIGHBOUR_WINDOW]:
            pair = (key, other) if key < other else (other, key)
            # "Branch 11" and "Branch 12" are 90% alike as text but are different companies.
            if pair in found or numbers[key] != numbers[other]:
                continue
            matcher.set_seq1(other)
            # The cheap upper bounds first: most neighbours fail on length or letters alone.
            if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD or matcher.quick_ratio() < SIMILARITY_THRESHOLD:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILARITY_THRESHOLD:
                found[pair] = ratio


def _fuzzy_key_pairs(keys: Iterable[str]) -> dict[tuple[str, str], float]:
    """Distinct normalised names that are at least SIMILARITY_THRESHOLD alike.

    Comparing every pair is n²/2 SequenceMatcher runs: 50 million for 10,000
    accounts, minutes of CPU in a web request. Two names that are 90% alike
    differ in a few characters only, so they share either a long beginning or a
    long ending; sorting the names, and then sorting them again spelt backwards,
    puts such a pair close together in at least one of the two orders (the
    "sorted neighbourhood" blocking of record linkage). Each name is therefore
    compared with its NEIGHBOUR_WINDOW successors in both orders: O(n log n + n·w).
    The price is that a pair separated by more than the window in both orders
    is missed, which takes a crowd of names nearly identical to both of them.
    """
    forward = sorted(keys)
    backward = sorted(forward, key=lambda key: key[::-1])
    numbers = {key: re.findall(r"\d+", key) for key in forward}
    found: dict[tuple[str, str], float] = {}
    _close_neighbours(forward, numbers, found)
    _close_neighbours(backward, numbers, found)
    return found


def _ordered(a: AccountRef, b: AccountRef) -> tuple[AccountRef, AccountRef]:
    return (a, b) if (a.name, a.pk) <= (b.name, b.pk) else (b, a)


def similar_accounts(viewer: Viewer) -> tuple[SimilarAccounts, ...]:
    """Pairs of visible accounts whose normalised names are equal or nearly so."""
    accounts = visible(Account.objects.all(), viewer).order_by("pk").values_list("pk", "external_id", "name")
    by_key: dict[str, list[AccountRef]] = defaultdict(list)
    for pk, external_id, name in accounts:
        key = normalise_name(name)
        if key:  # a name of punctuation alone is not like any other
            by_key[key].append(AccountRef(pk, external_id, name))
    pairs: list[SimilarAccounts] = []
    for group_key, group in by_key.items():
        for a, b in combinations(group, 2):
            first, second = _ordered(a, b)
            pairs.append(SimilarAccounts(first, second, group_key, group_key, 1.0))
    for (key_a, key_b), ratio in _fuzzy_key_pairs(by_key).items():
        for a, b in product(by_key[key_a], by_key[key_b]):
            first, second = _ordered(a, b)
            first_key, second_key = (key_a, key_b) if first is a else (key_b, key_a)
            pairs.append(SimilarAccounts(first, second, first_key, second_key, round(ratio, 3)))
    pairs.sort(key=lambda p: (p.first.name.casefold(), p.first.pk, p.second.name.casefold(), p.second.pk))
    return tuple(pairs)


# --- 3. contacts whose email domain is not their account's ---------------------------


def _clean_domain(domain: str) -> str:
    domain = domain.strip().lower().lstrip("@").rstrip(".")
    return domain.removeprefix("www.")


def _domain_matches(email_domain: str, account_domain: str) -> bool:
    """The account's domain itself or any subdomain of it (eu.acme.com for acme.com)."""
    return email_domain == account_domain or email_domain.endswith("." + account_domain)


def foreign_domain_contacts(viewer: Viewer) -> tuple[ForeignDomainContact, ...]:
    """Contacts whose email is outside their account's domain, for accounts that have one."""
    candidates = (
        visible(Contact.objects.all(), viewer, "account")
        .exclude(account__domain="")
        # The database drops the ordinary matches so only the few doubtful rows travel;
        # Python then forgives a stored "www." or upper case before flagging.
        .exclude(email__iendswith=Concat(Value("@"), F("account__domain")))
        .exclude(email__iendswith=Concat(Value("."), F("account__domain")))
        .order_by("account__name", "account_id", "email", "pk")
        .values_list(*_CONTACT_FIELDS, "account__domain")
    )
    found = []
    for *ref, raw_domain in candidates:
        contact = _contact_ref(*ref)
        email_domain = _clean_domain(contact.email.rpartition("@")[2])
        account_domain = _clean_domain(raw_domain)
        if account_domain and not _domain_matches(email_domain, account_domain):
            found.append(ForeignDomainContact(contact, email_domain, account_domain))
    return tuple(found)


# --- 4. accounts without an owner or a segment ---------------------------------------


def incomplete_accounts(viewer: Viewer) -> tuple[IncompleteAccount, ...]:
    """Accounts nobody owns or with no segment (only admins can see unowned accounts)."""
    rows = (
        visible(Account.objects.all(), viewer)
        .filter(Q(owner__isnull=True) | Q(segment=""))
        .order_by("name", "pk")
        .values_list("pk", "external_id", "name", "owner_id", "segment")
    )
    return tuple(
        IncompleteAccount(AccountRef(pk, external_id, name), no_owner=owner_id is None, no_segment=segment == "")
        for pk, external_id, name, owner_id, segment in rows
    )


# --- 5. segment contradicted by revenue ----------------------------------------------


def _inside(band: SegmentRevenueBand, revenue: Decimal) -> bool:
    above_min = band.min_revenue is None or revenue >= band.min_revenue
    below_max = band.max_revenue is None or revenue < band.max_revenue
    return above_min and below_max


def _outside_q(band: SegmentRevenueBand) -> Q:
    """Accounts of the band's segment whose revenue is outside it; Q(pk__in=[]) if none can be."""
    outside = Q(pk__in=[])
    if band.min_revenue is not None:
        outside |= Q(annual_revenue__lt=band.min_revenue)
    if band.max_revenue is not None:
        outside |= Q(annual_revenue__gte=band.max_revenue)
    return Q(segment=band.segment) & outside


def misclassified_accounts(viewer: Viewer) -> tuple[MisclassifiedAccount, ...]:
    """Accounts whose revenue falls outside their segment's band, with the segment it suggests."""
    bands = list(SegmentRevenueBand.objects.order_by(F("min_revenue").asc(nulls_first=True), "segment"))
    if not bands:
        return ()
    # The bands are a handful of configuration rows, so the whole test fits in one WHERE
    # and only the misclassified accounts leave the database.
    outside = Q(pk__in=[])
    for band in bands:
        outside |= _outside_q(band)
    rows = (
        visible(Account.objects.all(), viewer)
        .filter(annual_revenue__isnull=False)
        .filter(outside)
        .order_by("name", "pk")
        .values_list("pk", "external_id", "name", "segment", "annual_revenue")
    )
    by_segment = {band.segment: band for band in bands}
    found = []
    for pk, external_id, name, segment, revenue in rows:
        if revenue is None:  # excluded by the query already; this tells the type checker
            continue
        band = by_segment[segment]
        suggested = next((b.segment for b in bands if b.segment != segment and _inside(b, revenue)), "")
        found.append(
            MisclassifiedAccount(
                AccountRef(pk, external_id, name), segment, revenue, band.min_revenue, band.max_revenue, suggested
            )
        )
    return tuple(found)


# --- 6. opted-out contacts still invited ---------------------------------------------


def opted_out_invited(viewer: Viewer) -> tuple[OptedOutInvited, ...]:
    """Contacts who opted out but still hold scheduled, sent or opened invitations."""
    rows = (
        visible(Contact.objects.all(), viewer, "account")
        .filter(opted_out=True)
        .annotate(open_count=Count("invitations", filter=Q(invitations__status__in=Invitation.OPEN_STATUSES)))
        .filter(open_count__gt=0)
        .order_by("account__name", "account_id", "email", "pk")
        .values_list(*_CONTACT_FIELDS, "open_count")
    )
    return tuple(OptedOutInvited(_contact_ref(*ref), open_count) for *ref, open_count in rows)
