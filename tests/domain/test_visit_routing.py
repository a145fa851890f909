"""A visit's route through the hall: plan order, needs, shortest line, changes and no-shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.visits import (
    Rules,
    StopStatus,
    Visit,
    VisitError,
    VisitStatus,
    add_stop,
    begin,
    called,
    drop_stop,
    finished,
    lapse_due,
    lapsed,
    missed,
    needs_cycle,
    plan,
    returned,
    stop_wait_seconds,
    visit_seconds,
)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def serve_current(visit: Visit, rules: Rules, at: datetime,
                  lines: dict[str, int] | None = None) -> Visit:
    return finished(called(visit, at), rules, at + MINUTE, lines or {})


# ---------------------------------------------------------------------------------------------
# Examples
# ---------------------------------------------------------------------------------------------


def test_a_plan_keeps_the_citizens_order() -> None:
    assert plan(["ktp", "bpjs", "npwp"], Rules()) == ("ktp", "bpjs", "npwp")


def test_a_service_that_needs_another_moves_behind_it() -> None:
    rules = Rules(needs={"npwp": frozenset({"ktp"})})
    assert plan(["npwp", "bpjs", "ktp"], rules) == ("bpjs", "ktp", "npwp")


def test_a_need_outside_the_plan_is_no_constraint() -> None:
    rules = Rules(needs={"npwp": frozenset({"ktp"})})
    visit = begin(["npwp"], rules, NOW)
    assert visit.current is not None and visit.current.service == "npwp"


def test_too_many_stops_and_duplicates_are_refused() -> None:
    with pytest.raises(VisitError) as too_many:
        plan(["a", "b", "c"], Rules(max_stops=2))
    assert too_many.value.code == "too_many_stops"
    with pytest.raises(VisitError) as twice:
        plan(["a", "a"], Rules())
    assert twice.value.code == "duplicate_stop"


def test_a_cycle_of_needs_is_found() -> None:
    assert needs_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ("a", "b", "c", "a")
    assert needs_cycle({"a": ["b"], "b": ["c"]}) is None


def test_finishing_a_stop_joins_the_next_line_now() -> None:
    rules = Rules()
    visit = begin(["ktp", "bpjs"], rules, NOW)
    visit = called(visit, NOW + 10 * MINUTE)
    visit = finished(visit, rules, NOW + 20 * MINUTE, {})
    current = visit.current
    assert current is not None and current.service == "bpjs"
    assert current.status is StopStatus.WAITING and current.joined_at == NOW + 20 * MINUTE
    visit = serve_current(visit, rules, NOW + 25 * MINUTE)
    assert visit.status is VisitStatus.FINISHED
    assert stop_wait_seconds(visit.stops[1]) == 5 * 60  # from joining bpjs's line, not arrival
    assert visit_seconds(visit, NOW) == 26 * 60


def test_shortest_line_goes_where_fewest_wait_among_ready_stops() -> None:
    rules = Rules(order="shortest", needs={"npwp": frozenset({"ktp"})})
    visit = begin(["ktp", "bpjs", "npwp"], rules, NOW, {"ktp": 9, "bpjs": 2, "npwp": 0})
    assert visit.current is not None and visit.current.service == "bpjs"  # npwp needs ktp
    visit = serve_current(visit, rules, NOW, {"ktp": 9, "npwp": 0})
    assert visit.current is not None and visit.current.service == "ktp"


def test_an_officer_adds_and_drops_stops() -> None:
    rules = Rules(max_stops=3)
    visit = begin(["ktp", "bpjs"], rules, NOW)
    visit = add_stop(visit, "npwp", rules)
    assert visit.services == ("ktp", "bpjs", "npwp")
    with pytest.raises(VisitError):
        add_stop(visit, "bank", rules)
    visit = drop_stop(visit, "bpjs", rules, NOW, {})
    visit = serve_current(visit, rules, NOW)
    assert visit.current is not None and visit.current.service == "npwp"
    # dropping the stop waiting now routes on at once: here, nothing is left
    assert drop_stop(visit, "npwp", rules, NOW, {}).status is VisitStatus.FINISHED
    with pytest.raises(VisitError) as last:
        drop_stop(begin(["ktp"], rules, NOW), "ktp", rules, NOW, {})
    assert last.value.code == "last_stop"


def test_dropping_the_waiting_stop_routes_on() -> None:
    rules = Rules()
    visit = begin(["ktp", "bpjs"], rules, NOW)
    visit = drop_stop(visit, "ktp", rules, NOW + MINUTE, {})
    assert visit.current is not None and visit.current.service == "bpjs"
    assert visit.current.joined_at == NOW + MINUTE


def test_a_served_stop_cannot_be_dropped() -> None:
    rules = Rules()
    visit = serve_current(begin(["ktp", "bpjs"], rules, NOW), rules, NOW)
    with pytest.raises(VisitError) as refused:
        drop_stop(visit, "ktp", rules, NOW, {})
    assert refused.value.code == "stop_not_droppable"


def test_a_no_show_holds_the_visit_then_lapses_it() -> None:
    rules = Rules(grace=timedelta(minutes=10))
    visit = called(begin(["ktp", "bpjs"], rules, NOW), NOW)
    held = missed(visit, rules, NOW + MINUTE)
    assert held.status is VisitStatus.HELD and held.held_until == NOW + 11 * MINUTE
    assert not lapse_due(held, NOW + 10 * MINUTE)
    back = returned(held, NOW + 5 * MINUTE)
    assert back.current is not None and back.current.joined_at == NOW + 5 * MINUTE
    assert lapse_due(held, NOW + 11 * MINUTE)
    with pytest.raises(VisitError):
        returned(held, NOW + 11 * MINUTE)
    gone = lapsed(held)
    assert gone.status is VisitStatus.LAPSED
    assert [stop.status for stop in gone.stops] == [StopStatus.LAPSED, StopStatus.LAPSED]


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

SERVICES = ["ktp", "kk", "bpjs", "npwp", "bank", "sim", "paspor"]


@st.composite
def acyclic_needs(draw: st.DrawFn) -> dict[str, frozenset[str]]:
    # Only on services earlier in a hidden order: never a cycle.
    order = draw(st.permutations(SERVICES))
    needs: dict[str, frozenset[str]] = {}
    for position, service in enumerate(order):
        earlier = order[:position]
        if earlier:
            needs[service] = frozenset(draw(st.lists(st.sampled_from(earlier), max_size=2)))
    return needs


operations = st.lists(st.tuples(
    st.sampled_from(["serve", "add", "drop", "no_show", "return", "lapse"]),
    st.sampled_from(SERVICES),
    st.dictionaries(st.sampled_from(SERVICES), st.integers(0, 20)),
), max_size=25)


@settings(max_examples=300, deadline=None)
@given(chosen=st.lists(st.sampled_from(SERVICES), min_size=1, max_size=5, unique=True),
       needs=acyclic_needs(), shortest=st.booleans(), ops=operations)
def test_every_route_serves_each_stop_once_in_an_allowed_order(
        chosen: list[str], needs: dict[str, frozenset[str]], shortest: bool,
        ops: list[tuple[str, str, dict[str, int]]]) -> None:
    rules = Rules(max_stops=5, order="shortest" if shortest else "plan", needs=needs)
    clock = NOW
    visit = begin(chosen, rules, clock)
    served: list[str] = []
    ever_dropped: set[str] = set()  # an officer's judgement: a need dropped counts as met
    joined_at: dict[str, datetime] = {}
    current = visit.current
    assert current is not None
    joined_at[current.service] = current.joined_at  # type: ignore[assignment]
    for action, service, lines in [*ops, *[("serve", "", {})] * 12]:
        clock += MINUTE
        before = visit
        try:
            if action == "serve":
                visit = called(visit, clock)
                call_at = visit.current.called_at  # type: ignore[union-attr]
                visit = finished(visit, rules, clock + MINUTE, lines)
                done = [s for s in visit.stops if s.status is StopStatus.DONE]
                newly = [s for s in done if s.service not in served]
                assert len(newly) == 1
                # a stop's wait counts from when it joined its own line
                assert newly[0].joined_at == joined_at[newly[0].service]
                assert call_at is not None and call_at >= newly[0].joined_at
                served.append(newly[0].service)
            elif action == "add":
                visit = add_stop(visit, service, rules)
            elif action == "drop":
                visit = drop_stop(visit, service, rules, clock, lines)
                ever_dropped.add(service)
            elif action == "no_show":
                visit = missed(called(visit, clock), rules, clock)
            elif action == "return":
                visit = returned(visit, clock)
            elif action == "lapse":
                visit = lapsed(visit) if visit.status is VisitStatus.HELD else visit
        except VisitError:
            visit = before
        # never in two lines at once
        assert sum(1 for s in visit.stops if s.status in (
            StopStatus.WAITING, StopStatus.AT_COUNTER, StopStatus.MISSED)) <= 1
        if visit.status in (VisitStatus.ACTIVE, VisitStatus.HELD):
            assert visit.current is not None
        else:
            assert visit.current is None
        now_current = visit.current
        if (now_current is not None and now_current.status is StopStatus.WAITING
                and (before.current is None or before.current.service != now_current.service
                     or before.current.status is not StopStatus.WAITING)):
            assert now_current.joined_at is not None and now_current.joined_at >= clock
            joined_at[now_current.service] = now_current.joined_at
            if before.current is None or before.current.service != now_current.service:
                # order constraints honoured: it joins its line only once its needs are met
                status_of = {s.service: s.status for s in visit.stops}
                for wanted in needs.get(now_current.service, frozenset()) & set(status_of):
                    assert status_of[wanted] in (StopStatus.DONE, StopStatus.DROPPED)
        # no service appears twice among the live stops
        live = [s.service for s in visit.stops if s.status is not StopStatus.DROPPED]
        assert len(live) == len(set(live)) <= rules.max_stops
    if visit.status is VisitStatus.HELD:
        visit = lapsed(visit)
    # no stop served twice, and none skipped: a finished visit served all it did not drop
    assert len(served) == len(set(served))
    if visit.status is VisitStatus.FINISHED:
        assert sorted(served) == sorted(s.service for s in visit.stops
                                        if s.status is not StopStatus.DROPPED)
    else:
        assert visit.status is VisitStatus.LAPSED
