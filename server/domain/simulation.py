"""A seeded simulation of a day in a hall: citizens arrive by hour with the morning peak, take a
ticket for a service, wait, are called by the first free counter that serves it (priority first,
then issue order), walk up, are served for a time drawn from the service's distribution, and
leave; some miss their call, some give up, a few are transferred; officers take a lunch break.

Pure: no clock, no database. The same seed and the same plan give the same day, ticket for ticket.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Share of the day's arrivals per local hour: the morning peak of an MPP.
ARRIVALS_BY_HOUR: Mapping[int, float] = {
    8: 0.17, 9: 0.21, 10: 0.18, 11: 0.13, 12: 0.08, 13: 0.12, 14: 0.08, 15: 0.03,
}
PRIORITY_REASONS = ("elderly", "disability", "pregnant", "child")


@dataclass(frozen=True)
class SimService:
    id: int
    agency_id: int
    prefix: str
    service_minutes: float
    popularity: float = 1.0


@dataclass(frozen=True)
class SimCounter:
    id: int
    agency_id: int
    services: frozenset[int]
    officer_id: int | None = None


@dataclass(frozen=True)
class Plan:
    tickets_per_day: int = 1500
    priority_share: float = 0.08
    no_show_share: float = 0.05
    cancel_share: float = 0.02  # give up while waiting
    transfer_share: float = 0.02
    visit_share: float = 0.0  # citizens with 2–4 services on one number (a visit)
    survey_share: float = 0.15
    rating_share: float = 0.5
    lunch_share: float = 0.7  # counters whose officer takes a lunch break
    open_at: time = time(8, 0)
    close_at: time = time(16, 0)  # counters close once their lines are empty after this


@dataclass
class SimTicket:
    service_id: int
    issued_service_id: int
    sequence: int
    number: str
    priority_reason: str | None
    issued_at: datetime
    queued_at: datetime
    status: str = "waiting"
    first_called_at: datetime | None = None
    last_called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    ended_at: datetime | None = None
    counter_id: int | None = None
    officer_id: int | None = None
    call_count: int = 0
    transfer_count: int = 0
    rating: int | None = None
    survey: dict[str, int] | None = None
    plan: tuple[int, ...] = ()  # a visit's services in order (empty: a single service)
    _remaining: list[int] = field(default_factory=list)
    _will_no_show: bool = False
    _will_transfer: bool = False
    _patience: float = math.inf


@dataclass(frozen=True)
class CounterEvent:
    counter_id: int
    officer_id: int | None
    action: str  # counter.open, counter.pause, counter.resume, counter.close
    at: datetime
    reason: str | None = None


@dataclass
class Day:
    day: date
    tickets: list[SimTicket] = field(default_factory=list)
    counter_events: list[CounterEvent] = field(default_factory=list)


def _satisfaction(rng: random.Random, waited_minutes: float) -> int:
    """A citizen's 1–4 score: mostly good, worse after a long wait."""
    base = 3.6 - min(1.5, waited_minutes / 60)
    return max(1, min(4, round(rng.gauss(base, 0.6))))


def simulate_day(day: date, timezone: str, services: Sequence[SimService],
                 counters: Sequence[SimCounter], plan: Plan, seed: int) -> Day:
    rng = random.Random(f"{seed}:{day.isoformat()}")
    zone = ZoneInfo(timezone)
    opening = datetime.combine(day, plan.open_at, zone)
    closing = datetime.combine(day, plan.close_at, zone)
    result = Day(day)
    if not services or not counters:
        return result
    by_id = {s.id: s for s in services}
    served_by: dict[int, list[SimCounter]] = {}
    for counter in counters:
        for sid in counter.services:
            served_by.setdefault(sid, []).append(counter)
    offered = [s for s in services if s.id in served_by]
    weights = [s.popularity for s in offered]
    sequences: dict[int, int] = {}

    # Arrivals: a Poisson-like count per hour, uniformly within the hour.
    events: list[tuple[datetime, int, str, Any]] = []
    order = 0

    def push(at: datetime, kind: str, payload: Any) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (at, order, kind, payload))

    for hour, share in ARRIVALS_BY_HOUR.items():
        expected = plan.tickets_per_day * share
        count = max(0, round(rng.gauss(expected, math.sqrt(expected))))
        start = datetime.combine(day, time(hour), zone)
        for _ in range(count):
            push(start + timedelta(seconds=rng.uniform(0, 3600)), "arrive", None)

    lines: dict[int, tuple[deque[SimTicket], deque[SimTicket]]] = {
        s.id: (deque(), deque()) for s in offered}
    free: set[int] = set()
    paused: set[int] = set()
    counter_by_id = {c.id: c for c in counters}
    for counter in counters:
        push(opening + timedelta(seconds=rng.uniform(0, 300)), "open", counter.id)
        if rng.random() < plan.lunch_share:
            lunch = datetime.combine(day, time(12), zone) + timedelta(minutes=rng.uniform(-30, 30))
            push(lunch, "pause", counter.id)
            push(lunch + timedelta(minutes=rng.uniform(30, 60)), "resume", counter.id)
    closed: set[int] = set()

    def service_minutes(service: SimService) -> float:
        sigma = 0.5
        mu = math.log(max(0.5, service.service_minutes)) - sigma * sigma / 2
        return max(0.5, rng.lognormvariate(mu, sigma))

    def head(counter: SimCounter) -> SimTicket | None:
        best: tuple[int, datetime, SimTicket, deque[SimTicket]] | None = None
        for sid in counter.services:
            if sid not in lines:
                continue
            for rank, line in enumerate(lines[sid]):
                while line and line[0].status != "waiting":
                    line.popleft()  # gave up
                if line and (best is None or (rank, line[0].queued_at) < (best[0], best[1])):
                    best = (rank, line[0].queued_at, line[0], line)
        if best is None:
            return None
        best[3].popleft()
        return best[2]

    def dispatch(now: datetime, candidates: set[int]) -> None:
        for cid in sorted(candidates & free):
            counter = counter_by_id[cid]
            ticket = head(counter)
            if ticket is None:
                if now >= closing and cid not in closed:
                    free.discard(cid)
                    closed.add(cid)
                    result.counter_events.append(
                        CounterEvent(cid, counter.officer_id, "counter.close", now))
                continue
            free.discard(cid)
            ticket.status = "called"
            ticket.first_called_at = ticket.first_called_at or now
            ticket.last_called_at = now
            ticket.call_count += 1
            ticket.counter_id, ticket.officer_id = cid, counter.officer_id
            if ticket._will_no_show:
                ticket.call_count += 1  # recalled once
                push(now + timedelta(minutes=rng.uniform(2, 4)), "no_show", (cid, ticket))
            else:
                push(now + timedelta(seconds=rng.uniform(20, 90)), "start", (cid, ticket))

    push(closing, "closing", None)
    while events:
        now, _, kind, payload = heapq.heappop(events)
        woken: set[int] = set()
        if kind == "closing":
            woken = set(free)
        elif kind == "arrive":
            service = rng.choices(offered, weights)[0]
            sequences[service.id] = sequences.get(service.id, 0) + 1
            seq = sequences[service.id]
            priority = rng.choice(PRIORITY_REASONS) if rng.random() < plan.priority_share else None
            ticket = SimTicket(service.id, service.id, seq, f"{service.prefix}-{seq:03d}", priority,
                               now, now)
            if plan.visit_share and rng.random() < plan.visit_share:
                # Several agencies' services: the first one numbers the ticket, as the server
                # does; the others follow, each joining its line when the one before finishes.
                others = [s for s in offered if s.agency_id != service.agency_id]
                wanted = min(rng.randint(2, 4) - 1, len({s.agency_id for s in others}))
                more: list[SimService] = []
                while len(more) < wanted:
                    pick = rng.choices(others, [s.popularity for s in others])[0]
                    if all(pick.agency_id != m.agency_id for m in more):
                        more.append(pick)
                if more:
                    ticket.plan = (service.id, *(m.id for m in more))
                    ticket._remaining = [m.id for m in more]
            roll = rng.random()
            ticket._will_no_show = roll < plan.no_show_share
            ticket._will_transfer = not ticket._will_no_show and rng.random() < plan.transfer_share
            if ticket.plan:  # a visit moves by its plan, never by a transfer (as the server)
                ticket._will_transfer = False
            if rng.random() < plan.cancel_share:
                ticket._patience = rng.uniform(20, 90)
                push(now + timedelta(minutes=ticket._patience), "give_up", ticket)
            result.tickets.append(ticket)
            lines[service.id][0 if priority else 1].append(ticket)
            woken = {c.id for c in served_by[service.id]}
        elif kind == "give_up":
            assert isinstance(payload, SimTicket)
            if payload.status == "waiting":
                payload.status = "cancelled"
                payload.ended_at = now
        elif kind == "open":
            assert isinstance(payload, int)
            free.add(payload)
            woken = {payload}
            result.counter_events.append(
                CounterEvent(payload, counter_by_id[payload].officer_id, "counter.open", now))
        elif kind in ("pause", "resume") and (payload in closed or now >= closing):
            paused.discard(payload)
            if kind == "resume" and payload not in closed:
                free.add(payload)
                woken = {payload}
                result.counter_events.append(CounterEvent(
                    payload, counter_by_id[payload].officer_id,
                    "counter.resume", now))
        elif kind == "pause":
            assert isinstance(payload, int)
            paused.add(payload)  # takes effect once the counter is free
            if payload in free:
                free.discard(payload)
                result.counter_events.append(CounterEvent(
                    payload, counter_by_id[payload].officer_id, "counter.pause", now, "istirahat"))
            else:
                push(now + timedelta(minutes=1), "pause", payload)
                paused.discard(payload)
        elif kind == "resume":
            assert isinstance(payload, int)
            if payload in paused:
                paused.discard(payload)
                free.add(payload)
                woken = {payload}
                result.counter_events.append(CounterEvent(
                    payload, counter_by_id[payload].officer_id, "counter.resume", now))
            else:
                push(now + timedelta(minutes=1), "resume", payload)
        elif kind == "no_show":
            cid, ticket = payload
            ticket.status = "no_show"
            ticket.ended_at = now
            free.add(cid)
            woken = {cid}
        elif kind == "start":
            cid, ticket = payload
            ticket.status = "serving"
            ticket.started_at = now
            minutes = service_minutes(by_id[ticket.service_id])
            push(now + timedelta(minutes=minutes), "finish", (cid, ticket))
        elif kind == "finish":
            cid, ticket = payload
            free.add(cid)
            woken = {cid}
            targets = [s for s in offered if s.agency_id == by_id[ticket.service_id].agency_id
                       and s.id != ticket.service_id]
            if ticket._remaining:  # a visit: on to its next stop's line, from now
                nxt = ticket._remaining.pop(0)
                ticket.service_id = nxt
                ticket.status = "waiting"
                ticket.queued_at = now
                ticket.counter_id = None
                ticket.started_at = None
                lines[nxt][0 if ticket.priority_reason else 1].append(ticket)
                woken |= {c.id for c in served_by[nxt]}
            elif ticket._will_transfer and targets and ticket.transfer_count == 0:
                ticket._will_transfer = False
                target = rng.choice(targets)
                ticket.transfer_count += 1
                ticket.service_id = target.id
                ticket.status = "waiting"
                ticket.counter_id = None
                ticket.started_at = None
                lines[target.id][0 if ticket.priority_reason else 1].append(ticket)
                woken |= {c.id for c in served_by[target.id]}
            else:
                ticket.status = "finished"
                ticket.finished_at = ticket.ended_at = now
                waited = ((ticket.first_called_at or now) - ticket.issued_at).total_seconds() / 60
                if rng.random() < plan.rating_share:
                    ticket.rating = _satisfaction(rng, waited)
                if rng.random() < plan.survey_share:
                    ticket.survey = {e: _satisfaction(rng, waited) for e in (
                        "requirements", "procedure", "time", "cost", "product", "competence",
                        "behaviour", "complaints", "facilities")}
        if woken:
            dispatch(now, woken)
    for ticket in result.tickets:
        if ticket.status == "waiting":  # the day ended with them still in line
            ticket.status = "expired"
            ticket.ended_at = closing
    last = max((t.ended_at for t in result.tickets if t.ended_at), default=closing)
    for cid in counter_by_id:
        if cid not in closed:
            result.counter_events.append(CounterEvent(
                cid, counter_by_id[cid].officer_id, "counter.close", max(last, closing)))
    return result


def summary(day: Day) -> dict[str, float | int | None]:
    """The headline figures of a simulated day (for a staffing what-if on the command line)."""
    waits = sorted((t.first_called_at - t.issued_at).total_seconds() / 60
                   for t in day.tickets if t.first_called_at is not None)

    def rank(p: float) -> float | None:
        return None if not waits else round(waits[max(0, math.ceil(p * len(waits)) - 1)], 1)

    return {
        "issued": len(day.tickets),
        "served": sum(1 for t in day.tickets if t.status == "finished"),
        "no_shows": sum(1 for t in day.tickets if t.status == "no_show"),
        "cancelled": sum(1 for t in day.tickets if t.status == "cancelled"),
        "unserved": sum(1 for t in day.tickets if t.status == "expired"),
        "wait_median_min": rank(0.5),
        "wait_p90_min": rank(0.9),
        "wait_max_min": None if not waits else round(waits[-1], 1),
    }
