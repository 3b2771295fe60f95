from __future__ import annotations

from surveys.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Upsert contacts from a CSV by external id (or account and email). The account column holds the "
        "account's external id. All or nothing unless --skip-invalid."
    )
    kind = "contacts"
