"""How long wrong passwords lock a login out: a pure rule, with backoff.

A few mistakes cost nothing. From the ``free``-th failure in a row on, each further one locks
the key (a username, or an address trying many) for ``first`` seconds, doubling with every
failure after it, never longer than ``longest``. Failures are forgotten after ``forget``
seconds without one, and a username's on a successful login.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Throttle:
    free: int
    first: float = 30.0
    longest: float = 15 * 60.0
    forget: float = 15 * 60.0

    def lockout(self, failures: int) -> float:
        """Seconds locked after this many failures in a row (0: not locked)."""
        if failures < self.free:
            return 0.0
        return min(self.longest, self.first * 2 ** min(failures - self.free, 32))

    def failures_after(self, failures: int, last_failure_at: datetime | None,
                       now: datetime) -> int:
        """The count a new failure at ``now`` makes, the old ones forgotten if long past."""
        if last_failure_at is None or now - last_failure_at > timedelta(seconds=self.forget):
            return 1
        return failures + 1


PER_USERNAME = Throttle(free=5)
PER_ADDRESS = Throttle(free=20)
