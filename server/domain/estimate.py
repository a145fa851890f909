"""How long a citizen will wait: a plain estimate the kiosk and tracking page can show."""

from __future__ import annotations

import math
from collections.abc import Sequence

RECENT_WEIGHT_CAP = 0.8


def expected_service_minutes(configured: float, recent: Sequence[float]) -> float:
    """Blend the configured service time with what today's finished tickets actually took.

    The more tickets served today, the more we trust them, up to RECENT_WEIGHT_CAP, so one
    unusually long case in the morning does not swing every estimate.
    """
    if not recent:
        return configured
    observed = sorted(recent)[len(recent) // 2]
    trust = min(RECENT_WEIGHT_CAP, len(recent) / 20)
    return (1 - trust) * configured + trust * observed


def estimate_wait_minutes(people_ahead: int, service_minutes: float, counters: int) -> int:
    """Minutes until this ticket is called, rounded up; with no counter to serve, assume one."""
    if people_ahead <= 0:
        return 0
    return math.ceil(people_ahead * service_minutes / max(1, counters))
