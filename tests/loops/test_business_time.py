"""Business-time SLA arithmetic: worked examples first, then properties checked against a
reference that walks the wall clock one minute at a time and asks "is this a working minute?"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from loops.business_time import BusinessCalendar, add_business_time, business_time_between, is_working_time

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
JUST_BEFORE = dt.timedelta(microseconds=1)

OFFICE = BusinessCalendar(time_zone="Europe/London")  # Monday–Friday, 09:00–17:00
EVERY_DAY = frozenset(range(7))


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def hours(count: float) -> dt.timedelta:
    return dt.timedelta(hours=count)


def night_window(time_zone: str, opens: dt.time, closes: dt.time) -> BusinessCalendar:
    return BusinessCalendar(time_zone=time_zone, workdays=EVERY_DAY, day_start=opens, day_end=closes)


# --- Due times in an ordinary week (London in January is on UTC) ---------------------------------


def test_ticket_opened_friday_at_four_with_24_business_hours_is_due_the_next_wednesday_at_four() -> None:
    assert add_business_time(OFFICE, london(2026, 1, 9, 16), hours(24)) == utc(2026, 1, 14, 16)


def test_a_holiday_monday_pushes_the_due_time_back_a_day() -> None:
    calendar = BusinessCalendar(time_zone="Europe/London", holidays=frozenset({dt.date(2026, 1, 12)}))
    assert add_business_time(calendar, london(2026, 1, 9, 16), hours(24)) == utc(2026, 1, 15, 16)


def test_a_ticket_opened_tuesday_night_starts_counting_at_nine_on_wednesday() -> None:
    assert add_business_time(OFFICE, london(2026, 1, 13, 22), hours(1)) == utc(2026, 1, 14, 10)


def test_a_duration_that_uses_up_a_day_exactly_is_due_at_closing_not_the_next_morning() -> None:
    assert add_business_time(OFFICE, london(2026, 1, 13, 22), hours(8)) == utc(2026, 1, 14, 17)


def test_the_due_time_is_the_same_instant_in_utc_whatever_zone_the_start_was_given_in() -> None:
    opened = london(2026, 1, 9, 16)
    due = add_business_time(OFFICE, opened.astimezone(ZoneInfo("Asia/Tokyo")), hours(24))
    assert due == utc(2026, 1, 14, 16)
    assert due.tzinfo is UTC


def test_zero_duration_is_due_at_the_start_even_outside_working_hours() -> None:
    saturday = london(2026, 1, 10, 12)
    assert add_business_time(OFFICE, saturday, dt.timedelta(0)) == saturday
    assert add_business_time(OFFICE, saturday, dt.timedelta(0)).tzinfo is UTC


def test_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(OFFICE, london(2026, 1, 9, 16), -MINUTE)


def test_two_thousand_business_hours_are_250_working_days() -> None:
    # Monday 5 January to Friday 18 December 2026 is 50 full weeks, across both clock changes.
    assert add_business_time(OFFICE, london(2026, 1, 5, 9), hours(2000)) == utc(2026, 12, 18, 17)


def test_holidays_covering_two_years_are_waited_out() -> None:
    two_years = frozenset(dt.date(2026, 1, 1) + dt.timedelta(days=k) for k in range(731))
    calendar = BusinessCalendar(time_zone="Europe/London", holidays=two_years)
    assert add_business_time(calendar, london(2026, 1, 1, 9), hours(1)) == utc(2028, 1, 3, 10)


def test_a_calendar_without_a_working_day_for_years_is_refused_rather_than_searched_forever() -> None:
    four_years = frozenset(dt.date(2026, 1, 1) + dt.timedelta(days=k) for k in range(4 * 366))
    calendar = BusinessCalendar(time_zone="Europe/London", holidays=four_years)
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(calendar, london(2026, 1, 1, 9), hours(1))
    assert business_time_between(calendar, london(2026, 1, 1), london(2029, 1, 1)) == dt.timedelta(0)


# --- Business time between two instants ----------------------------------------------------------


def test_business_time_between_friday_afternoon_and_monday_morning_skips_the_weekend() -> None:
    assert business_time_between(OFFICE, london(2026, 1, 9, 15), london(2026, 1, 12, 11)) == hours(4)


def test_business_time_between_is_zero_when_the_end_is_not_after_the_start() -> None:
    assert business_time_between(OFFICE, london(2026, 1, 12, 11), london(2026, 1, 12, 10)) == dt.timedelta(0)
    assert business_time_between(OFFICE, london(2026, 1, 12, 11), london(2026, 1, 12, 11)) == dt.timedelta(0)


# --- Clock changes -------------------------------------------------------------------------------


def test_new_york_office_hours_after_the_march_2026_change_are_counted_in_daylight_time() -> None:
    calendar = BusinessCalendar(time_zone="America/New_York")
    opened = dt.datetime(2026, 3, 6, 16, tzinfo=NEW_YORK)  # Friday, EST; clocks go forward on Sunday the 8th
    due = add_business_time(calendar, opened, hours(2))
    assert due == dt.datetime(2026, 3, 9, 10, tzinfo=NEW_YORK) == utc(2026, 3, 9, 14)
    assert business_time_between(calendar, opened, due) == hours(2)


def test_a_new_york_night_window_loses_the_hour_the_clocks_skip() -> None:
    calendar = night_window("America/New_York", dt.time(0, 0), dt.time(6, 0))
    night = dt.datetime(2026, 3, 8, tzinfo=NEW_YORK)
    assert business_time_between(calendar, night, night + hours(24)) == hours(5)
    assert add_business_time(calendar, night, hours(3)) == dt.datetime(2026, 3, 8, 4, tzinfo=NEW_YORK)


def test_london_office_hours_after_the_spring_2026_change_are_counted_in_summer_time() -> None:
    assert (
        add_business_time(OFFICE, london(2026, 3, 27, 16), hours(2)) == london(2026, 3, 30, 10) == utc(2026, 3, 30, 9)
    )


def test_london_office_hours_after_the_autumn_2026_change_are_counted_in_winter_time() -> None:
    due = add_business_time(OFFICE, london(2026, 10, 23, 16), hours(2))
    assert due == london(2026, 10, 26, 10) == utc(2026, 10, 26, 10)


def test_a_window_opening_inside_the_spring_gap_opens_at_the_instant_zoneinfo_gives_it() -> None:
    # 01:00 does not exist on 29 March 2026 in London; fold=0 reads it as 01:00 GMT, i.e. 02:00 BST.
    calendar = night_window("Europe/London", dt.time(1, 0), dt.time(5, 0))
    assert business_time_between(calendar, london(2026, 3, 29), london(2026, 3, 30)) == hours(3)
    assert not is_working_time(calendar, utc(2026, 3, 29, 0, 59))
    assert is_working_time(calendar, utc(2026, 3, 29, 1, 0))


def test_a_window_closing_inside_the_spring_gap_closes_at_the_instant_zoneinfo_gives_it() -> None:
    # 01:30 does not exist either; it closes at 01:30 GMT, which the wall clock shows as 02:30 BST.
    calendar = night_window("Europe/London", dt.time(0, 0), dt.time(1, 30))
    assert business_time_between(calendar, london(2026, 3, 29), london(2026, 3, 30)) == hours(1.5)
    assert is_working_time(calendar, london(2026, 3, 29, 2, 29))


def test_a_window_the_spring_gap_turns_inside_out_has_no_working_time_that_day() -> None:
    # 01:30 opens at 01:30 UTC but 02:15 BST closes at 01:15 UTC.
    calendar = night_window("Europe/London", dt.time(1, 30), dt.time(2, 15))
    assert business_time_between(calendar, london(2026, 3, 29), london(2026, 3, 30)) == dt.timedelta(0)
    assert business_time_between(calendar, london(2026, 3, 28), london(2026, 3, 29)) == hours(0.75)


def test_a_window_opening_in_the_autumn_repeat_opens_at_the_first_occurrence() -> None:
    # 01:00–01:59 happens twice on 25 October 2026; the window opens at 01:00 BST and runs 5 real hours.
    calendar = night_window("Europe/London", dt.time(1, 0), dt.time(5, 0))
    assert business_time_between(calendar, london(2026, 10, 25), london(2026, 10, 26)) == hours(5)
    assert is_working_time(calendar, utc(2026, 10, 25, 0, 0))


# --- No calendar ---------------------------------------------------------------------------------


def test_without_a_calendar_the_clock_always_runs_in_real_hours() -> None:
    # Plain aware arithmetic would say 12:00 the next day, which is only 23 hours later.
    opened = dt.datetime(2026, 3, 7, 12, tzinfo=NEW_YORK)
    assert add_business_time(None, opened, hours(24)) == dt.datetime(2026, 3, 8, 13, tzinfo=NEW_YORK)
    assert business_time_between(None, opened, dt.datetime(2026, 3, 8, 12, tzinfo=NEW_YORK)) == hours(23)


# --- Working time --------------------------------------------------------------------------------


def test_opening_time_is_working_time_and_closing_time_is_not() -> None:
    assert is_working_time(OFFICE, london(2026, 1, 12, 9))
    assert is_working_time(OFFICE, london(2026, 1, 12, 16, 59))
    assert not is_working_time(OFFICE, london(2026, 1, 12, 17))
    assert not is_working_time(OFFICE, london(2026, 1, 12, 8, 59))


def test_weekends_and_holidays_are_not_working_time() -> None:
    calendar = BusinessCalendar(time_zone="Europe/London", holidays=frozenset({dt.date(2026, 1, 12)}))
    assert not is_working_time(calendar, london(2026, 1, 10, 12))
    assert not is_working_time(calendar, london(2026, 1, 12, 12))
    assert is_working_time(calendar, london(2026, 1, 13, 12))


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(OFFICE, dt.datetime(2026, 1, 9, 16), hours(1)),
        lambda: add_business_time(None, dt.datetime(2026, 1, 9, 16), hours(1)),
        lambda: business_time_between(OFFICE, dt.datetime(2026, 1, 9, 16), london(2026, 1, 12, 9)),
        lambda: business_time_between(None, london(2026, 1, 9, 16), dt.datetime(2026, 1, 12, 9)),
        lambda: is_working_time(OFFICE, dt.datetime(2026, 1, 9, 16)),
    ],
    ids=["add", "add-without-calendar", "between-start", "between-end", "is-working"],
)
def test_naive_datetimes_are_refused(call: object) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day_start": dt.time(17), "day_end": dt.time(9)}, "must be after day_start"),
        ({"day_start": dt.time(9), "day_end": dt.time(9)}, "must be after day_start"),
        ({"day_start": dt.time(9, tzinfo=UTC)}, "without tzinfo"),
        ({"time_zone": "Europe/Atlantis"}, "unknown time zone"),
        ({"time_zone": ""}, "unknown time zone"),
        ({"workdays": frozenset()}, "at least one workday"),
        ({"workdays": frozenset({0, 7})}, "0 \\(Monday\\) to 6"),
        ({"workdays": frozenset({-1})}, "0 \\(Monday\\) to 6"),
        ({"holidays": frozenset({dt.datetime(2026, 1, 1)})}, "datetime.date"),
    ],
)
def test_bad_calendars_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**{"time_zone": "Europe/London", **fields})  # type: ignore[arg-type]


def test_a_calendar_given_lists_stores_frozensets_and_stays_hashable() -> None:
    calendar = BusinessCalendar(time_zone="UTC", workdays=[0, 1], holidays=[dt.date(2026, 1, 1)])  # type: ignore[arg-type]
    assert calendar.workdays == frozenset({0, 1})
    assert hash(calendar) == hash(
        BusinessCalendar(time_zone="UTC", workdays=frozenset({0, 1}), holidays=frozenset({dt.date(2026, 1, 1)}))
    )


# --- Properties ----------------------------------------------------------------------------------
#
# The reference says a minute is working when the local wall clock reads a working day, not a
# holiday, between opening and closing. That is the contract exactly, except on a clock-change
# date where opening or closing time is skipped or repeated; the reference tests filter those
# calendars out (the examples above pin them down) and the self-consistency properties keep them.

ZONES = ("UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
FIRST, LAST = utc(2025, 1, 1), utc(2028, 1, 1)
# Office hours, round the clock, and windows that meet the clock changes in London, New York and Sydney.
NOTABLE_WINDOWS = ((9 * 60, 17 * 60), (0, 23 * 60 + 59), (60, 300), (90, 135), (150, 210), (0, 90), (22 * 60, 23 * 60))


@dataclass(frozen=True)
class Scenario:
    calendar: BusinessCalendar
    start: dt.datetime
    duration: dt.timedelta


@lru_cache
def clock_changes(time_zone: str) -> tuple[dt.datetime, ...]:
    """The instants in 2025–2027 at which the zone's offset from UTC changes (all on the hour)."""
    zone, changes = ZoneInfo(time_zone), []
    hour, offset = FIRST, FIRST.astimezone(zone).utcoffset()
    while hour < LAST:
        hour += HOUR
        if (new_offset := hour.astimezone(zone).utcoffset()) != offset:
            changes.append(hour)
        offset = new_offset
    return tuple(changes)


@lru_cache
def skipped_or_repeated(time_zone: str, wall_time: dt.time) -> bool:
    """Whether ``wall_time`` is skipped or repeated on some clock-change date in 2025–2027."""
    zone = ZoneInfo(time_zone)
    for change in clock_changes(time_zone):
        for day in {(change + shift).astimezone(zone).date() for shift in (-HOUR * 24, dt.timedelta(0), HOUR * 24)}:
            local = dt.datetime.combine(day, wall_time, tzinfo=zone)
            if local.utcoffset() != local.replace(fold=1).utcoffset():
                return True
    return False


def reads_like_a_wall_clock(calendar: BusinessCalendar) -> bool:
    return not any(skipped_or_repeated(calendar.time_zone, t) for t in (calendar.day_start, calendar.day_end))


def wall_clock_says_working(calendar: BusinessCalendar, instant: dt.datetime) -> bool:
    local = instant.astimezone(ZoneInfo(calendar.time_zone))
    return (
        local.weekday() in calendar.workdays
        and local.date() not in calendar.holidays
        and calendar.day_start <= local.time() < calendar.day_end
    )


def reference_due(calendar: BusinessCalendar, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    moment, minutes_left = start.astimezone(UTC), duration // MINUTE
    while minutes_left:
        minutes_left -= wall_clock_says_working(calendar, moment)
        moment += MINUTE
    return moment


def reference_between(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    minutes = range(max(0, (last - first) // MINUTE))
    return MINUTE * sum(wall_clock_says_working(calendar, first + k * MINUTE) for k in minutes)


def clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def window_minutes(calendar: BusinessCalendar) -> int:
    opens, closes = (t.hour * 60 + t.minute for t in (calendar.day_start, calendar.day_end))
    return closes - opens


@st.composite
def instants(draw: st.DrawFn, time_zone: str) -> dt.datetime:
    """Whole minutes in 2025–2027, half of them within days of a clock change, shown in any zone."""
    changes, near_a_change = clock_changes(time_zone), draw(st.booleans())
    if changes and near_a_change:
        instant = draw(st.sampled_from(changes)) + draw(st.integers(-2 * 24 * 60, 24 * 60)) * MINUTE
    else:
        instant = FIRST + draw(st.integers(0, (LAST - FIRST) // MINUTE - 1)) * MINUTE
    return instant.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


@st.composite
def calendars(draw: st.DrawFn, time_zone: str, near: dt.datetime) -> BusinessCalendar:
    """Any workdays, any whole-minute window, and up to four holidays in the four weeks after ``near``."""
    random_window = st.integers(0, 23 * 60 + 58).flatmap(
        lambda opens: st.tuples(st.just(opens), st.integers(opens + 1, 23 * 60 + 59))
    )
    opens, closes = draw(st.sampled_from(NOTABLE_WINDOWS) | random_window)
    first_day = near.astimezone(ZoneInfo(time_zone)).date()
    holidays = draw(st.frozensets(st.integers(-1, 28), max_size=4))
    return BusinessCalendar(
        time_zone=time_zone,
        workdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        day_start=clock(opens),
        day_end=clock(closes),
        holidays=frozenset(first_day + dt.timedelta(days=k) for k in holidays),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A start, a calendar, and from a minute to three of that calendar's nominal weeks of business time."""
    time_zone = draw(st.sampled_from(ZONES))
    start = draw(instants(time_zone))
    calendar = draw(calendars(time_zone, start))
    week = len(calendar.workdays) * window_minutes(calendar)
    return Scenario(calendar, start, draw(st.integers(1, 3 * week)) * MINUTE)


@st.composite
def calendar_moments(draw: st.DrawFn) -> tuple[BusinessCalendar, dt.datetime]:
    """A calendar and a moment in the few days around its holidays."""
    time_zone = draw(st.sampled_from(ZONES))
    moment = draw(instants(time_zone))
    return draw(calendars(time_zone, moment - dt.timedelta(days=draw(st.integers(0, 7))))), moment


walks = settings(max_examples=80, deadline=None)
sums = settings(max_examples=150, deadline=None)


@walks
@given(scenarios())
def test_due_time_matches_a_minute_by_minute_walk_of_the_wall_clock(case: Scenario) -> None:
    assume(reads_like_a_wall_clock(case.calendar))
    expected = reference_due(case.calendar, case.start, case.duration)
    assert add_business_time(case.calendar, case.start, case.duration) == expected


@walks
@given(scenarios(), st.integers(-60, 21 * 24 * 60))
def test_business_time_between_matches_a_minute_by_minute_walk_of_the_wall_clock(case: Scenario, span: int) -> None:
    assume(reads_like_a_wall_clock(case.calendar))
    end = case.start.astimezone(UTC) + span * MINUTE
    assert business_time_between(case.calendar, case.start, end) == reference_between(case.calendar, case.start, end)


@sums
@given(calendar_moments())
def test_working_time_is_when_the_wall_clock_reads_working_hours(pair: tuple[BusinessCalendar, dt.datetime]) -> None:
    calendar, moment = pair
    assume(reads_like_a_wall_clock(calendar))
    assert is_working_time(calendar, moment) == wall_clock_says_working(calendar, moment)


@sums
@given(scenarios())
def test_business_time_from_start_to_due_time_is_the_duration(case: Scenario) -> None:
    due = add_business_time(case.calendar, case.start, case.duration)
    assert business_time_between(case.calendar, case.start, due) == case.duration


@sums
@given(scenarios())
def test_due_time_is_in_working_time_or_exactly_at_a_closing_time(case: Scenario) -> None:
    due = add_business_time(case.calendar, case.start, case.duration)
    assert is_working_time(case.calendar, due) or is_working_time(case.calendar, due - JUST_BEFORE)


@sums
@given(scenarios(), st.integers(1, 3 * 24 * 60))
def test_a_longer_duration_is_due_later(case: Scenario, extra_minutes: int) -> None:
    shorter = add_business_time(case.calendar, case.start, case.duration)
    assert shorter < add_business_time(case.calendar, case.start, case.duration + extra_minutes * MINUTE)


@sums
@given(scenarios(), st.integers(0, 3 * 24 * 60))
def test_splitting_a_duration_in_two_does_not_move_the_due_time(case: Scenario, first_minutes: int) -> None:
    first = min(first_minutes * MINUTE, case.duration)
    halfway = add_business_time(case.calendar, case.start, first)
    expected = add_business_time(case.calendar, case.start, case.duration)
    assert add_business_time(case.calendar, halfway, case.duration - first) == expected


@sums
@given(instants("Europe/London"), instants("America/New_York"), st.integers(0, 10**7))
def test_without_a_calendar_business_time_is_elapsed_time(start: dt.datetime, end: dt.datetime, minutes: int) -> None:
    duration = minutes * MINUTE
    assert add_business_time(None, start, duration) == start.astimezone(UTC) + duration
    assert business_time_between(None, start, end) == max(dt.timedelta(0), end.astimezone(UTC) - start.astimezone(UTC))


@pytest.mark.parametrize("workdays", [[True, 2, 3], [0, 1.0], ["1"], [], 3])
def test_the_admin_refuses_a_calendar_the_sla_arithmetic_would_refuse(workdays):
    """JSON true is an int to isinstance(); a calendar saved with it failed every loop opened under it."""
    from django.core.exceptions import ValidationError

    from loops.models.config import validate_workdays

    with pytest.raises(ValidationError, match="0 \\(Monday\\) to 6"):
        validate_workdays(workdays)
