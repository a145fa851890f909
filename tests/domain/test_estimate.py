"""The wait a kiosk promises: the configured service time, learning from today's tickets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.estimate import (
    RECENT_WEIGHT_CAP,
    estimate_wait_minutes,
    expected_service_minutes,
)

minutes = st.floats(0.5, 120, allow_nan=False)


def test_without_finished_tickets_the_configured_time_is_used() -> None:
    assert expected_service_minutes(10, []) == 10


def test_a_few_tickets_nudge_the_estimate_a_little() -> None:
    # two tickets of 20 minutes: 10% trust, so 10 → 11
    assert expected_service_minutes(10, [20, 20]) == pytest.approx(11)


def test_trust_in_today_is_capped() -> None:
    # a hundred tickets of 20 minutes still leave some weight on the configured 10
    result = expected_service_minutes(10, [20] * 100)
    assert result == pytest.approx((1 - RECENT_WEIGHT_CAP) * 10 + RECENT_WEIGHT_CAP * 20)
    assert result < 20


def test_one_long_case_does_not_swing_the_estimate() -> None:
    usual = [8.0] * 19
    assert expected_service_minutes(8, [*usual, 240.0]) == pytest.approx(8)


@given(minutes, st.lists(minutes, min_size=1, max_size=60))
def test_the_estimate_lies_between_the_plan_and_what_happened(
    configured: float, recent: list[float]
) -> None:
    result = expected_service_minutes(configured, recent)
    assert min(configured, *recent) - 1e-9 <= result <= max(configured, *recent) + 1e-9


@given(minutes, st.lists(minutes, min_size=1, max_size=60))
def test_the_order_tickets_finished_in_does_not_matter(
    configured: float, recent: list[float]
) -> None:
    assert expected_service_minutes(configured, recent) == pytest.approx(
        expected_service_minutes(configured, list(reversed(recent)))
    )


@pytest.mark.parametrize(
    ("ahead", "service", "counters", "expected"),
    [
        (0, 10, 2, 0),
        (-1, 10, 2, 0),
        (1, 10, 1, 10),
        (3, 10, 2, 15),
        (1, 7, 3, 3),  # 2.33 minutes: rounded up, never promise less than the truth
        (4, 5, 0, 20),  # no counter open yet: assume one will open
    ],
)
def test_wait_is_people_ahead_times_service_time_shared_by_counters(
    ahead: int, service: float, counters: int, expected: int
) -> None:
    assert estimate_wait_minutes(ahead, service, counters) == expected


@given(st.integers(0, 500), minutes, st.integers(1, 20))
def test_more_people_ahead_never_means_a_shorter_wait(
    ahead: int, service: float, counters: int
) -> None:
    assert estimate_wait_minutes(ahead + 1, service, counters) >= estimate_wait_minutes(
        ahead, service, counters
    )


@given(st.integers(0, 500), minutes, st.integers(1, 20))
def test_more_counters_never_mean_a_longer_wait(ahead: int, service: float, counters: int) -> None:
    assert estimate_wait_minutes(ahead, service, counters + 1) <= estimate_wait_minutes(
        ahead, service, counters
    )
