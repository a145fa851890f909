"""Managers' statistics computed in the database from a morning with known times."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import FakeClock, Hall, running_hall
from scenario import DAY, ELEMENTS, MORNING, a_morning, post

from server.domain.stats import bucket_of, percentiles


@pytest.fixture
async def morning_hall(database_url: str, tmp_path: Path) -> AsyncIterator[Hall]:
    async with running_hall(database_url, tmp_path / "data", clock=FakeClock(MORNING)) as hall:
        await a_morning(hall)
        yield hall


async def _stats(hall: Hall, **params: object) -> dict:  # type: ignore[type-arg]
    manager = await hall.login("manajer")
    response = await hall.client.get("/api/v1/sites/TEST/stats", headers=manager,
                                     params={"date_from": DAY, "date_to": DAY, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _same(durations: dict[str, float], values: list[float]) -> None:
    exact = percentiles(values)
    assert (durations["count"], durations["mean"], durations["max"]) == (
        exact.count, round(exact.mean or 0, 1), exact.max)
    for name in ("median", "p90"):
        assert bucket_of(durations[name]) == bucket_of(getattr(exact, name)), (name, durations)


async def test_totals_times_and_sla(morning_hall: Hall) -> None:
    result = await _stats(morning_hall)
    total = result["totals"]
    assert (total["issued"], total["served"], total["no_shows"], total["cancelled"]) == (6, 3, 1, 1)
    # waits 300, 960, 1320 (A-004, out of order), 2100 s; walks 0, 60, 120; services 240, 600,
    # 600. Counts, means and maxima are exact; median and p90 (nearest rank) fall in the bucket
    # of the exact value, the documented precision.
    _same(total["wait"], [300, 960, 1320, 2100])
    _same(total["walk"], [0, 60, 120])
    _same(total["service"], [240, 600, 600])
    assert total["wait"]["mean"] == 1170.0 and total["service"]["mean"] == 480.0
    assert (total["called"], total["called_within_sla"], total["sla_share"]) == (4, 3, 0.75)
    assert total["out_of_order"] == 1
    satisfaction = total["satisfaction"]
    assert satisfaction["respondents"] == 2 and satisfaction["index"] == 87.5
    assert satisfaction["band"] == "B" and satisfaction["elements"]["behaviour"] == 3.5
    assert (satisfaction["ratings"], satisfaction["rating_mean"]) == (2, 3.5)


async def test_grouped_by_service_and_officer(morning_hall: Hall) -> None:
    by_service = {r["key"]: r for r in (await _stats(morning_hall))["rows"]}
    assert set(by_service) == {"KTP", "KK", "PKB"}
    assert (by_service["KTP"]["issued"], by_service["KTP"]["served"]) == (4, 3)
    assert by_service["KK"]["cancelled"] == 1 and by_service["PKB"]["wait"]["count"] == 0
    by_officer = {r["key"]: r for r in (await _stats(morning_hall, group_by="officer"))["rows"]}
    assert by_officer["siti"]["served"] == 3 and by_officer["siti"]["label"] == "Siti Aminah"
    assert by_officer["-"]["issued"] == 2  # never called: B-001 and P-001
    by_hour = (await _stats(morning_hall, group_by="hour"))["rows"]
    assert [(r["key"], r["issued"]) for r in by_hour] == [("8", 6)]


async def test_utilisation_officer_hours_and_out_of_order_reasons(morning_hall: Hall) -> None:
    result = await _stats(morning_hall)
    counter = next(c for c in result["counters"] if c["counter"] == 1)
    # open 08.00–08.24 and 08.34–08.45 = 2100 s; serving 600 + 240 + 600 = 1440 s
    assert (counter["open_seconds"], counter["serving_seconds"]) == (2100.0, 1440.0)
    assert counter["utilisation"] == pytest.approx(1440 / 2100)
    officer = next(o for o in result["officers"] if o["username"] == "siti")
    assert officer["tickets_per_hour"] == pytest.approx(3 / (2100 / 3600), abs=0.01)
    assert officer["satisfaction"]["index"] == 87.5
    [call] = result["out_of_order_calls"]
    assert call["number"] == "A-004" and call["reason"] == "pemohon lansia, berkas lengkap"
    assert call["officer"] == "siti" and call["counter"] == 1
    assert result["peak_hours"] == [8]


async def test_filters_and_other_days(morning_hall: Hall) -> None:
    samsat = await _stats(morning_hall, agency="SAMSAT")
    assert samsat["totals"]["issued"] == 1 and [r["key"] for r in samsat["rows"]] == ["PKB"]
    counter = await _stats(morning_hall, counter=1)
    assert counter["totals"]["issued"] == 4
    manager = await morning_hall.login("manajer")
    other = await morning_hall.client.get("/api/v1/sites/TEST/stats", headers=manager,
                                          params={"date_from": "2025-03-11", "date_to": "2025-03-12"})
    assert other.status_code == 200 and other.json()["totals"]["issued"] == 0
    backwards = await morning_hall.client.get("/api/v1/sites/TEST/stats", headers=manager,
                                              params={"date_from": "2025-03-11",
                                                      "date_to": "2025-03-10"})
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "bad_range"


async def test_only_managers_and_admins_read_statistics(morning_hall: Hall) -> None:
    siti = await morning_hall.login("siti")
    response = await morning_hall.client.get("/api/v1/sites/TEST/stats", headers=siti)
    assert response.status_code == 403
    assert (await morning_hall.client.get("/api/v1/sites/TEST/stats")).status_code == 401
    admin = await morning_hall.login("admin")
    assert (await morning_hall.client.get("/api/v1/sites/TEST/stats", headers=admin)
            ).status_code == 200


async def test_a_closed_day_reads_the_same_from_its_roll_up(morning_hall: Hall) -> None:
    from server.services import stats_rollup
    from server.services.actor import SYSTEM

    groupings = ("service", "officer", "counter", "hour", "agency")
    live = {g: await _stats(morning_hall, group_by=g) for g in groupings}
    filtered = await _stats(morning_hall, counter=1, group_by="hour")
    morning_hall.clock.now = MORNING + timedelta(days=1)
    # The next day, before the roll-up: open time from the audit trail, up to the day's end.
    unrolled = {g: await _stats(morning_hall, group_by=g) for g in groupings}
    counter = next(c for c in unrolled["service"]["counters"] if c["counter"] == 1)
    assert counter["open_seconds"] > 2100.0 and counter["utilisation"] is not None
    two_days = await _stats(morning_hall, date_to="2025-03-11")
    rolled = await morning_hall.context.runner.maintain(
        SYSTEM, lambda uow: stats_rollup.catch_up(uow.session, uow.catalog, uow.now, limit=None))
    assert rolled == 10  # 1…10 March: the days before the first ticket are rolled up empty
    for group_by in groupings:
        again = await _stats(morning_hall, group_by=group_by)
        assert _without_time(again) == _without_time(live[group_by]), group_by
        # Open seconds, utilisation and tickets per officer hour read from the roll-up too.
        assert _without(again, "generated_at") == _without(unrolled[group_by], "generated_at")
    # A range of a rolled-up day and today (open time of today from the audit trail).
    assert _without(await _stats(morning_hall, date_to="2025-03-11"), "generated_at") == \
        _without(two_days, "generated_at")
    assert _without_time(await _stats(morning_hall, counter=1, group_by="hour")) == \
        _without_time(filtered)
    # A survey answered the next day reaches the closed day's figures at once.
    assert live["service"]["totals"]["satisfaction"]["respondents"] == 2
    a3 = await _ticket(morning_hall, "A-003")
    await post(morning_hall, f"/api/v1/tickets/{a3}/survey", {},
               **dict.fromkeys(ELEMENTS, 2))
    assert (await _stats(morning_hall))["totals"]["satisfaction"]["respondents"] == 3


def _without_time(result: dict) -> dict:  # type: ignore[type-arg]
    """The figures less what grows with the clock (the counter is still open the next day)."""
    return _without(result, "generated_at", "open_seconds", "utilisation", "tickets_per_hour")


def _without(result: dict, *moving: str) -> dict:  # type: ignore[type-arg]
    """The figures less the keys ``moving`` (at any depth)."""

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in moving}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(result)  # type: ignore[return-value]


async def _ticket(hall: Hall, number: str) -> str:
    from sqlalchemy import select

    from server.store import models as m

    async with hall.context.db.read() as session:
        code = await session.scalar(select(m.Ticket.tracking_code).where(m.Ticket.number == number))
    return str(code)
