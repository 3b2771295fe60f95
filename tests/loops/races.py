"""Helpers for the loops' race tests (two PostgreSQL transactions at once, see tests/surveys/races.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from loops.models import Loop, RootCause
from loops.services import cases
from vocplatform.models import User


def closing_held(loop: Loop, manager: User) -> Callable[[Callable[[], None]], None]:
    """The first party of second_waits_for_first: the manager closes the loop without a logged
    contact and holds the transaction open (the loop's row locked) until the second party waits."""
    cause = RootCause.objects.filter(active=True).first()

    def close(pause: Callable[[], None]) -> None:
        with transaction.atomic():
            cases.loop_close(
                loop_id=loop.pk,
                actor=manager,
                resolution_summary="Refunded on the phone",
                root_causes=[cause],
                reason_without_contact="Customer called us",
            )
            pause()

    return close
