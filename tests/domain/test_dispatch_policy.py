"""Which ticket a counter calls next: the class rhythm, SLA rescue, weights, and issue order."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.dispatch import Candidate, Policy, Rhythm, after_call, choose

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB
FRESH = Rhythm()


def head(ticket_id: int, *, service: int = 1, priority: bool = False, waited: float = 1,
         weight: int = 1, sla: int = 30) -> Candidate:
    return Candidate(ticket_id=ticket_id, service_id=service, priority=priority,
                     queued_at=NOW - timedelta(minutes=waited), weight=weight, sla_minutes=sla)


# ---------------------------------------------------------------------------------------------
# Examples
# ---------------------------------------------------------------------------------------------


def test_no_one_waiting_means_no_call() -> None:
    assert choose([], FRESH, Policy(), NOW) is None


def test_the_higher_weight_wins_when_no_one_is_overdue() -> None:
    ktp = head(1, service=1, weight=1, waited=20)
    kk = head(2, service=2, weight=3, waited=5)
    assert choose([ktp, kk], FRESH, Policy(), NOW) == kk


def test_an_overdue_head_goes_before_a_heavier_weight() -> None:
    ktp = head(1, service=1, weight=1, waited=31, sla=30)
    kk = head(2, service=2, weight=100, waited=29, sla=30)
    assert choose([ktp, kk], FRESH, Policy(), NOW) == ktp


def test_the_most_overdue_goes_first_relative_to_its_own_target() -> None:
    # 40 minutes on a 30-minute target (1.33) beats 50 minutes on a 45-minute target (1.11)
    short = head(1, service=1, waited=40, sla=30)
    long = head(2, service=2, waited=50, sla=45)
    assert choose([long, short], FRESH, Policy(), NOW) == short


def test_sla_ageing_delays_the_rescue() -> None:
    late = head(1, service=1, weight=1, waited=40, sla=30)
    heavy = head(2, service=2, weight=5, waited=1, sla=30)
    assert choose([late, heavy], FRESH, Policy(sla_ageing=1.0), NOW) == late
    assert choose([late, heavy], FRESH, Policy(sla_ageing=2.0), NOW) == heavy


def test_equal_weights_go_to_the_earliest_ticket_then_the_lowest_id() -> None:
    a = head(7, service=1, waited=10)
    b = head(3, service=2, waited=12)
    assert choose([a, b], FRESH, Policy(), NOW) == b
    same_time = [head(9, service=1, waited=10), head(4, service=2, waited=10),
                 head(6, service=3, waited=10)]
    assert choose(same_time, FRESH, Policy(), NOW).ticket_id == 4  # type: ignore[union-attr]


def test_equally_overdue_heads_go_in_issue_order() -> None:
    a = head(8, service=1, waited=60, sla=30)
    b = head(5, service=2, waited=60, sla=30)
    assert choose([a, b], FRESH, Policy(), NOW) == b


def test_a_ticket_queued_in_the_future_counts_as_not_waiting() -> None:
    # clocks of two server processes may differ by a little: never a negative wait
    early = head(1, service=1, waited=-2, weight=5)
    other = head(2, service=2, waited=1, weight=1)
    assert choose([early, other], FRESH, Policy(), NOW) == early


def test_interleave_starts_with_priority_then_n_regular() -> None:
    policy = Policy(mode="interleave", regular_per_priority=2)
    waiting = [head(1, waited=5), head(2, priority=True, waited=1)]
    rhythm = FRESH
    classes = []
    for _ in range(7):
        chosen = choose(waiting, rhythm, policy, NOW)
        assert chosen is not None
        classes.append("P" if chosen.priority else "R")
        rhythm = after_call(rhythm, chosen)
    assert "".join(classes) == "PRRPRRP"


def test_strict_calls_priority_until_the_cap_then_one_regular() -> None:
    policy = Policy(mode="strict", max_consecutive_priority=3)
    waiting = [head(1, waited=50), head(2, priority=True, waited=1)]
    rhythm = FRESH
    classes = []
    for _ in range(9):
        chosen = choose(waiting, rhythm, policy, NOW)
        assert chosen is not None
        classes.append("P" if chosen.priority else "R")
        rhythm = after_call(rhythm, chosen)
    assert "".join(classes) == "PPPRPPPRP"


def test_the_class_comes_before_the_sla_rescue() -> None:
    # an overdue regular head does not jump a priority turn
    policy = Policy(mode="strict")
    late_regular = head(1, waited=90, sla=30)
    priority = head(2, priority=True, waited=1)
    assert choose([late_regular, priority], FRESH, policy, NOW) == priority


def test_without_regular_tickets_priority_continues_past_the_cap() -> None:
    policy = Policy(mode="strict", max_consecutive_priority=2)
    rhythm = Rhythm(consecutive_priority=5, regular_since_priority=0)
    only_priority = [head(1, priority=True)]
    assert choose(only_priority, rhythm, policy, NOW) == only_priority[0]


def test_after_call_counts_the_rhythm() -> None:
    regular, priority = head(1), head(2, priority=True)
    assert after_call(FRESH, regular) == Rhythm(0, None)  # no priority call yet today
    assert after_call(FRESH, priority) == Rhythm(1, 0)
    assert after_call(Rhythm(1, 0), priority) == Rhythm(2, 0)
    assert after_call(Rhythm(2, 0), regular) == Rhythm(0, 1)
    assert after_call(Rhythm(0, 1), regular) == Rhythm(0, 2)


# ---------------------------------------------------------------------------------------------
# Properties over random heads
# ---------------------------------------------------------------------------------------------

policies = st.builds(
    Policy,
    mode=st.sampled_from(["strict", "interleave"]),
    regular_per_priority=st.integers(1, 5),
    max_consecutive_priority=st.integers(1, 5),
    sla_ageing=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
)


@st.composite
def line_heads(draw: st.DrawFn) -> list[Candidate]:
    """Heads of distinct (service, class) lines, with distinct ticket ids."""
    pairs = draw(st.lists(st.tuples(st.integers(1, 6), st.booleans()), min_size=1, max_size=8,
                          unique=True))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=len(pairs), max_size=len(pairs),
                        unique=True))
    heads = []
    for (service, priority), ticket_id in zip(pairs, ids, strict=True):
        # few distinct values, so that ties and the overdue boundary come up often
        heads.append(head(ticket_id, service=service, priority=priority,
                          waited=draw(st.sampled_from([0, 1, 5, 10, 20, 30, 45, 90])),
                          weight=draw(st.sampled_from([1, 2, 3, 50])),
                          sla=draw(st.sampled_from([15, 30, 60]))))
    return heads


rhythms = st.builds(Rhythm, consecutive_priority=st.integers(0, 6),
                    regular_since_priority=st.none() | st.integers(0, 6))


def _overdue(c: Candidate, policy: Policy) -> float | None:
    waited = max(0.0, (NOW - c.queued_at).total_seconds() / 60)
    ratio = waited / (c.sla_minutes * policy.sla_ageing)
    return ratio if ratio >= 1 else None


@given(line_heads(), rhythms, policies)
def test_within_the_chosen_class_the_best_head_wins(
    heads: list[Candidate], rhythm: Rhythm, policy: Policy
) -> None:
    chosen = choose(heads, rhythm, policy, NOW)
    assert chosen in heads
    same_class = [c for c in heads if c.priority == chosen.priority]  # type: ignore[union-attr]
    overdue = [c for c in same_class if _overdue(c, policy) is not None]
    if overdue:
        worst = max(_overdue(c, policy) for c in overdue)  # type: ignore[type-var]
        assert _overdue(chosen, policy) == worst  # type: ignore[arg-type]
        rivals = [c for c in overdue if _overdue(c, policy) == worst]
    else:
        heaviest = max(c.weight for c in same_class)
        assert chosen.weight == heaviest  # type: ignore[union-attr]
        rivals = [c for c in same_class if c.weight == heaviest]
    earliest = min(c.queued_at for c in rivals)
    assert chosen.queued_at == earliest  # type: ignore[union-attr]
    assert chosen.ticket_id == min(c.ticket_id for c in rivals if c.queued_at == earliest)  # type: ignore[union-attr]


@given(line_heads(), rhythms, policies)
def test_a_lone_class_is_always_served(
    heads: list[Candidate], rhythm: Rhythm, policy: Policy
) -> None:
    for only in (True, False):
        lone = [c for c in heads if c.priority is only]
        if lone:
            chosen = choose(lone, rhythm, policy, NOW)
            assert chosen is not None and chosen.priority is only


@given(line_heads(), policies, st.integers(1, 40))
def test_with_both_classes_waiting_the_rhythm_holds(
    heads: list[Candidate], policy: Policy, calls: int
) -> None:
    if not ({True, False} <= {c.priority for c in heads}):
        heads = [*heads, head(99_999, service=7, priority=not heads[0].priority)]
    rhythm, sequence = FRESH, []
    for _ in range(calls):  # the same heads keep waiting: lines that never run dry
        chosen = choose(heads, rhythm, policy, NOW)
        assert chosen is not None
        sequence.append(chosen.priority)
        rhythm = after_call(rhythm, chosen)
    text = "".join("P" if p else "R" for p in sequence)
    cap = policy.max_consecutive_priority
    assert "P" * (cap + 1) not in text  # regular citizens keep moving
    if policy.mode == "strict":
        # priority until the cap, then exactly one regular
        expected = ("P" * cap + "R") * calls
        assert text == expected[:calls]
    else:
        n = policy.regular_per_priority
        expected = ("P" + "R" * n) * calls
        assert text == expected[:calls]


# ---------------------------------------------------------------------------------------------
# A counter draining its lines, with time passing
# ---------------------------------------------------------------------------------------------


@dataclass
class Line:
    service: int
    priority: bool
    weight: int
    sla: int
    tickets: list[tuple[datetime, int]] = field(default_factory=list)  # (queued_at, id), in order


@st.composite
def halls(draw: st.DrawFn) -> tuple[list[Line], Policy, list[int]]:
    services = draw(st.integers(1, 4))
    lines = []
    for service in range(1, services + 1):
        weight = draw(st.integers(1, 100))
        sla = draw(st.sampled_from([5, 10, 30, 60]))
        for priority in (False, True):
            lines.append(Line(service, priority, weight, sla))
    # tickets issued over the two hours before opening the counter; ids follow issue order,
    # as a database sequence does
    issues = draw(st.lists(st.tuples(st.integers(0, len(lines) - 1), st.integers(0, 120)),
                           min_size=1, max_size=60))
    issues.sort(key=lambda item: item[1])
    for ticket_id, (line, minute) in enumerate(issues, start=1):
        lines[line].tickets.append((NOW - timedelta(minutes=120 - minute), ticket_id))
    steps = draw(st.lists(st.integers(0, 12), min_size=len(issues), max_size=len(issues)))
    return lines, draw(policies), steps


@settings(max_examples=300)
@given(halls())
def test_a_counter_drains_every_line_in_order_and_starves_none(
    hall: tuple[list[Line], Policy, list[int]],
) -> None:
    lines, policy, steps = hall
    total = sum(len(line.tickets) for line in lines)
    by_ticket = {ticket_id: line for line in lines for _, ticket_id in line.tickets}
    called: dict[tuple[int, bool], list[int]] = defaultdict(list)
    rhythm, now = FRESH, NOW
    regular_run, priority_run = 0, 0  # calls of one class in a row while the other waited
    regular_since: int | None = None

    for step in steps:
        waiting = [line for line in lines if line.tickets]
        candidates = [
            Candidate(line.tickets[0][1], line.service, line.priority, line.tickets[0][0],
                      line.weight, line.sla)
            for line in waiting
        ]
        chosen = choose(candidates, rhythm, policy, now)
        assert chosen is not None
        line = by_ticket[chosen.ticket_id]
        assert line.tickets[0][1] == chosen.ticket_id  # only ever the head of a line
        line.tickets.pop(0)
        called[(line.service, line.priority)].append(chosen.ticket_id)

        both = {c.priority for c in candidates} == {True, False}
        if both:
            # neither class waits forever on the other
            if chosen.priority:
                priority_run, regular_run = priority_run + 1, 0
                assert priority_run <= policy.max_consecutive_priority
                if policy.mode == "interleave":
                    assert regular_since is None or regular_since >= policy.regular_per_priority
            else:
                regular_run, priority_run = regular_run + 1, 0
                if policy.mode == "strict":
                    assert rhythm.consecutive_priority >= policy.max_consecutive_priority
                else:
                    assert regular_since is not None and (
                        regular_since < policy.regular_per_priority
                        or rhythm.consecutive_priority >= policy.max_consecutive_priority
                    )
        else:
            regular_run = priority_run = 0
        # an overdue head never waits behind a head of its class that is not overdue
        same_class = [c for c in candidates if c.priority == chosen.priority]
        if any(_late(c, policy, now) for c in same_class):
            assert _late(chosen, policy, now)
        else:  # otherwise the counter's weights decide, then issue order
            assert chosen == min(same_class, key=lambda c: (-c.weight, c.queued_at, c.ticket_id))

        if chosen.priority:
            regular_since = 0
        elif regular_since is not None:
            regular_since += 1
        rhythm = after_call(rhythm, chosen)
        now += timedelta(minutes=step)

    assert all(not line.tickets for line in lines)
    assert sum(len(ids) for ids in called.values()) == total
    for ids in called.values():
        assert ids == sorted(ids)  # issue order within every (service, class) line


def _late(c: Candidate, policy: Policy, now: datetime) -> bool:
    return (now - c.queued_at).total_seconds() / 60 >= c.sla_minutes * policy.sla_ageing


@given(st.integers(1, 100), st.sampled_from([5, 10, 30, 60]),
       st.sampled_from([0.5, 1.0, 2.0]), st.integers(1, 5))
def test_a_light_line_is_rescued_as_soon_as_it_is_overdue(
    heavy_weight: int, sla: int, ageing: float, minutes_per_call: int
) -> None:
    """A heavy line that never runs dry would starve a light one, but for the SLA rescue."""
    policy = Policy(sla_ageing=ageing)
    light = Candidate(1, service_id=2, priority=False, queued_at=NOW, weight=1, sla_minutes=sla)
    now, rhythm, ticket_id = NOW, FRESH, 100
    deadline = NOW + timedelta(minutes=sla * ageing)
    while True:
        # the heavy line's head has just arrived each time: never overdue
        heavy = Candidate(ticket_id, service_id=1, priority=False, queued_at=now,
                          weight=heavy_weight + 1, sla_minutes=60)
        chosen = choose([heavy, light], rhythm, policy, now)
        assert chosen is not None
        if chosen == light:
            break
        assert now < deadline, "the light line was overdue and still not called"
        rhythm = after_call(rhythm, chosen)
        now += timedelta(minutes=minutes_per_call)
        ticket_id += 1
    assert now >= deadline  # and not earlier: until then the heavier weight wins
    assert now < deadline + timedelta(minutes=minutes_per_call)


@pytest.mark.parametrize("mode", ["strict", "interleave"])
def test_priority_is_never_kept_waiting_longer_than_the_policy_says(mode: str) -> None:
    policy = Policy(mode=mode, regular_per_priority=3, max_consecutive_priority=2)  # type: ignore[arg-type]
    rhythm = Rhythm(consecutive_priority=0, regular_since_priority=3)
    priority = head(1, priority=True, waited=1)
    regular = head(2, waited=200, sla=30)
    assert choose([regular, priority], rhythm, policy, NOW) == priority
