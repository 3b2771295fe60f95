from __future__ import annotations

from django.core.management.base import CommandParser

from surveys.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Upsert accounts from a CSV by external id. Unknown columns become typed custom attributes. "
        "All or nothing unless --skip-invalid."
    )
    kind = "accounts"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--label-column", help="Column holding the known churn outcome (e.g. Churn).")
        parser.add_argument("--churned-value", default="Yes", help="Value of --label-column meaning churned.")
