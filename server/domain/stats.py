"""Statistics formulas: the satisfaction index (IKM) and its bands, SLA share, utilisation,
nearest-rank percentiles. Pure functions; the database does the counting, these do the meaning.

The IKM follows PermenPANRB 14/2017 (Pedoman Penyusunan Survei Kepuasan Masyarakat), annex
(Lampiran) chapter on processing results: nine elements (unsur), each answered 1–4; the index is the
weighted average of the elements' mean scores (each element weighs 1/9) times 25, and the result
is read against the annex's conversion table:

=================  ================  ===========  =====================
perception value   IKM (×25)         quality      performance
=================  ================  ===========  =====================
1.00 – 2.5996      25.00 – 64.99     D            tidak baik (poor)
2.60 – 3.064       65.00 – 76.60     C            kurang baik (fair)
3.0644 – 3.532     76.61 – 88.30     B            baik (good)
3.5324 – 4.00      88.31 – 100.00    A            sangat baik (very good)
=================  ================  ===========  =====================

The annex rounds the weight to 0.111; we use exactly 1/9, so a survey of all fours scores 100.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

IKM_ELEMENTS: tuple[str, ...] = (
    "requirements", "procedure", "time", "cost", "product",
    "competence", "behaviour", "complaints", "facilities",
)
"""U1…U9 of PermenPANRB 14/2017, in the regulation's order."""

IKM_ELEMENT_NAMES: Mapping[str, tuple[str, str]] = {
    "requirements": ("Persyaratan", "Requirements"),
    "procedure": ("Sistem, mekanisme, dan prosedur", "Procedure"),
    "time": ("Waktu penyelesaian", "Completion time"),
    "cost": ("Biaya/tarif", "Cost or fee"),
    "product": ("Produk spesifikasi jenis pelayanan", "Service product"),
    "competence": ("Kompetensi pelaksana", "Staff competence"),
    "behaviour": ("Perilaku pelaksana", "Staff behaviour"),
    "complaints": ("Penanganan pengaduan, saran dan masukan", "Complaint handling"),
    "facilities": ("Sarana dan prasarana", "Facilities"),
}

IKM_WEIGHT = 1 / len(IKM_ELEMENTS)
IKM_SCALE = 25
Band = Literal["A", "B", "C", "D"]

# Lower bounds of the converted index (×25) per quality band, best first.
IKM_BANDS: tuple[tuple[float, Band, str, str], ...] = (
    (88.31, "A", "Sangat baik", "Very good"),
    (76.61, "B", "Baik", "Good"),
    (65.00, "C", "Kurang baik", "Fair"),
    (25.00, "D", "Tidak baik", "Poor"),
)


def ikm_index(element_means: Mapping[str, float]) -> float:
    """The converted index (25–100) from each element's mean score (1–4)."""
    missing = [e for e in IKM_ELEMENTS if e not in element_means]
    if missing:
        raise ValueError(f"missing IKM elements: {', '.join(missing)}")
    weighted = sum(element_means[e] * IKM_WEIGHT for e in IKM_ELEMENTS)
    return round(weighted * IKM_SCALE, 2)


def ikm_band(index: float) -> Band:
    for lower, band, _, _ in IKM_BANDS:
        if index >= lower:
            return band
    return "D"


def band_words(band: Band) -> tuple[str, str]:
    """The annex's words for a band: (Indonesian, English)."""
    for _, b, words_id, words_en in IKM_BANDS:
        if b == band:
            return words_id, words_en
    raise ValueError(band)


def index_from_mean(mean_score: float) -> float:
    """A 1–4 mean (all elements alike, or a quick keypad rating) converted to the 25–100 scale."""
    return round(mean_score * IKM_SCALE, 2)


@dataclass(frozen=True)
class Percentiles:
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None
    count: int


def nearest_rank(p: float, n: int) -> int:
    """The 1-based rank of the p-th percentile among n sorted values (nearest-rank method):
    ceil(p·n), at least 1. The SQL picks the same row with integer arithmetic."""
    if n <= 0:
        raise ValueError("no values")
    rank = -(-round(p * 100) * n // 100)  # ceil without floating error
    return max(1, min(n, rank))


def percentiles(values: Sequence[float]) -> Percentiles:
    """Reference implementation of what the SQL computes (used by the tests)."""
    if not values:
        return Percentiles(None, None, None, None, 0)
    ordered = sorted(values)
    n = len(ordered)
    return Percentiles(mean=sum(ordered) / n, median=ordered[nearest_rank(0.5, n) - 1],
                       p90=ordered[nearest_rank(0.9, n) - 1], max=ordered[-1], count=n)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (never a misleading 0 %)."""
    return None if whole <= 0 else part / whole


def per_hour(count: int, seconds: float) -> float | None:
    return None if seconds <= 0 else count / (seconds / 3600)


# ---------------------------------------------------------------- durations and their histogram

BUCKETS: tuple[int, ...] = (
    0, 30, 60, 90, 120, 180, 240, 300, 420, 540, 660, 780, 900, 1080, 1260, 1440, 1620, 1800,
    2100, 2400, 2700, 3000, 3600, 4200, 4800, 5400, 7200, 9000, 10800, 14400,
)
"""Lower edges, in seconds, of the buckets in which closed days keep their wait, walk and service
times: 30 s wide up to 2 min, 1 min to 5 min, 2 min to 15 min, 3 min to 30 min, 5 min to 50 min,
10 min to 1½ h, 30 min to 3 h, 1 h to 4 h, and one bucket above 4 h."""


def whole_seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Seconds from start to end, rounded to a whole second; None until both are known."""
    if start is None or end is None:
        return None
    return round((end - start).total_seconds())


def bucket_of(seconds: float) -> int:
    """Index of the bucket holding a duration (a negative one counts as 0)."""
    return max(0, bisect_right(BUCKETS, seconds) - 1)


def bucket_percentile(p: float, histogram: Sequence[int], maximum: float) -> float | None:
    """The nearest-rank p-th percentile estimated from bucket counts: the bucket holding rank
    ceil(p·n) is found exactly, and the value is interpolated inside it (each of its k values
    taken at the middle of its k-th share of the bucket), never above the observed maximum.
    The estimate lies in the same bucket as the exact value."""
    n = sum(histogram)
    if n <= 0:
        return None
    rank = nearest_rank(p, n)
    below = 0
    for index, count in enumerate(histogram):
        if count and below + count >= rank:
            low = BUCKETS[index]
            high = BUCKETS[index + 1] if index + 1 < len(BUCKETS) else max(maximum, low)
            value = low + (rank - below - 0.5) / count * (high - low)
            return float(min(max(value, low), max(maximum, low)))
        below += count
    return float(maximum)
