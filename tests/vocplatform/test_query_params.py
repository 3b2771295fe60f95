"""Ids and dates in a query string: anything malformed reads as absent, on every staff list, never a 500."""

import datetime as dt

import pytest
from django.urls import reverse

from conftest import login
from vocplatform.query_params import date_param, int_param

ID_CASES = [("42", 42), (" 7 ", 7), ("9" * 18, int("9" * 18)), ("9" * 19, None), ("²", None), ("٩", None)]
ID_CASES += [("-1", None), ("", None), (None, None), ("1e3", None), ("0x10", None)]


@pytest.mark.parametrize(("raw", "read"), ID_CASES)
def test_an_id_is_ascii_digits_that_fit_a_bigint(raw, read):
    assert int_param(raw) == read


def test_a_smaller_column_takes_fewer_digits():
    assert int_param("123456789", digits=9) == 123456789
    assert int_param("1234567890", digits=9) is None


DATE_CASES = [("2026-03-10", dt.date(2026, 3, 10)), ("2024-02-30", None), ("10/03/2026", None), ("", None)]
DATE_CASES += [(None, None), ("0001-01-01", None), ("9999-12-31", None), ("0002-01-01", dt.date(2, 1, 1))]
DATE_CASES += [("9998-12-31", dt.date(9998, 12, 31))]


@pytest.mark.parametrize(("raw", "read"), DATE_CASES)
def test_a_date_is_iso_and_leaves_room_to_move_between_time_zones(raw, read):
    assert date_param(raw) == read


PAGES = [
    ("surveys:response_list", {"survey": "²", "owner": "٩", "from": "0001-01-01", "to": "9999-12-31"}),
    ("surveys:response_list", {"survey": "9" * 30, "owner": "9" * 18}),
    ("surveys:invitation_list", {"survey": "²"}),
    ("surveys:account_list", {"owner": "²"}),
    ("surveys:topic_discovery", {"days": "²", "topics": "٩"}),
    ("loops:loop_list", {"owner": "²"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "params"), PAGES)
def test_staff_lists_ignore_a_malformed_filter(admin_user, name, params):
    admin_user.time_zone = "Asia/Tokyo"  # east of UTC: the first day of year 1 starts before it
    admin_user.save()
    assert login(admin_user).get(reverse(name), params).status_code == 200
