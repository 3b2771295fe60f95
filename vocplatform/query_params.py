"""Ids, counts and dates read from a query string: anything malformed reads as absent, never a 500."""

from __future__ import annotations

import datetime as dt

from django.utils.dateparse import parse_date

# 18 digits always fit a bigint primary key.
ID_DIGITS = 18


def int_param(value: str | None, *, digits: int = ID_DIGITS) -> int | None:
    """A non-negative integer of at most ``digits`` ASCII digits, else ``None``.

    ``str.isdigit()`` alone accepts "²" (which ``int()`` refuses) and "٩" (which it reads as 9).
    """
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= digits else None


def date_param(value: str | None) -> dt.date | None:
    """A YYYY-MM-DD date, else ``None``: also for impossible dates (2024-02-30) and for the first and
    last years a date can have, whose day boundaries overflow once moved between time zones (as
    a bound they exclude nothing anyway)."""
    try:
        date = parse_date((value or "").strip())
    except ValueError:
        return None
    return date if date is not None and dt.MINYEAR < date.year < dt.MAXYEAR else None
