"""The dashboard's server-drawn charts: round axes, the hall's hours, nothing fetched."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from server.web.charts import axis, columns


@given(st.floats(0, 10_000, allow_nan=False), st.booleans())
def test_an_axis_reaches_the_value_in_a_few_round_steps(value: float, whole: bool) -> None:
    top, step = axis(value, whole=whole)
    assert top >= value and top >= 1
    steps = top / step
    assert abs(steps - round(steps)) < 1e-9 and 1 <= round(steps) <= 5
    mantissa = step / 10 ** int(f"{step:e}".split("e")[1])
    assert round(mantissa, 6) in (1, 2, 2.5, 5)
    if whole:
        assert step == int(step)


def test_the_wait_chart_spans_the_opening_hours_with_labelled_axes() -> None:
    svg = str(columns([(9, 0.4, "0.4 mnt, 3 tiket")], title="t", unit="menit",
                      line=[(9, 3.0)], line_label="tiket", span=(8, 14)))
    hours = re.findall(r'class="lbl">(\d\d)</text>', svg)
    assert hours == [f"{h:02d}" for h in range(8, 15)]  # the hall's day, not 07–17 or 09 alone
    left = re.findall(r'text-anchor="end" class="lbl">([\d,]+)</text>', svg)
    assert left == ["0", "0,2", "0,4", "0,6", "0,8", "1"]
    right = re.findall(r'class="lbl line-lbl">(\d+)</text>', svg)
    assert right == ["0", "1", "2", "3"]  # whole tickets
    assert ">menit<" in svg and ">tiket<" in svg and ">jam<" in svg
    assert svg.count("<rect") == 1 and 'data-hour="9"' in svg


def test_an_all_day_hall_still_shows_a_working_days_width() -> None:
    svg = str(columns([(22, 5.0, "")], title="t", unit="menit"))
    hours = re.findall(r'class="lbl">(\d\d)</text>', svg)
    assert len(hours) == 6 and hours[-1] == "23" and "22" in hours
