"""Render a pack from the command line, as an admin sees it (or as --as USERNAME sees it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils import timezone

from loops.models import ReportKind
from loops.reports.filters import MAX_DAYS, default_filters
from loops.reports.packs import render_pack
from surveys.models import Account
from vocplatform.models import Team, User
from vocplatform.progress import progress_bar
from vocplatform.query_params import date_param
from vocplatform.visibility import SYSTEM


def parse_period(value: str) -> tuple[dt.date, dt.date]:
    """START:END, read as the staff app reads its dates (years 2 to 9998) and capped as it caps them."""
    start, _sep, end = value.partition(":")
    first, last = date_param(start), date_param(end)
    if first is None or last is None or first > last:
        raise CommandError(f"--period must be START:END as YYYY-MM-DD:YYYY-MM-DD, start first; got {value!r}.")
    if (last - first).days > MAX_DAYS:
        raise CommandError(f"--period may span at most {MAX_DAYS} days (five years); got {value!r}.")
    return first, last


class Command(BaseCommand):
    help = (
        "Render the weekly accountability report, the management review pack or an account report to a PDF. "
        "The period defaults to the last seven days (weekly) or 28 days (review, account)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ReportKind.values)
        parser.add_argument("--team", help="Team name (weekly): that team only.")
        parser.add_argument("--account", help="The account's external id (account report).")
        parser.add_argument("--period", help="START:END, e.g. 2025-03-03:2025-03-09 (both days included).")
        parser.add_argument("--as", dest="as_user", help="Render what this user may see (default: everything).")
        parser.add_argument("--out", required=True, help="Where to write the PDF.")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        viewer = self._viewer(options["as_user"])
        team = self._team(options["team"])
        account_id = self._account(kind, options["account"])
        filters = default_filters(viewer=viewer, days=7 if kind == ReportKind.WEEKLY else 28)
        if options["period"]:
            first, last = parse_period(options["period"])
            filters = replace(filters, date_from=first, date_to=last)
        out = Path(options["out"])
        # Checked before rendering, which takes seconds: a path that cannot be written is a clear error.
        if out.is_dir() or not out.parent.is_dir():
            raise CommandError(f"--out {out}: give a file in an existing folder.")
        with progress_bar(self.stderr, desc=f"{kind} pack", unit="%", verbosity=options["verbosity"]) as progress:
            try:
                title, rendered = render_pack(
                    kind=kind,
                    viewer=viewer,
                    filters=filters,
                    team=team,
                    account_id=account_id,
                    now=timezone.now(),
                    progress=lambda percent: progress(percent, 100),
                )
            except Http404 as error:
                raise CommandError("That account is not visible to the chosen user.") from error
        try:
            out.write_bytes(rendered.pdf)
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror or error}") from None
        self.stdout.write(self.style.SUCCESS(f"{title}: {rendered.pages} pages, {len(rendered.pdf):,} bytes → {out}"))

    def _viewer(self, username: str | None) -> Any:
        if not username:
            return SYSTEM
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        return user

    def _team(self, name: str | None) -> Team | None:
        if not name:
            return None
        team = Team.objects.filter(name=name).first()
        if team is None:
            raise CommandError(f"No team {name!r}. Teams: {', '.join(Team.objects.values_list('name', flat=True))}")
        return team

    def _account(self, kind: str, external_id: str | None) -> int | None:
        if kind != ReportKind.ACCOUNT:
            return None
        if not external_id:
            raise CommandError("An account report needs --account EXTERNAL_ID.")
        account = Account.objects.filter(external_id=external_id).values_list("pk", flat=True).first()
        if account is None:
            raise CommandError(f"No account with external id {external_id!r}.")
        return account
