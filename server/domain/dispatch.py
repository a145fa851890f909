"""Which waiting ticket a counter gets next: a pure function over the heads of its lines.

A counter serves several services; each service has two lines (priority and regular), and only
the head of each line is ever a candidate, because within a line tickets go in issue order.
The policy then decides, in this order:

1. the class: priority or regular, by the site's rhythm (strict priority first, or one priority
   ticket per N regular) with a cap on consecutive priority calls so regular citizens keep moving;
2. the service: a head that has waited past its service's SLA (times the ageing factor) goes
   first, most overdue first, so no service starves; otherwise the counter's weight for the service;
3. issue order: the earliest ticket, then the lowest id (ascending on every database).

Bookings (a candidate with a ``slot_at``, checked in at the hall) have lines of their own,
in slot order. Within the class the rhythm chose, a booking whose slot has come goes ahead of
the walk-ins, at most ``max_consecutive_booked`` calls in a row while walk-ins wait, so both
keep moving; a booking before its slot is called only when no walk-in of the class waits.
The class always comes first: a booking never passes the UU 25/2009 rhythm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Candidate:
    """The head of one line: a (service, class) pair's earliest waiting ticket."""

    ticket_id: int
    service_id: int
    priority: bool
    queued_at: datetime
    weight: int
    sla_minutes: int
    slot_at: datetime | None = None  # a booking's slot; None for a walk-in

    @property
    def booked(self) -> bool:
        return self.slot_at is not None


@dataclass(frozen=True)
class Rhythm:
    """What a counter has called lately; ``regular_since_priority`` is None before its first priority."""

    consecutive_priority: int = 0
    regular_since_priority: int | None = None
    consecutive_booked: int = 0


@dataclass(frozen=True)
class Policy:
    mode: Literal["strict", "interleave"] = "interleave"
    regular_per_priority: int = 2
    max_consecutive_priority: int = 3
    sla_ageing: float = 1.0
    max_consecutive_booked: int = 2


def choose(
    candidates: Sequence[Candidate], rhythm: Rhythm, policy: Policy, now: datetime
) -> Candidate | None:
    if not candidates:
        return None
    priority = [c for c in candidates if c.priority]
    regular = [c for c in candidates if not c.priority]
    pool = priority if _priority_turn(priority, regular, rhythm, policy) else regular
    return _within_class(pool, rhythm, policy, now)


def _within_class(pool: Sequence[Candidate], rhythm: Rhythm, policy: Policy,
                  now: datetime) -> Candidate:
    walk_ins = [c for c in pool if not c.booked]
    due = [c for c in pool if c.slot_at is not None and c.slot_at <= now]
    if due and (not walk_ins or rhythm.consecutive_booked < policy.max_consecutive_booked):
        return min(due, key=_slot_order)
    if walk_ins:
        return min(walk_ins, key=lambda c: _rank(c, policy, now))
    return min(pool, key=_slot_order)


def ahead_of_walk_ins(chosen: Candidate, candidates: Sequence[Candidate]) -> bool:
    """A booking called before a walk-in of its class that joined the line earlier: the
    out-of-order call the audit trail names."""
    return chosen.booked and any(
        not c.booked and c.priority == chosen.priority and c.queued_at < chosen.queued_at
        for c in candidates)


def after_call(rhythm: Rhythm, chosen: Candidate) -> Rhythm:
    booked = rhythm.consecutive_booked + 1 if chosen.booked else 0
    if chosen.priority:
        return Rhythm(rhythm.consecutive_priority + 1, 0, booked)
    since = rhythm.regular_since_priority
    return Rhythm(0, None if since is None else since + 1, booked)


def _slot_order(candidate: Candidate) -> tuple[datetime, datetime, int]:
    assert candidate.slot_at is not None
    return (candidate.slot_at, candidate.queued_at, candidate.ticket_id)


def _priority_turn(
    priority: Sequence[Candidate], regular: Sequence[Candidate], rhythm: Rhythm, policy: Policy
) -> bool:
    if not priority:
        return False
    if not regular:
        return True
    if rhythm.consecutive_priority >= policy.max_consecutive_priority:
        return False
    if policy.mode == "strict":
        return True
    since = rhythm.regular_since_priority
    return since is None or since >= policy.regular_per_priority


def _rank(candidate: Candidate, policy: Policy, now: datetime) -> tuple[int, float, int, datetime, int]:
    waited_minutes = max(0.0, (now - candidate.queued_at).total_seconds() / 60)
    overdue_ratio = waited_minutes / (candidate.sla_minutes * policy.sla_ageing)
    if overdue_ratio >= 1:
        return (0, -overdue_ratio, 0, candidate.queued_at, candidate.ticket_id)
    return (1, 0.0, -candidate.weight, candidate.queued_at, candidate.ticket_id)
