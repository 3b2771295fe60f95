"""SLA clocks that tick only during business hours.

A loop's deadline ("reply within 8 business hours") is measured on the account's business
calendar, not the wall clock: nights, weekends and holidays do not count. The arithmetic lives
here as plain functions over plain data, with no ORM, so it can be checked exhaustively against
a brute-force reference without a database.

The contract, in one place:

- Working time is, for every local date that is a workday and not a holiday, the half-open span
  of real instants from ``day_start`` to ``day_end`` on that date in the calendar's time zone.
  Durations are real elapsed time, so a 09:00–17:00 day is 8 hours unless a DST change falls
  inside it (a 00:00–04:00 window on London's spring-forward night is 3 hours).
- A wall-clock time that does not exist (inside a spring-forward gap) means the instant zoneinfo
  gives it with ``fold=0``, i.e. read with the offset in force before the change: 01:30 on
  London's spring-forward night is 01:30 UTC (02:30 BST). An ambiguous time (fall-back) means its
  first occurrence. A window that this makes end no later than it starts is no working time.
- ``add_business_time`` with a zero duration returns ``start`` itself (in UTC), even outside
  working hours: nothing has to elapse. With a positive duration, counting starts at the next
  working moment, and a duration that uses up a working period exactly ends at that period's
  close (Wednesday 17:00), not at the next opening.
- A ``None`` calendar is round the clock: plain elapsed time.
- Results are aware datetimes in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ZERO = dt.timedelta(0)
_ONE_DAY = dt.timedelta(days=1)
# Holidays are a finite set, so some workday always comes; a calendar that lists every day for
# years is a data-entry mistake, and failing loudly beats searching to the year 9999.
_MAX_IDLE_DAYS = 3 * 366


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours: ``day_start``–``day_end`` local time on ``workdays`` (Monday=0), except
    ``holidays`` (local dates). Sets given as lists or sets are stored as frozensets."""

    time_zone: str
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    holidays: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        _check_time_zone(self.time_zone)
        # Frozen, so coercion goes through object.__setattr__; it keeps the calendar hashable.
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        _check_workdays(self.workdays)
        _check_day_window(self.day_start, self.day_end)
        _check_holidays(self.holidays)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # zoneinfo caches instances by key


class _Period(NamedTuple):
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive


def add_business_time(calendar: BusinessCalendar | None, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """The instant at which ``duration`` of working time has elapsed since ``start``."""
    moment = _as_utc(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if calendar is None or duration == _ZERO:
        return moment + duration
    remaining = duration
    for period in _working_periods(calendar, _local_date(calendar, moment) - _ONE_DAY):
        begin = max(period.start, moment)
        if begin >= period.end:
            continue
        available = period.end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _working_periods without last_day never ends")


def business_time_between(calendar: BusinessCalendar | None, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Working time elapsed from ``start`` to ``end``; zero when ``end`` is not after ``start``."""
    begin, finish = _as_utc(start, "start"), _as_utc(end, "end")
    if finish <= begin:
        return _ZERO
    if calendar is None:
        return finish - begin
    first_day = _local_date(calendar, begin) - _ONE_DAY
    last_day = _local_date(calendar, finish) + _ONE_DAY
    total = _ZERO
    for period in _working_periods(calendar, first_day, last_day):
        overlap = min(period.end, finish) - max(period.start, begin)
        if overlap > _ZERO:
            total += overlap
    return total


def is_working_time(calendar: BusinessCalendar, moment: dt.datetime) -> bool:
    """Whether the SLA clock runs at ``moment``: opening time counts, closing time does not."""
    instant = _as_utc(moment, "moment")
    day = _local_date(calendar, instant)
    # Neighbouring dates too: around a DST change a date's window can reach past its midnight.
    periods = _working_periods(calendar, day - _ONE_DAY, day + _ONE_DAY)
    return any(period.start <= instant < period.end for period in periods)


def _working_periods(
    calendar: BusinessCalendar, first_day: dt.date, last_day: dt.date | None = None
) -> Iterator[_Period]:
    """Working periods from ``first_day`` (to ``last_day``, or forever), in order and disjoint."""
    day, idle_days = first_day, 0
    previous_end: dt.datetime | None = None
    while last_day is None or day <= last_day:
        period = _period_on(calendar, day)
        if period is not None and previous_end is not None:
            # Where a DST gap straddles midnight one date's window can overlap the next one's;
            # clipping keeps the union (what counts) and stops time being counted twice.
            period = _clip(period, previous_end)
        if period is None:
            idle_days += 1
            if last_day is None and idle_days > _MAX_IDLE_DAYS:
                raise ValueError(f"business calendar has no working time for {_MAX_IDLE_DAYS} days before {day}")
        else:
            idle_days, previous_end = 0, period.end
            yield period
        day += _ONE_DAY


def _period_on(calendar: BusinessCalendar, day: dt.date) -> _Period | None:
    if day.weekday() not in calendar.workdays or day in calendar.holidays:
        return None
    start = _instant(calendar.zone, day, calendar.day_start)
    end = _instant(calendar.zone, day, calendar.day_end)
    return _Period(start, end) if end > start else None


def _clip(period: _Period, not_before: dt.datetime) -> _Period | None:
    start = max(period.start, not_before)
    return _Period(start, period.end) if period.end > start else None


def _instant(zone: ZoneInfo, day: dt.date, wall_time: dt.time) -> dt.datetime:
    # fold=0: a nonexistent time is read with the pre-change offset, an ambiguous one is its first occurrence.
    return dt.datetime.combine(day, wall_time.replace(fold=0), tzinfo=zone).astimezone(dt.UTC)


def _local_date(calendar: BusinessCalendar, instant: dt.datetime) -> dt.date:
    return instant.astimezone(calendar.zone).date()


def _as_utc(moment: dt.datetime, name: str) -> dt.datetime:
    # Convert before any arithmetic: adding a timedelta to a zoneinfo datetime moves the wall
    # clock, not real time, and subtracting two with the same tzinfo ignores their offsets.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(dt.UTC)


def _check_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/London'") from error


def _check_workdays(workdays: frozenset[int]) -> None:
    if not workdays:
        raise ValueError("a business calendar needs at least one workday")
    invalid = sorted(repr(day) for day in workdays if type(day) is not int or not 0 <= day <= 6)
    if invalid:
        raise ValueError(f"workdays are 0 (Monday) to 6 (Sunday), got {', '.join(invalid)}")


def _check_day_window(day_start: dt.time, day_end: dt.time) -> None:
    if day_start.tzinfo is not None or day_end.tzinfo is not None:
        raise ValueError("day_start and day_end are local wall-clock times; give them without tzinfo")
    if day_end <= day_start:
        raise ValueError(
            f"day_end ({day_end.isoformat()}) must be after day_start ({day_start.isoformat()}) on the same day"
        )


def _check_holidays(holidays: frozenset[dt.date]) -> None:
    # A datetime is a date subclass but never equals one, so it would silently never match.
    invalid = sorted(repr(day) for day in holidays if type(day) is not dt.date)
    if invalid:
        raise ValueError(f"holidays are local dates (datetime.date), got {', '.join(invalid)}")
