"""Median and p90 read off the duration buckets land in the bucket of the exact value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.domain.stats import BUCKETS, bucket_of, bucket_percentile, percentiles


def _histogram(values: list[int]) -> list[int]:
    counts = [0] * len(BUCKETS)
    for value in values:
        counts[bucket_of(value)] += 1
    return counts


@given(st.lists(st.integers(min_value=0, max_value=6 * 3600), min_size=1, max_size=300))
def test_the_estimate_is_in_the_bucket_of_the_exact_percentile(values: list[int]) -> None:
    exact = percentiles(values)
    for p, wanted in ((0.5, exact.median), (0.9, exact.p90)):
        estimate = bucket_percentile(p, _histogram(values), max(values))
        assert estimate is not None and wanted is not None
        assert bucket_of(estimate) == bucket_of(wanted)
        assert estimate <= max(values)


def test_no_values_no_percentile() -> None:
    assert bucket_percentile(0.5, [0] * len(BUCKETS), 0) is None
