"""A visit: one citizen, one number, several stops at several agencies, in one line at a time.

A visit is an ordered plan of stops, one per service. Exactly one stop is *current* while the
visit is alive: it waits in its service's line or is at a counter. The rules, in order:

1. Planning keeps the citizen's order, except that a service which ``needs`` another in the
   plan is moved behind it (a stable topological order). A need on a service not in the plan
   is no constraint: the citizen may already hold the document. At most ``max_stops`` stops,
   no service twice.
2. When a stop finishes, the next stop is the first pending one in plan order whose needs are
   met (done, or dropped by an officer); or, when the hall routes by ``shortest`` line, the
   pending stop with the shortest line now among those whose needs are met, the plan order
   breaking ties. It joins its line *now*: its wait counts from that moment, not from the
   visit's arrival, so a visit never jumps those already waiting at its next agency.
3. An officer may add a stop (pending, at the end of the plan; a visit already in a line stays
   there) or drop one not yet served; dropping the current waiting stop routes the visit on at
   once. A dropped need counts as met: the officer judged it unnecessary.
4. A no-show at a stop holds the rest of the visit for ``grace``; a return within it puts the
   stop back in its line (from the moment of return); after it the visit lapses, and every stop
   not yet served ends as lapsed.

Everything here is a frozen value and a plain function: the service layer gathers the line
lengths and the clock, and writes what these functions answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

DEFAULT_MAX_STOPS = 5
RouteOrder = Literal["plan", "shortest"]


class StopStatus(StrEnum):
    PENDING = "pending"  # in the plan, not yet in its line
    WAITING = "waiting"  # in its service's line
    AT_COUNTER = "at_counter"  # called or being served
    MISSED = "missed"  # called, did not come: the visit is held
    DONE = "done"
    DROPPED = "dropped"  # taken out of the plan by an officer
    LAPSED = "lapsed"  # never served: the visit lapsed before it


class VisitStatus(StrEnum):
    ACTIVE = "active"
    HELD = "held"  # a no-show at the current stop, within its grace
    FINISHED = "finished"
    LAPSED = "lapsed"


CURRENT = frozenset({StopStatus.WAITING, StopStatus.AT_COUNTER, StopStatus.MISSED})
SETTLED = frozenset({StopStatus.DONE, StopStatus.DROPPED, StopStatus.LAPSED})
# A need is met by a stop served, or by one an officer judged unnecessary.
MEETS_NEED = frozenset({StopStatus.DONE, StopStatus.DROPPED})


@dataclass(frozen=True)
class Stop:
    service: str
    status: StopStatus = StopStatus.PENDING
    joined_at: datetime | None = None  # when it joined its line (its wait counts from here)
    called_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Visit:
    stops: tuple[Stop, ...]
    status: VisitStatus = VisitStatus.ACTIVE
    held_until: datetime | None = None

    @property
    def current(self) -> Stop | None:
        """The one stop in a line or at a counter (or missed, while the visit is held)."""
        for stop in self.stops:
            if stop.status in CURRENT:
                return stop
        return None

    @property
    def current_index(self) -> int | None:
        for index, stop in enumerate(self.stops):
            if stop.status in CURRENT:
                return index
        return None

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(stop.service for stop in self.stops)

    def upcoming(self) -> tuple[Stop, ...]:
        return tuple(stop for stop in self.stops if stop.status is StopStatus.PENDING)


@dataclass(frozen=True)
class Rules:
    """The hall's visit settings: ``needs`` maps a service to the services it needs first."""

    max_stops: int = DEFAULT_MAX_STOPS
    order: RouteOrder = "plan"
    grace: timedelta = timedelta(minutes=15)
    needs: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def needs_of(self, service: str) -> frozenset[str]:
        return self.needs.get(service, frozenset())


class VisitError(ValueError):
    """A plan or a change the rules refuse; ``code`` names which rule."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


# ---------------------------------------------------------------- the hall's rules themselves

def needs_cycle(needs: Mapping[str, Iterable[str]]) -> tuple[str, ...] | None:
    """A chain of services each needing the next and the last the first, or None: such needs
    could never be met, so the hall's configuration refuses them."""
    graph = {service: tuple(sorted(set(wanted))) for service, wanted in needs.items()}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(service: str) -> tuple[str, ...] | None:
        state[service] = 1
        path.append(service)
        for wanted in graph.get(service, ()):
            if state.get(wanted) == 1:
                return (*path[path.index(wanted):], wanted)
            if wanted not in state and (found := visit(wanted)) is not None:
                return found
        path.pop()
        state[service] = 2
        return None

    for service in sorted(graph):
        if service not in state and (found := visit(service)) is not None:
            return found
    return None


# ---------------------------------------------------------------- planning

def plan(services: Sequence[str], rules: Rules) -> tuple[str, ...]:
    """The citizen's choice in the order it will be served (rule 1)."""
    if not services:
        raise VisitError("no_stops", "a visit needs at least one service")
    if len(set(services)) != len(services):
        raise VisitError("duplicate_stop", "a service appears twice in the visit")
    if len(services) > rules.max_stops:
        raise VisitError("too_many_stops", f"at most {rules.max_stops} services in one visit")
    chosen = set(services)
    ordered: list[str] = []
    placed: set[str] = set()
    remaining = list(services)
    while remaining:
        for service in remaining:  # the first in the citizen's order whose needs are placed
            if (rules.needs_of(service) & chosen) <= placed:
                break
        else:
            raise VisitError("needs_cycle", "the services in this visit need each other")
        ordered.append(service)
        placed.add(service)
        remaining.remove(service)
    return tuple(ordered)


def begin(services: Sequence[str], rules: Rules, now: datetime,
          lines: Mapping[str, int] | None = None) -> Visit:
    """A new visit, its first stop in its line from ``now``."""
    visit = Visit(stops=tuple(Stop(service) for service in plan(services, rules)))
    return _route_on(visit, rules, now, lines or {})


# ---------------------------------------------------------------- routing

def ready(visit: Visit, rules: Rules) -> list[int]:
    """Indexes of the pending stops whose needs (within the plan) are met."""
    status_of = {stop.service: stop.status for stop in visit.stops}
    return [index for index, stop in enumerate(visit.stops)
            if stop.status is StopStatus.PENDING
            and all(status_of[wanted] in MEETS_NEED
                    for wanted in rules.needs_of(stop.service) if wanted in status_of)]


def next_stop(visit: Visit, rules: Rules, lines: Mapping[str, int]) -> int | None:
    """The index of the stop the visit goes to next (rule 2), or None when none is left.
    ``lines``: how many wait in each service's line now (a missing service counts as empty)."""
    candidates = ready(visit, rules)
    if not candidates:
        return None
    if rules.order == "shortest":
        return min(candidates, key=lambda index: (lines.get(visit.stops[index].service, 0),
                                                  index))
    return candidates[0]


def as_if_done(visit: Visit) -> Visit:
    """The visit as routing will see it once its current stop is served."""
    index = visit.current_index
    if index is None:
        return visit
    return replace(visit, stops=_with(visit.stops, index, status=StopStatus.DONE))


def following(visit: Visit, rules: Rules, lines: Mapping[str, int] | None = None) -> str | None:
    """The service the visit goes to after its current stop, as things stand now."""
    after = as_if_done(visit)
    index = next_stop(after, rules, lines or {})
    return None if index is None else after.stops[index].service


def _route_on(visit: Visit, rules: Rules, now: datetime, lines: Mapping[str, int]) -> Visit:
    """With no current stop: the next one joins its line now, or the visit is finished."""
    assert visit.current is None
    index = next_stop(visit, rules, lines)
    if index is None:
        if any(stop.status is StopStatus.PENDING for stop in visit.stops):
            # Pending stops whose needs can no longer be met: only a dropped-and-lapsed
            # mix could do this, and rule 3 counts a dropped need as met, so it never happens.
            raise AssertionError("a pending stop is unreachable")
        return replace(visit, status=VisitStatus.FINISHED, held_until=None)
    return replace(visit, status=VisitStatus.ACTIVE, held_until=None,
                   stops=_with(visit.stops, index, status=StopStatus.WAITING, joined_at=now,
                               called_at=None))


def _with(stops: tuple[Stop, ...], index: int, **changes: object) -> tuple[Stop, ...]:
    return (*stops[:index], replace(stops[index], **changes), *stops[index + 1:])  # type: ignore[arg-type]


def _require_alive(visit: Visit) -> None:
    if visit.status in (VisitStatus.FINISHED, VisitStatus.LAPSED):
        raise VisitError("visit_over", f"the visit is {visit.status.value}")


def _current_in(visit: Visit, *allowed: StopStatus) -> int:
    index = visit.current_index
    if index is None or visit.stops[index].status not in allowed:
        raise VisitError("no_such_stop_state",
                         f"the current stop is not {' or '.join(s.value for s in allowed)}")
    return index


# ---------------------------------------------------------------- at the counter

def called(visit: Visit, now: datetime) -> Visit:
    """The current stop's counter called the visit."""
    _require_alive(visit)
    index = _current_in(visit, StopStatus.WAITING, StopStatus.AT_COUNTER)
    stop = visit.stops[index]
    return replace(visit, stops=_with(visit.stops, index, status=StopStatus.AT_COUNTER,
                                      called_at=stop.called_at or now))


def back_in_line(visit: Visit, now: datetime) -> Visit:
    """The counter sent the visit back to the same line (a transfer within the stop, or a
    return after a no-show within the grace): it waits again from ``now``."""
    _require_alive(visit)
    index = _current_in(visit, StopStatus.AT_COUNTER, StopStatus.MISSED, StopStatus.WAITING)
    return replace(visit, status=VisitStatus.ACTIVE, held_until=None,
                   stops=_with(visit.stops, index, status=StopStatus.WAITING, joined_at=now,
                               called_at=None))


def finished(visit: Visit, rules: Rules, now: datetime, lines: Mapping[str, int]) -> Visit:
    """The current stop was served; the visit goes on to its next stop (or is finished)."""
    _require_alive(visit)
    index = _current_in(visit, StopStatus.AT_COUNTER)
    done = replace(visit, stops=_with(visit.stops, index, status=StopStatus.DONE,
                                      finished_at=now))
    return _route_on(done, rules, now, lines)


def missed(visit: Visit, rules: Rules, now: datetime) -> Visit:
    """A no-show at the current stop: the visit is held for the grace (rule 4)."""
    _require_alive(visit)
    index = _current_in(visit, StopStatus.AT_COUNTER)
    return replace(visit, status=VisitStatus.HELD, held_until=now + rules.grace,
                   stops=_with(visit.stops, index, status=StopStatus.MISSED))


def returned(visit: Visit, now: datetime) -> Visit:
    """The citizen came back within the grace: the missed stop waits again from ``now``."""
    if visit.status is not VisitStatus.HELD:
        raise VisitError("not_held", "the visit is not held for a no-show")
    if visit.held_until is not None and now >= visit.held_until:
        raise VisitError("grace_over", "the grace for this visit has passed")
    return back_in_line(visit, now)


def lapse_due(visit: Visit, now: datetime) -> bool:
    return (visit.status is VisitStatus.HELD and visit.held_until is not None
            and now >= visit.held_until)


def lapsed(visit: Visit) -> Visit:
    """The grace passed: every stop not yet served ends as lapsed, and so does the visit."""
    _require_alive(visit)
    stops = tuple(stop if stop.status in SETTLED else replace(stop, status=StopStatus.LAPSED)
                  for stop in visit.stops)
    return replace(visit, status=VisitStatus.LAPSED, held_until=None, stops=stops)


# ---------------------------------------------------------------- an officer changes the plan

def add_stop(visit: Visit, service: str, rules: Rules) -> Visit:
    """Another service at the end of the plan ("also needs the tax office")."""
    _require_alive(visit)
    if service in visit.services and any(
            stop.service == service and stop.status is not StopStatus.DROPPED
            for stop in visit.stops):
        raise VisitError("duplicate_stop", "the visit already has that service")
    live = sum(1 for stop in visit.stops if stop.status is not StopStatus.DROPPED)
    if live >= rules.max_stops:
        raise VisitError("too_many_stops", f"at most {rules.max_stops} services in one visit")
    kept = tuple(stop for stop in visit.stops
                 if not (stop.service == service and stop.status is StopStatus.DROPPED))
    return replace(visit, stops=(*kept, Stop(service)))


def drop_stop(visit: Visit, service: str, rules: Rules, now: datetime,
              lines: Mapping[str, int]) -> Visit:
    """Take a stop not yet served out of the plan; the current waiting stop routes on now."""
    _require_alive(visit)
    found = [i for i, stop in enumerate(visit.stops) if stop.service == service
             and stop.status is not StopStatus.DROPPED]
    if not found:
        raise VisitError("unknown_stop", "the visit has no such stop")
    index = found[0]
    stop = visit.stops[index]
    if stop.status not in (StopStatus.PENDING, StopStatus.WAITING):
        raise VisitError("stop_not_droppable",
                         f"a stop that is {stop.status.value} cannot be dropped")
    others = [s for i, s in enumerate(visit.stops)
              if i != index and s.status not in (StopStatus.DROPPED, StopStatus.LAPSED)]
    if not others:
        # Nothing served and nothing else to serve: that is a cancelled ticket, not a visit.
        raise VisitError("last_stop", "the only stop of a visit is cancelled, not dropped")
    dropped = replace(visit, stops=_with(visit.stops, index, status=StopStatus.DROPPED))
    if stop.status is StopStatus.WAITING:
        return _route_on(dropped, rules, now, lines)
    return dropped


# ---------------------------------------------------------------- what statistics read

def visit_seconds(visit: Visit, arrived_at: datetime) -> int | None:
    """Arrival to the last stop's finish, once the visit is finished."""
    if visit.status is not VisitStatus.FINISHED:
        return None
    ends = [stop.finished_at for stop in visit.stops if stop.finished_at is not None]
    return int((max(ends) - arrived_at).total_seconds()) if ends else None


def stop_wait_seconds(stop: Stop) -> int | None:
    """A stop's own wait: from joining its line to its call."""
    if stop.joined_at is None or stop.called_at is None:
        return None
    return int((stop.called_at - stop.joined_at).total_seconds())
