"""Statistics of visits: how many a day, how long from arrival to the last stop's finish, and
which services citizens combine (a table a manager uses to place agencies next to each other).

Pure: the service layer hands in one ``VisitFact`` per stored visit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class VisitFact:
    service_day: date
    combination: str  # the services it kept, sorted, joined by " + "
    status: str  # active, held, finished, lapsed
    visit_seconds: int | None  # arrival → last finish, for a finished visit


@dataclass(frozen=True)
class Tally:
    key: str
    visits: int
    finished: int
    lapsed: int
    mean_visit_seconds: float | None


def _tally(key: str, facts: list[VisitFact]) -> Tally:
    durations = [f.visit_seconds for f in facts if f.visit_seconds is not None]
    return Tally(key=key, visits=len(facts),
                 finished=sum(1 for f in facts if f.status == "finished"),
                 lapsed=sum(1 for f in facts if f.status == "lapsed"),
                 mean_visit_seconds=round(sum(durations) / len(durations), 1)
                 if durations else None)


def by_day(facts: Iterable[VisitFact]) -> list[Tally]:
    days: dict[date, list[VisitFact]] = defaultdict(list)
    for fact in facts:
        days[fact.service_day].append(fact)
    return [_tally(day.isoformat(), days[day]) for day in sorted(days)]


def combinations(facts: Iterable[VisitFact], limit: int = 20) -> list[Tally]:
    """The commonest combinations first (then by name, so equal counts keep one order)."""
    groups: dict[str, list[VisitFact]] = defaultdict(list)
    for fact in facts:
        groups[fact.combination].append(fact)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [_tally(key, group) for key, group in ranked[:limit]]


def overall(facts: Iterable[VisitFact]) -> Tally:
    return _tally("all", list(facts))
