"""Housekeeping's heavier work runs when a service day turned, while it catches up a backlog,
and every few minutes otherwise; not every round."""

from __future__ import annotations

from datetime import UTC, datetime

from server.services.housekeeping import FULL_ROUND_SECONDS, Rounds, service_days

JAKARTA, MAKASSAR = "Asia/Jakarta", "Asia/Makassar"


def test_the_first_round_is_full_and_the_next_ones_wait() -> None:
    rounds = Rounds()
    days = service_days([JAKARTA], datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert rounds.full_due(days, monotonic=0.0)
    rounds.full_done(days, monotonic=0.0, days_rolled_up=0)
    assert not rounds.full_due(days, monotonic=5.0)
    assert not rounds.full_due(days, monotonic=FULL_ROUND_SECONDS - 1)
    assert rounds.full_due(days, monotonic=FULL_ROUND_SECONDS)


def test_a_service_day_ending_in_any_timezone_makes_the_next_round_full() -> None:
    rounds = Rounds()
    # 16:30 UTC: already the 26th in Makassar (UTC+8), still the 25th in Jakarta (UTC+7).
    before = service_days([JAKARTA, MAKASSAR], datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    after = service_days([JAKARTA, MAKASSAR], datetime(2026, 11, 25, 16, 30, tzinfo=UTC))
    rounds.full_done(before, monotonic=0.0, days_rolled_up=0)
    assert after != before
    assert rounds.full_due(after, monotonic=10.0)


def test_a_backlog_keeps_every_round_full_until_nothing_is_left() -> None:
    rounds = Rounds()
    days = service_days([JAKARTA], datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    rounds.full_done(days, monotonic=0.0, days_rolled_up=3)
    assert rounds.full_due(days, monotonic=5.0)
    rounds.full_done(days, monotonic=5.0, days_rolled_up=0)
    assert not rounds.full_due(days, monotonic=10.0)


def test_halls_sharing_a_timezone_count_once() -> None:
    now = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert len(service_days([JAKARTA, JAKARTA, MAKASSAR], now)) == 2
