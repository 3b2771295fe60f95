"""A realistic demo organisation, generated (never read from files) and idempotent.

Loading twice changes nothing: every row is looked up by its natural key
(username, team name, external id) and created only when missing, so edits made
in the demo survive a restart of `make run`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from surveys.models import Account, Contact
from vocplatform.models import Team, User

SEED = 20261123
ACCOUNT_COUNT = 200

STAFF: list[tuple[str, str, str, str, str | None]] = [
    # username, first name, last name, role, team
    ("admin", "Ada", "Admin", User.Role.ADMIN, None),
    ("sam", "Sam", "Okafor", User.Role.SUPERVISOR, None),
    ("sofia", "Sofia", "Lindqvist", User.Role.SUPERVISOR, None),
    ("maria", "Maria", "Garcia", User.Role.MANAGER, "Enterprise East"),
    ("tom", "Tom", "Becker", User.Role.MANAGER, "Enterprise East"),
    ("li", "Li", "Wei", User.Role.MANAGER, "Enterprise West"),
    ("noah", "Noah", "Smith", User.Role.MANAGER, "Enterprise West"),
    ("amara", "Amara", "Diallo", User.Role.MANAGER, "Growth"),
    ("jonas", "Jonas", "Berg", User.Role.MANAGER, "Growth"),
]
TEAMS = {"Enterprise East": "sam", "Enterprise West": "sam", "Growth": "sofia"}
PREFIXES = [
    "Acme",
    "Apex",
    "Blue",
    "Bright",
    "Cedar",
    "Cobalt",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Helix",
    "Iron",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Meridian",
    "Nimbus",
    "Northwind",
    "Onyx",
    "Orbit",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Sable",
    "Summit",
    "Tidal",
    "Vertex",
    "Willow",
]
SUFFIXES = ["Logistics", "Health", "Foods", "Robotics", "Bank", "Energy", "Retail", "Software", "Insurance", "Telecom"]
LEGAL = ["Inc.", "Ltd", "GmbH", "LLC", "S.A.", "plc", ""]
REGIONS = {
    "North America": "America/New_York",
    "EMEA": "Europe/Berlin",
    "APAC": "Asia/Singapore",
    "LATAM": "America/Sao_Paulo",
}
SEGMENTS = [
    ("SMB", 0.45, (800_000, 9_000_000)),
    ("Mid-market", 0.35, (12_000_000, 400_000_000)),
    ("Enterprise", 0.2, (600_000_000, 9_000_000_000)),
]
BUSINESS_UNITS = ["Payments", "Platform", "Services"]
PRODUCT_LINES = ["Core", "Analytics", "Mobile", "Integrations", "Support Plus"]
FIRST = [
    "Alex",
    "Priya",
    "Chen",
    "Fatima",
    "Lucas",
    "Emma",
    "Kenji",
    "Zoe",
    "Omar",
    "Ines",
    "Marco",
    "Hana",
    "Ravi",
    "Sara",
    "Diego",
    "Nadia",
    "Ben",
    "Olga",
    "Yusuf",
    "Clara",
]
LAST = [
    "Ng",
    "Patel",
    "Rossi",
    "Müller",
    "Kowalski",
    "Haddad",
    "Silva",
    "Tanaka",
    "Dubois",
    "Novak",
    "Andersen",
    "Costa",
    "Ibrahim",
    "Walsh",
    "Moreau",
    "Kim",
]
ROLES = ["Head of Operations", "IT Director", "Procurement Lead", "CFO", "Support Manager", "Product Owner", "CEO"]


DEMO_EMAIL_DOMAIN = "demo.vocplatform.localhost"


@dataclass
class DemoSummary:
    users: int = 0
    accounts: int = 0
    contacts: int = 0


def _staff(password: str, summary: DemoSummary, *, reset_passwords: bool) -> dict[str, User]:
    users: dict[str, User] = {}
    for username, first, last, role, _team in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
                "role": role,
                "is_staff": role == User.Role.ADMIN,
                "is_superuser": role == User.Role.ADMIN,
                "time_zone": "Europe/London",
            },
        )
        # DEMO_PASSWORD given after a first load takes effect too (the banner announces it), for the
        # demo's own people only: a real "sam" keeps the password they chose. Without it, a demo
        # login whose password someone changed keeps theirs.
        demo_person = user.email == f"{username}@{DEMO_EMAIL_DOMAIN}"
        if created or (reset_passwords and demo_person and not user.check_password(password)):
            user.set_password(password)
            user.save(update_fields=["password"])
        summary.users += created
        users[username] = user
    for name, lead in TEAMS.items():
        team, _ = Team.objects.get_or_create(name=name, defaults={"supervisor": users[lead]})
        for username, *_rest, team_name in STAFF:
            if team_name == name and users[username].team_id is None:
                users[username].team = team
                users[username].save(update_fields=["team"])
    return users


def _segment(rng: random.Random) -> tuple[str, Decimal]:
    roll, acc = rng.random(), 0.0
    for name, share, (low, high) in SEGMENTS:
        acc += share
        if roll <= acc:
            return name, Decimal(rng.randrange(low, high, 1000))
    name, _, (low, high) = SEGMENTS[-1]
    return name, Decimal(rng.randrange(low, high, 1000))


def _account_values(rng: random.Random, index: int, managers: list[User]) -> dict[str, object]:
    base = f"{PREFIXES[index % len(PREFIXES)]} {SUFFIXES[(index // len(PREFIXES)) % len(SUFFIXES)]}"
    region = rng.choice(list(REGIONS))
    segment, revenue = _segment(rng)
    since = date(2026, 11, 1) - timedelta(days=rng.randrange(60, 3000))
    return {
        "name": f"{base} {rng.choice(LEGAL)}".strip(),
        "domain": base.lower().replace(" ", "") + rng.choice([".com", ".io", ".co.uk", ".de"]),
        "segment": segment,
        "region": region,
        "business_unit": rng.choice(BUSINESS_UNITS),
        "product_lines": sorted(rng.sample(PRODUCT_LINES, rng.randint(1, 3))),
        "owner": rng.choice(managers),
        "annual_revenue": revenue,
        "customer_since": since,
        "renewal_date": date(2027, 1, 1) + timedelta(days=rng.randrange(0, 365)),
        "custom_attributes": {
            "seats": rng.randint(5, 5000),
            "weekly_logins": rng.randint(0, 900),
            "support_tickets_90d": rng.randint(0, 40),
            "plan": rng.choice(["Starter", "Professional", "Enterprise"]),
        },
    }


def _contacts(rng: random.Random, account: Account, index: int) -> list[Contact]:
    contacts = []
    for number in range(rng.randint(1, 4)):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        opted_out = rng.random() < 0.05
        contacts.append(
            Contact(
                account=account,
                external_id=f"DEMO-C{index:04d}-{number}",
                name=f"{first} {last}",
                email=f"{first}.{last}.{number}@{account.domain}".lower().replace("ü", "ue"),
                role=rng.choice(ROLES),
                time_zone=REGIONS[account.region],
                opted_out=opted_out,
                opted_out_at=timezone.now() if opted_out else None,
            )
        )
    return contacts


def _plant_hygiene_problems(accounts: list[Account]) -> None:
    """A few realistic CRM mistakes so the hygiene report has something to show. Idempotent by external id."""
    unowned = accounts[7]
    if unowned.owner_id is not None and not Account.objects.filter(external_id="DEMO-DUP-0003").exists():
        Account.objects.filter(pk=unowned.pk).update(owner=None, segment="")
    twin = accounts[3]
    Account.objects.get_or_create(
        external_id="DEMO-DUP-0003",
        defaults={
            "name": twin.name.upper() + " Incorporated",
            "domain": twin.domain,
            "segment": twin.segment,
            "region": twin.region,
            "owner": twin.owner,
        },
    )
    if not Contact.objects.filter(external_id="DEMO-HYG-1").exists():
        Account.objects.filter(pk=accounts[11].pk).update(segment="SMB", annual_revenue=Decimal("2400000000"))
        Contact.objects.create(
            account=accounts[20], external_id="DEMO-HYG-1", name="Pat Private", email="pat.private@gmail.com"
        )
        shared = Contact.objects.filter(account=accounts[21]).order_by("pk").first()
        if shared is not None:
            Contact.objects.create(account=accounts[22], external_id="DEMO-HYG-2", name=shared.name, email=shared.email)


@transaction.atomic
def demo_load(
    *, password: str, reset_passwords: bool = False, progress: Callable[[int, int], None] | None = None
) -> DemoSummary:
    """Add what is missing of the demo organisation. New demo users get ``password``; with
    ``reset_passwords`` (DEMO_PASSWORD was given) the demo's existing users get it too."""
    rng = random.Random(SEED)
    summary = DemoSummary()
    users = _staff(password, summary, reset_passwords=reset_passwords)
    managers = [user for user in users.values() if user.role == User.Role.MANAGER]
    existing = {a.external_id: a for a in Account.objects.filter(external_id__startswith="DEMO-A")}
    accounts: list[Account] = []
    for index in range(ACCOUNT_COUNT):
        values = _account_values(rng, index, managers)
        external_id = f"DEMO-A{index:04d}"
        account = existing.get(external_id)
        if account is None:
            account = Account.objects.create(external_id=external_id, **values)  # type: ignore[arg-type]
            contacts = _contacts(rng, account, index)
            Contact.objects.bulk_create(contacts)
            summary.accounts += 1
            summary.contacts += len(contacts)
        else:
            _contacts(rng, account, index)  # keep the random stream identical on every load
        accounts.append(account)
        if progress:
            progress(index + 1, ACCOUNT_COUNT)
    _plant_hygiene_problems(accounts)
    return summary
