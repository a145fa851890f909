"""When housekeeping does its heavier work.

Expiring unconfirmed reservations is due every round. The rest (tickets left from a past
service day, the statistics roll-ups, pruning the event log) has work only when a hall's
service day ends, while a backlog is being rolled up, or for the odd change after the fact;
yet it reads every site while holding the write lock, which on SQLite every command waits for.
So it runs when a service day turned, while it is catching up, and otherwise every few
minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from server.domain.numbering import service_day

FULL_ROUND_SECONDS = 300.0


def service_days(timezones: Iterable[str], now: datetime) -> frozenset[tuple[str, date]]:
    return frozenset((timezone, service_day(now, timezone)) for timezone in set(timezones))


@dataclass
class Rounds:
    days: frozenset[tuple[str, date]] | None = None
    last_full: float | None = None
    catching_up: bool = False

    def full_due(self, days: frozenset[tuple[str, date]], monotonic: float) -> bool:
        return (self.catching_up or days != self.days or self.last_full is None
                or monotonic - self.last_full >= FULL_ROUND_SECONDS)

    def full_done(self, days: frozenset[tuple[str, date]], monotonic: float,
                  days_rolled_up: int) -> None:
        self.days = days
        self.last_full = monotonic
        self.catching_up = days_rolled_up > 0  # a backlog: go on next round
