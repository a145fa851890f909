"""Opening hours in the hall's own zone: Friday prayer, holidays, services with shorter hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.calendar import OpeningHours

JAKARTA = ZoneInfo("Asia/Jakarta")
WEEK = {
    "mon": "08:00-15:00",
    "tue": "08:00-15:00",
    "wed": "08:00-15:00",
    "thu": "08:00-15:00",
    "fri": "08:00-11:30, 13:00-15:00",
    "sat": "08:00-12:00",
}
# Monday 2 March 2026 … Sunday 8 March 2026
MON, TUE, FRI, SAT, SUN = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 6), date(2026, 3, 7), date(
    2026, 3, 8
)


def wib(day: date, hhmm: str) -> datetime:
    """A wall-clock time in the hall, as the UTC instant the server sees."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JAKARTA).astimezone(UTC)


def hall(**extra: object) -> OpeningHours:
    return OpeningHours.build("Asia/Jakarta", WEEK, **extra)  # type: ignore[arg-type]


def test_the_dates_are_the_weekdays_the_tests_say() -> None:
    assert [d.strftime("%a") for d in (MON, TUE, FRI, SAT, SUN)] == [
        "Mon", "Tue", "Fri", "Sat", "Sun"]


@pytest.mark.parametrize(
    ("day", "clock", "is_open"),
    [
        (MON, "07:59", False),
        (MON, "08:00", True),
        (MON, "12:00", True),
        (MON, "14:59", True),
        (MON, "15:00", False),  # the window's end is closing time
        (FRI, "11:29", True),
        (FRI, "11:30", False),  # Friday prayer
        (FRI, "12:30", False),
        (FRI, "13:00", True),
        (FRI, "14:30", True),
        (SAT, "11:59", True),
        (SAT, "12:00", False),
        (SUN, "10:00", False),
    ],
)
def test_open_and_closed(day: date, clock: str, is_open: bool) -> None:
    assert hall().is_open(wib(day, clock)) is is_open


def test_the_weekday_is_the_halls_not_utcs() -> None:
    # Thursday 18:00 UTC is Friday 01:00 WIB; Friday 05:00 UTC is 12:00 WIB, the prayer break
    friday_noon = wib(FRI, "12:00")
    assert friday_noon.weekday() == 4 and friday_noon.hour == 5
    assert not hall().is_open(friday_noon)
    # Monday 08:30 WIB is Monday 01:30 UTC, while Sunday 23:30 UTC is Monday 06:30 WIB
    assert hall().is_open(datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    assert not hall().is_open(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))


def test_a_hall_in_makassar_opens_at_eight_witas() -> None:
    makassar = OpeningHours.build("Asia/Makassar", WEEK)
    assert makassar.is_open(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))  # 08:00 WITA
    assert not makassar.is_open(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # 15:00 WITA
    assert not hall().is_open(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))  # 07:00 WIB


def test_a_holiday_is_closed_all_day() -> None:
    hours = hall(holidays=[TUE])
    assert not hours.is_open(wib(TUE, "10:00"))
    assert hours.is_open(wib(MON, "10:00"))


def test_always_open_ignores_hours_and_holidays() -> None:
    hours = hall(holidays=[SUN], always_open=True)
    assert hours.is_open(wib(SUN, "03:00"))
    now = wib(SUN, "03:00")
    assert hours.next_opening(now) == now


def test_a_day_not_listed_is_closed() -> None:
    hours = OpeningHours.build("Asia/Jakarta", {"mon": "08:00-15:00"})
    assert not hours.is_open(wib(TUE, "10:00"))


@pytest.mark.parametrize(
    ("day", "clock", "opens_day", "opens_at"),
    [
        (MON, "06:00", MON, "08:00"),
        (MON, "10:00", TUE, "08:00"),  # open now: the next opening is tomorrow's
        (MON, "16:00", TUE, "08:00"),
        (FRI, "11:45", FRI, "13:00"),  # after Friday prayer
        (FRI, "15:30", SAT, "08:00"),
        (SAT, "12:30", date(2026, 3, 9), "08:00"),  # Sunday closed: Monday
        (SUN, "20:00", date(2026, 3, 9), "08:00"),
    ],
)
def test_next_opening(day: date, clock: str, opens_day: date, opens_at: str) -> None:
    opening = hall().next_opening(wib(day, clock))
    assert opening == wib(opens_day, opens_at)
    assert opening is not None and opening.utcoffset() == timedelta(0)


def test_next_opening_skips_holidays() -> None:
    # Friday and Saturday are holidays: closed from Friday morning until Monday
    hours = hall(holidays=[FRI, SAT])
    assert hours.next_opening(wib(date(2026, 3, 5), "16:00")) == wib(date(2026, 3, 9), "08:00")


def test_a_hall_that_never_opens_has_no_next_opening() -> None:
    hours = OpeningHours.build("Asia/Jakarta", {})
    assert hours.next_opening(wib(MON, "08:00")) is None
    assert hall().next_opening(wib(MON, "16:00"), horizon_days=0) is None


def test_service_hours_narrow_the_hall() -> None:
    passport = hall(service_hours="08:00-12:00")
    assert passport.is_open(wib(MON, "11:59"))
    assert not passport.is_open(wib(MON, "12:00"))
    assert not passport.is_open(wib(MON, "14:00"))  # the hall is open, the service is not
    # on Friday the narrower of the two wins: the prayer break cuts the service at 11:30
    assert passport.is_open(wib(FRI, "11:00"))
    assert not passport.is_open(wib(FRI, "11:45"))
    assert not passport.is_open(wib(FRI, "13:30"))
    assert passport.next_opening(wib(MON, "12:30")) == wib(TUE, "08:00")


def test_service_hours_never_widen_the_hall() -> None:
    late = hall(service_hours="07:00-17:00")
    assert not late.is_open(wib(MON, "07:30"))
    assert not late.is_open(wib(MON, "16:00"))
    assert not late.is_open(wib(SUN, "10:00"))
    assert late.is_open(wib(MON, "10:00"))


def test_service_hours_with_a_break() -> None:
    hours = hall(service_hours="08:00-12:00, 13:00-14:30")
    assert hours.weekly["mon"] == hall(service_hours="08:00-12:00, 13:00-14:30").weekly["mon"]
    assert not hours.is_open(wib(MON, "12:30"))
    assert hours.is_open(wib(MON, "13:00"))
    assert not hours.is_open(wib(MON, "14:30"))
    assert hours.next_opening(wib(MON, "12:15")) == wib(MON, "13:00")


def test_until_midnight() -> None:
    night = OpeningHours.build("Asia/Jakarta", {"mon": "20:00-24:00"})
    assert night.is_open(wib(MON, "23:59"))
    assert not night.is_open(wib(TUE, "00:00"))


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)
holiday_sets = st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 1, 31)),
                        max_size=20)
service_windows = st.sampled_from([None, "08:00-12:00", "09:30-14:00", "08:00-12:00, 13:00-14:30"])


@given(instants, holiday_sets, service_windows)
def test_the_next_opening_is_a_moment_the_service_opens(
    now: datetime, holidays: list[date], service_hours: str | None
) -> None:
    hours = hall(holidays=holidays, service_hours=service_hours)
    opening = hours.next_opening(now)
    if opening is None:
        return
    assert opening > now
    assert hours.is_open(opening)
    assert not hours.is_open(opening - timedelta(seconds=1))


@given(instants, holiday_sets)
def test_between_now_and_the_next_opening_the_hall_only_closes(
    now: datetime, holidays: list[date]
) -> None:
    hours = hall(holidays=holidays)
    opening = hours.next_opening(now)
    assert opening is not None  # a fortnight always has a working day in this hall
    # sampled every 10 minutes: once closed before the next opening, it stays closed
    moment, was_open = now, hours.is_open(now)
    while moment < opening - timedelta(seconds=1):
        is_open = hours.is_open(moment)
        assert not (is_open and not was_open)
        was_open = is_open
        moment += timedelta(minutes=10)
