"""Ticket numbers and the service day: local to the hall, never the server's UTC date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.numbering import format_number, service_day


@pytest.mark.parametrize(
    ("prefix", "sequence", "expected"),
    [
        ("A", 1, "A-001"),
        ("A", 12, "A-012"),
        ("B", 999, "B-999"),
        ("A", 1000, "A-1000"),
        ("KTP", 7, "KTP-007"),
    ],
)
def test_numbers_are_padded_to_three_digits_and_then_grow(
    prefix: str, sequence: int, expected: str
) -> None:
    assert format_number(prefix, sequence) == expected


@pytest.mark.parametrize("sequence", [0, -1])
def test_numbering_starts_at_one(sequence: int) -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        format_number("A", sequence)


@given(st.from_regex(r"[A-Z]{1,3}", fullmatch=True), st.integers(1, 99_999))
def test_a_number_reads_back_to_its_prefix_and_sequence(prefix: str, sequence: int) -> None:
    number = format_number(prefix, sequence)
    head, dash, digits = number.partition("-")
    assert (head, dash, int(digits)) == (prefix, "-", sequence)
    assert len(digits) == max(3, len(str(sequence)))


@given(st.integers(1, 998))
def test_numbers_sort_in_issue_order_below_a_thousand(sequence: int) -> None:
    assert format_number("A", sequence) < format_number("A", sequence + 1)


def test_the_jakarta_day_begins_at_17_00_utc() -> None:
    # 23:59 WIB on 2 March is still 2 March; one minute later the new day's numbering starts
    assert service_day(datetime(2026, 3, 2, 16, 59, tzinfo=UTC), "Asia/Jakarta") == date(2026, 3, 2)
    assert service_day(datetime(2026, 3, 2, 17, 0, tzinfo=UTC), "Asia/Jakarta") == date(2026, 3, 3)


def test_early_morning_in_the_hall_is_still_yesterday_in_utc() -> None:
    # 06:30 WIB on Tuesday 3 March is 23:30 UTC on Monday: the service day is the local one
    now = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert now.date() == date(2026, 3, 2)
    assert service_day(now, "Asia/Jakarta") == date(2026, 3, 3)


def test_each_zone_of_indonesia_has_its_own_midnight() -> None:
    now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 22:30 WIB, 23:30 WITA, 00:30 WIT
    assert service_day(now, "Asia/Jakarta") == date(2026, 3, 2)
    assert service_day(now, "Asia/Makassar") == date(2026, 3, 2)
    assert service_day(now, "Asia/Jayapura") == date(2026, 3, 3)


def test_an_aware_time_in_another_offset_gives_the_same_day() -> None:
    utc = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    local = utc.astimezone(timezone(timedelta(hours=7)))
    assert service_day(local, "Asia/Jakarta") == service_day(utc, "Asia/Jakarta")


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        service_day(datetime(2026, 3, 2, 17, 30), "Asia/Jakarta")


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
def test_the_jakarta_day_is_the_utc_time_plus_seven_hours(moment: datetime) -> None:
    # Indonesia has no daylight saving: WIB is always UTC+7
    now = moment.replace(tzinfo=UTC)
    assert service_day(now, "Asia/Jakarta") == (moment + timedelta(hours=7)).date()
