"""Antrean online: the rules of bookings and remote tickets, pure and without I/O.

- **Quota**: a service's daily quota is shared between walk-ins and online; the online part is
  ``floor(quota × share)``, the walk-in part the rest, in exact arithmetic (a share of 0.3 is
  3/10, never 0.29999…), so the two parts always add up to the quota.
- **Slot capacity**: explicit per service, or derived from the counters that serve it, the slot
  length and the service's mean time: ``floor(counters × slot / mean)``, at least one.
- **NIK**: 16 digits; a known province, regency and district; a birth date DDMMYY whose day
  carries +40 for women; a serial that is not all zeros.
- **Check-in window**: from ``before`` minutes ahead of the slot to ``after`` minutes past it;
  too early says when to come back, too late says the booking is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

# The provinces of the Kemendagri code (Permendagri 72/2019 and the 2022 Papuan provinces).
PROVINCE_CODES = frozenset({
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
    61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
})
NIK_LENGTH = 16
WOMEN_DAY_OFFSET = 40


def exact_share(share: float | str | Fraction) -> Fraction:
    """A share as written in the hall's file (0.3, "0.3", 3/10) as an exact fraction in [0, 1]."""
    value = share if isinstance(share, Fraction) else Fraction(Decimal(str(share)))
    if not 0 <= value <= 1:
        raise ValueError(f"a share lies between 0 and 1, not {share}")
    return value


@dataclass(frozen=True)
class QuotaSplit:
    walk_in: int
    online: int

    @property
    def total(self) -> int:
        return self.walk_in + self.online


def split_quota(daily_quota: int, online_share: float | str | Fraction) -> QuotaSplit:
    online = int(daily_quota * exact_share(online_share))  # int() of a non-negative: floor
    return QuotaSplit(walk_in=daily_quota - online, online=online)


def slot_capacity(explicit: int | None, counters: int, slot_minutes: int,
                  mean_service_minutes: float) -> int:
    """Citizens one slot can take: the hall's number, or what the counters get through in it."""
    if explicit is not None:
        return explicit
    if counters <= 0:
        return 0
    mean = Fraction(Decimal(str(mean_service_minutes)))
    if mean <= 0:
        return counters
    return max(1, int(counters * slot_minutes / mean))


def day_slots(windows: tuple[tuple[time, time], ...], slot_minutes: int) -> Iterator[time]:
    """The starts of the whole slots that fit in a day's opening windows."""
    length = timedelta(minutes=slot_minutes)
    for start, end in windows:
        moment = datetime.combine(date(2000, 1, 1), start)
        close = datetime.combine(date(2000, 1, 1), end)
        while moment + length <= close:
            yield moment.time()
            moment += length


# ---------------------------------------------------------------- NIK

class NikProblem(StrEnum):
    LENGTH = "length"  # not 16 digits
    ZEROS = "zeros"
    REGION = "region"
    BIRTH_DATE = "birth_date"
    SERIAL = "serial"


@dataclass(frozen=True)
class NikFacts:
    province: int
    birth_date: date
    woman: bool


def check_nik(nik: str, today: date) -> NikFacts | NikProblem:
    """What a NIK's structure says, or the first thing wrong with it. ``today`` settles the
    century of the birth year (nobody is born in the future)."""
    if len(nik) != NIK_LENGTH or not nik.isascii() or not nik.isdigit():
        return NikProblem.LENGTH
    if set(nik) == {"0"}:
        return NikProblem.ZEROS
    province, regency, district = int(nik[0:2]), int(nik[2:4]), int(nik[4:6])
    if province not in PROVINCE_CODES or regency == 0 or district == 0:
        return NikProblem.REGION
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    woman = day > WOMEN_DAY_OFFSET
    if woman:
        day -= WOMEN_DAY_OFFSET
    full_year = 2000 + year if 2000 + year <= today.year else 1900 + year
    try:
        born = date(full_year, month, day)
    except ValueError:
        return NikProblem.BIRTH_DATE
    if born > today:
        born = date(full_year - 100, month, day) if full_year >= 2000 else born
        if born > today:
            return NikProblem.BIRTH_DATE
    if int(nik[12:16]) == 0:
        return NikProblem.SERIAL
    return NikFacts(province=province, birth_date=born, woman=woman)


# ---------------------------------------------------------------- check-in window

@dataclass(frozen=True)
class TooEarly:
    opens_at: datetime


@dataclass(frozen=True)
class TooLate:
    closed_at: datetime


@dataclass(frozen=True)
class InWindow:
    pass


CheckInVerdict = InWindow | TooEarly | TooLate


def check_in_window(slot_at: datetime, now: datetime, before_minutes: int,
                    after_minutes: int) -> CheckInVerdict:
    opens = slot_at - timedelta(minutes=before_minutes)
    closes = slot_at + timedelta(minutes=after_minutes)
    if now < opens:
        return TooEarly(opens)
    if now > closes:
        return TooLate(closes)
    return InWindow()


# ---------------------------------------------------------------- remote tickets

class RemoteState(StrEnum):
    AHEAD = "ahead"  # people are still before it in its line
    TURN_PASSED = "turn_passed"  # its turn came without the citizen: it waits aside
    LAPSED = "lapsed"


def remote_state(people_ahead: int, turn_passed_at: datetime | None, now: datetime,
                 grace_minutes: int) -> RemoteState:
    """A remote ticket not yet checked in: its turn passes when nobody waits before it; it
    keeps its place ``grace_minutes`` from then, and lapses after."""
    if people_ahead > 0 and turn_passed_at is None:
        return RemoteState.AHEAD
    if turn_passed_at is not None and now - turn_passed_at > timedelta(minutes=grace_minutes):
        return RemoteState.LAPSED
    return RemoteState.TURN_PASSED


# ---------------------------------------------------------------- statistics

@dataclass(frozen=True)
class OnlineFigures:
    """One service's Antrean online over a period."""

    walk_in: int  # tickets taken at the hall
    online: int  # numbers that came from a booking or a remote request
    bookings: int  # bookings and remote numbers made, not cancelled
    checked_in: int
    lapsed: int  # not checked in: a booking's no-show, a remote number past its grace
    punctuality_seconds: tuple[int, ...]  # first call − slot, per called booking
    quota: int | None  # the quota over the period's days
    used: int  # numbers issued against it

    @property
    def online_share(self) -> float | None:
        whole = self.walk_in + self.online
        return None if whole == 0 else self.online / whole

    @property
    def no_show_rate(self) -> float | None:
        decided = self.checked_in + self.lapsed
        return None if decided == 0 else self.lapsed / decided

    @property
    def quota_use(self) -> float | None:
        return None if not self.quota else self.used / self.quota

    @property
    def punctuality_mean(self) -> float | None:
        values = self.punctuality_seconds
        return None if not values else sum(values) / len(values)

    @property
    def punctuality_median(self) -> float | None:
        values = sorted(self.punctuality_seconds)
        return None if not values else float(values[(len(values) - 1) // 2])
