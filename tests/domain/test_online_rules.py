"""Antrean online's pure rules: quota split, slot capacity, NIK, check-in window, remote
tickets, and the dispatch of bookings beside walk-ins (examples and properties)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.dispatch import (
    Candidate,
    Policy,
    Rhythm,
    after_call,
    ahead_of_walk_ins,
    choose,
)
from server.domain.online import (
    InWindow,
    NikFacts,
    NikProblem,
    RemoteState,
    TooEarly,
    TooLate,
    check_in_window,
    check_nik,
    day_slots,
    exact_share,
    remote_state,
    slot_capacity,
    split_quota,
)

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


# ---------------------------------------------------------------- quota and capacity

def test_a_decimal_share_is_exact() -> None:
    assert exact_share(0.3) == Fraction(3, 10)
    assert split_quota(10, 0.3).online == 3  # 10 × 0.3 in floats is 3.0000000000000004
    assert split_quota(100, "0.29").online == 29  # 100 × 0.29 in floats is 28.999999999999996


@given(st.integers(0, 100_000), st.integers(0, 100))
def test_the_two_parts_add_up_to_the_quota(quota: int, percent: int) -> None:
    split = split_quota(quota, Fraction(percent, 100))
    assert split.total == quota
    assert split.online == quota * percent // 100
    assert split.walk_in >= 0 and split.online >= 0


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError):
        exact_share(1.5)


def test_slot_capacity_explicit_or_derived() -> None:
    assert slot_capacity(7, counters=3, slot_minutes=30, mean_service_minutes=10) == 7
    assert slot_capacity(None, counters=3, slot_minutes=30, mean_service_minutes=10) == 9
    assert slot_capacity(None, counters=2, slot_minutes=30, mean_service_minutes=12.5) == 4
    assert slot_capacity(None, counters=1, slot_minutes=15, mean_service_minutes=40) == 1
    assert slot_capacity(None, counters=0, slot_minutes=30, mean_service_minutes=10) == 0


def test_slots_fill_the_opening_windows_whole() -> None:
    windows = ((time(8), time(12)), (time(13), time(14, 50)))
    slots = list(day_slots(windows, 30))
    assert slots[0] == time(8) and slots[7] == time(11, 30)
    assert slots[8:] == [time(13), time(13, 30), time(14)]  # 14:30 + 30 passes 14:50


# ---------------------------------------------------------------- NIK

def test_a_good_nik_says_its_birth_date_and_sex() -> None:
    man = check_nik("3174011203850001", TODAY)
    assert man == NikFacts(province=31, birth_date=date(1985, 3, 12), woman=False)
    woman = check_nik("3174015203050002", TODAY)  # day 52 = 12 + 40
    assert woman == NikFacts(province=31, birth_date=date(2005, 3, 12), woman=True)


@pytest.mark.parametrize(("nik", "problem"), [
    ("317401120385000", NikProblem.LENGTH),
    ("31740112038500a1", NikProblem.LENGTH),
    ("３１７４０１１２０３８５０００１", NikProblem.LENGTH),  # full-width digits
    ("0000000000000000", NikProblem.ZEROS),
    ("9974011203850001", NikProblem.REGION),
    ("3100011203850001", NikProblem.REGION),
    ("3174001203850001", NikProblem.REGION),
    ("3174013203850001", NikProblem.BIRTH_DATE),  # day 32
    ("3174017203850001", NikProblem.BIRTH_DATE),  # 72 − 40 = 32
    ("3174011213850001", NikProblem.BIRTH_DATE),  # month 13
    ("3174012902850001", NikProblem.BIRTH_DATE),  # 29 Feb 1985
    ("3174011203850000", NikProblem.SERIAL),
])
def test_a_wrong_nik_names_what_is_wrong(nik: str, problem: NikProblem) -> None:
    assert check_nik(nik, TODAY) == problem


@given(st.sampled_from([11, 31, 35, 73, 96]), st.integers(1, 99), st.integers(1, 99),
       st.dates(date(1930, 1, 1), TODAY), st.booleans(), st.integers(1, 9999))
def test_every_well_formed_nik_is_read_back(province: int, regency: int, district: int,
                                           born: date, woman: bool, serial: int) -> None:
    day = born.day + (40 if woman else 0)
    nik = f"{province:02}{regency:02}{district:02}{day:02}{born.month:02}{born.year % 100:02}" \
          f"{serial:04}"
    facts = check_nik(nik, TODAY)
    assert isinstance(facts, NikFacts)
    assert facts.woman == woman and facts.birth_date.replace(year=born.year % 100 + 2000) \
        == born.replace(year=born.year % 100 + 2000)
    assert facts.birth_date <= TODAY


# ---------------------------------------------------------------- check-in window

def test_check_in_window() -> None:
    slot = NOW
    assert check_in_window(slot, NOW - timedelta(minutes=31), 30, 15) == TooEarly(
        NOW - timedelta(minutes=30))
    assert check_in_window(slot, NOW - timedelta(minutes=30), 30, 15) == InWindow()
    assert check_in_window(slot, NOW + timedelta(minutes=15), 30, 15) == InWindow()
    assert check_in_window(slot, NOW + timedelta(minutes=16), 30, 15) == TooLate(
        NOW + timedelta(minutes=15))


def test_a_remote_ticket_waits_aside_then_lapses() -> None:
    assert remote_state(3, None, NOW, 10) is RemoteState.AHEAD
    assert remote_state(0, None, NOW, 10) is RemoteState.TURN_PASSED
    assert remote_state(0, NOW, NOW + timedelta(minutes=10), 10) is RemoteState.TURN_PASSED
    assert remote_state(0, NOW, NOW + timedelta(minutes=11), 10) is RemoteState.LAPSED
    # Once passed its turn stays passed, whoever joins ahead (a returned no-show) later.
    assert remote_state(2, NOW, NOW + timedelta(minutes=1), 10) is RemoteState.TURN_PASSED


# ---------------------------------------------------------------- dispatch examples

def walk_in(ticket_id: int, waited: float, *, priority: bool = False) -> Candidate:
    return Candidate(ticket_id, 1, priority, NOW - timedelta(minutes=waited), 1, 30)


def booking(ticket_id: int, slot_in: float, *, priority: bool = False,
            checked_in_ago: float = 5) -> Candidate:
    return Candidate(ticket_id, 1, priority, NOW - timedelta(minutes=checked_in_ago), 1, 30,
                     slot_at=NOW + timedelta(minutes=slot_in))


def test_a_due_booking_goes_ahead_of_walk_ins() -> None:
    chosen = choose([walk_in(1, 20), booking(2, -1)], Rhythm(), Policy(), NOW)
    assert chosen is not None and chosen.ticket_id == 2
    assert ahead_of_walk_ins(chosen, [walk_in(1, 20), booking(2, -1)])


def test_a_booking_before_its_slot_waits_while_walk_ins_do() -> None:
    chosen = choose([walk_in(1, 1), booking(2, 10)], Rhythm(), Policy(), NOW)
    assert chosen is not None and chosen.ticket_id == 1
    alone = choose([booking(2, 10)], Rhythm(), Policy(), NOW)
    assert alone is not None and alone.ticket_id == 2


def test_the_cap_lets_a_walk_in_through() -> None:
    policy = Policy(max_consecutive_booked=2)
    heads = [walk_in(1, 20), booking(2, -1)]
    chosen = choose(heads, Rhythm(consecutive_booked=2), policy, NOW)
    assert chosen is not None and chosen.ticket_id == 1
    assert after_call(Rhythm(consecutive_booked=2), chosen).consecutive_booked == 0


def test_the_class_rhythm_comes_before_a_booking() -> None:
    heads = [booking(2, -5), walk_in(1, 1, priority=True)]
    chosen = choose(heads, Rhythm(), Policy(mode="strict"), NOW)
    assert chosen is not None and chosen.ticket_id == 1


def test_bookings_go_in_slot_order() -> None:
    heads = [booking(3, -1, checked_in_ago=30), booking(2, -10, checked_in_ago=1)]
    chosen = choose(heads, Rhythm(), Policy(), NOW)
    assert chosen is not None and chosen.ticket_id == 2


# ---------------------------------------------------------------- dispatch properties

@dataclass
class Waiting:
    id: int
    priority: bool
    queued_at: datetime
    slot_at: datetime | None


SERVICE_MINUTES = 5
SLOT_MINUTES = 30


def simulate(walk_ins: list[tuple[int, bool]], bookings_per_slot: list[int], cap: int,
             ) -> list[tuple[datetime, Waiting]]:
    """One counter calling every SERVICE_MINUTES for a morning; walk-ins arrive at their
    minute; each slot's bookings check in ten minutes ahead. The calls, in order."""
    start = NOW
    arrivals: list[Waiting] = []
    next_id = 1
    for minute, priority in walk_ins:
        arrivals.append(Waiting(next_id, priority, start + timedelta(minutes=minute), None))
        next_id += 1
    for slot_index, count in enumerate(bookings_per_slot):
        slot = start + timedelta(minutes=SLOT_MINUTES * slot_index)
        for _ in range(count):
            arrivals.append(Waiting(next_id, False, slot - timedelta(minutes=10), slot))
            next_id += 1
    policy = Policy(max_consecutive_booked=cap)
    rhythm = Rhythm()
    calls: list[tuple[datetime, Waiting]] = []
    waiting: list[Waiting] = []
    now = start - timedelta(minutes=10)
    while len(calls) < len(arrivals):  # the counter stays open until everyone is called
        waiting += [a for a in arrivals if a.queued_at <= now and a not in waiting
                    and all(a is not c for _, c in calls)]
        heads = _heads(waiting)
        chosen = choose(heads, rhythm, policy, now)
        if chosen is not None:
            rhythm = after_call(rhythm, chosen)
            ticket = next(w for w in waiting if w.id == chosen.ticket_id)
            waiting.remove(ticket)
            calls.append((now, ticket))
        now += timedelta(minutes=SERVICE_MINUTES)
    return calls


def _heads(waiting: list[Waiting]) -> list[Candidate]:
    """The head of each line as the store gives it: walk-ins by queue time, bookings by slot."""
    heads = []
    for priority in (True, False):
        walk = [w for w in waiting if w.priority == priority and w.slot_at is None]
        if walk:
            w = min(walk, key=lambda w: (w.queued_at, w.id))
            heads.append(Candidate(w.id, 1, priority, w.queued_at, 1, 30))
        booked = [w for w in waiting if w.priority == priority and w.slot_at is not None]
        if booked:
            b = min(booked, key=lambda w: (w.slot_at, w.id))
            heads.append(Candidate(b.id, 1, priority, b.queued_at, 1, 30, slot_at=b.slot_at))
    return heads


def booking_capacity(cap: int) -> int:
    """What a slot may promise when walk-ins take one call in cap+1: the counter's slot
    capacity times cap/(cap+1), as the hall's online share would keep it."""
    whole = slot_capacity(None, 1, SLOT_MINUTES, SERVICE_MINUTES)
    return whole * cap // (cap + 1)


walk_in_streams = st.lists(st.tuples(st.integers(0, 180), st.booleans()), max_size=60)


@settings(max_examples=150, deadline=None)
@given(walk_in_streams, st.integers(1, 3), st.data())
def test_no_booking_waits_past_the_tolerance(walk_ins: list[tuple[int, bool]], cap: int,
                                             data: st.DataObject) -> None:
    per_slot = data.draw(st.lists(st.integers(0, booking_capacity(cap)), min_size=1,
                                  max_size=6))
    calls = simulate(walk_ins, per_slot, cap)
    tolerance = timedelta(minutes=SLOT_MINUTES + 2 * SERVICE_MINUTES)
    for called_at, ticket in calls:
        if ticket.slot_at is not None:
            assert called_at - ticket.slot_at <= tolerance, (ticket, called_at)
    assert sum(1 for _, t in calls if t.slot_at is not None) == sum(per_slot)


@settings(max_examples=150, deadline=None)
@given(walk_in_streams, st.integers(1, 3),
       st.lists(st.integers(0, 12), min_size=1, max_size=6))
def test_no_walk_in_starves_and_each_class_keeps_its_order(
        walk_ins: list[tuple[int, bool]], cap: int, per_slot: list[int]) -> None:
    # More bookings than the slots can take: walk-ins must still move.
    calls = simulate(walk_ins, per_slot, cap)
    # Everyone is called, and a walk-in waits at most for the bookings the cap lets by
    # between two walk-in calls, besides the walk-ins before it.
    called = {t.id for _, t in calls}
    assert all(i + 1 in called for i in range(len(walk_ins)))
    for priority in (True, False):
        walk = [t for _, t in calls if t.slot_at is None and t.priority == priority]
        assert walk == sorted(walk, key=lambda t: (t.queued_at, t.id))
        booked = [t for _, t in calls if t.slot_at is not None and t.priority == priority]
        assert booked == sorted(booked, key=lambda t: (t.slot_at, t.id))


@settings(max_examples=150, deadline=None)
@given(walk_in_streams, st.integers(1, 3),
       st.lists(st.integers(0, 12), min_size=1, max_size=6))
def test_a_waiting_walk_in_is_passed_by_at_most_cap_bookings_in_a_row(
        walk_ins: list[tuple[int, bool]], cap: int, per_slot: list[int]) -> None:
    calls = simulate(walk_ins, per_slot, cap)
    run = 0
    for index, (called_at, ticket) in enumerate(calls):
        if ticket.slot_at is None:
            run = 0
            continue
        later_walk_ins = [t for _, t in calls[index:] if t.slot_at is None
                          and t.priority == ticket.priority and t.queued_at <= called_at]
        run = run + 1 if later_walk_ins else 0
        assert run <= cap


def test_online_figures_say_nothing_rather_than_a_misleading_zero() -> None:
    from server.domain.online import OnlineFigures

    empty = OnlineFigures(0, 0, 0, 0, 0, (), None, 0)
    assert (empty.online_share, empty.no_show_rate, empty.quota_use,
            empty.punctuality_mean) == (None, None, None, None)
    figures = OnlineFigures(walk_in=30, online=10, bookings=12, checked_in=9, lapsed=3,
                            punctuality_seconds=(-60, 120, 300), quota=80, used=40)
    assert figures.online_share == 0.25 and figures.no_show_rate == 0.25
    assert figures.quota_use == 0.5 and figures.punctuality_mean == 120
    assert figures.punctuality_median == 120


candidates = st.lists(st.tuples(st.booleans(), st.integers(0, 120), st.none() | st.integers(
    -60, 60)), min_size=1, max_size=8)


@given(candidates, st.integers(0, 4), st.integers(0, 3), st.sampled_from(["strict",
                                                                          "interleave"]))
def test_bookings_never_change_which_class_is_called(heads: list[tuple[bool, int, int | None]],
                                                     in_a_row: int, booked_in_a_row: int,
                                                     mode: str) -> None:
    """UU 25/2009 first: whether the priority or the regular class is called is the same as if
    every booking were a walk-in."""
    built = [Candidate(i, 1, priority, NOW - timedelta(minutes=waited), 1, 30,
                       slot_at=None if slot is None else NOW + timedelta(minutes=slot))
             for i, (priority, waited, slot) in enumerate(heads)]
    plain = [Candidate(c.ticket_id, c.service_id, c.priority, c.queued_at, c.weight,
                       c.sla_minutes) for c in built]
    policy = Policy(mode=mode)  # type: ignore[arg-type]
    rhythm = Rhythm(in_a_row, None, booked_in_a_row)
    with_bookings, without = choose(built, rhythm, policy, NOW), choose(plain, rhythm, policy, NOW)
    assert with_bookings is not None and without is not None
    assert with_bookings.priority == without.priority

