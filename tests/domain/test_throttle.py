"""The login lockout rule: free mistakes, then doubling lockouts with a ceiling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from server.domain.throttle import PER_ADDRESS, PER_USERNAME, Throttle

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def test_a_username_is_locked_from_its_fifth_failure_doubling() -> None:
    assert [PER_USERNAME.lockout(n) for n in range(1, 9)] == [0, 0, 0, 0, 30, 60, 120, 240]
    assert PER_USERNAME.lockout(40) == 15 * 60
    assert PER_ADDRESS.lockout(19) == 0 and PER_ADDRESS.lockout(20) == 30


@given(st.integers(0, 10_000), st.integers(1, 50))
def test_lockouts_never_shrink_and_never_pass_the_ceiling(failures: int, free: int) -> None:
    rule = Throttle(free=free)
    assert rule.lockout(failures) <= rule.lockout(failures + 1) <= rule.longest


def test_failures_are_forgotten_after_a_quiet_while() -> None:
    assert PER_USERNAME.failures_after(4, NOW - timedelta(minutes=14), NOW) == 5
    assert PER_USERNAME.failures_after(4, NOW - timedelta(minutes=16), NOW) == 1
    assert PER_USERNAME.failures_after(0, None, NOW) == 1
