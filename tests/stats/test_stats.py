"""Managers' statistics computed in the database from a morning with known times."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import FakeClock, Hall, running_hall
from scenario import DAY, MORNING, a_morning

from server.domain.stats import percentiles


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


async def test_totals_times_and_sla(morning_hall: Hall) -> None:
    result = await _stats(morning_hall)
    total = result["totals"]
    assert (total["issued"], total["served"], total["no_shows"], total["cancelled"]) == (6, 3, 1, 1)
    # waits 300, 960, 1320 (A-004, out of order), 2100 s; nearest-rank median and p90
    assert total["wait"] == {"count": 4, "mean": 1170.0, "median": 960.0, "p90": 2100.0,
                             "max": 2100.0}
    expected = percentiles([300, 960, 1320, 2100])
    assert (expected.median, expected.p90) == (960, 2100)
    assert total["walk"] == {"count": 3, "mean": 60.0, "median": 60.0, "p90": 120.0, "max": 120.0}
    assert total["service"] == {"count": 3, "mean": 480.0, "median": 600.0, "p90": 600.0,
                                "max": 600.0}
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
