"""`antrean simulate --server`: the seeded day as a timeline of kiosk and counter actions, and
that day played against a real server process through its public API."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, SMALL_HALL, ServerProcess, free_port

from common.protocol.models import CounterOut, ServiceOut, SiteOut
from server.config.hall import load_hall
from server.domain.simulation import Plan, SimCounter, SimService, simulate_day
from server.simulate_live import (
    Clock,
    DayOver,
    LiveHall,
    Timeline,
    credentials,
    live_hall,
    plan_day,
    timeline,
)

DAY = date(2025, 3, 10)
OPENING = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
SERVICES = [SimService(1, 1, "A", 10.0, popularity=2.0), SimService(2, 1, "B", 6.0),
            SimService(3, 2, "P", 5.0)]
COUNTERS = [SimCounter(10, 1, frozenset({1, 2})), SimCounter(11, 1, frozenset({1})),
            SimCounter(12, 2, frozenset({3}))]
CODES = {1: "KTP", 2: "KK", 3: "PKB"}
SETTLED = {"waiting", "called", "serving", "finished", "no_show", "cancelled"}


def _timeline(seed: int, until: datetime | None = None) -> Timeline:
    day = simulate_day(DAY, "Asia/Jakarta", SERVICES, COUNTERS, Plan(tickets_per_day=400), seed)
    return timeline(day, OPENING, SERVICES, CODES, until)


# -- the timeline (pure)


def test_the_simulated_day_becomes_what_kiosks_and_counters_do() -> None:
    day = simulate_day(DAY, "Asia/Jakarta", SERVICES, COUNTERS, Plan(tickets_per_day=400), 5)
    played = timeline(day, OPENING, SERVICES, CODES)
    assert len(played.arrivals) == len(day.tickets)
    assert [a.at for a in played.arrivals] == sorted(t.issued_at for t in day.tickets)
    assert played.issued_per_service() == dict(sorted(Counter(
        CODES[t.issued_service_id] for t in day.tickets).items()))
    kinds = Counter[str]()
    for arrival in played.arrivals:
        ticket = day.tickets[arrival.index]
        citizen = arrival.behaviour
        assert arrival.service == CODES[ticket.issued_service_id]
        assert arrival.priority_reason == ticket.priority_reason
        assert citizen.walk_seconds >= 0 and citizen.service_seconds > 0
        if ticket.status == "no_show":
            kinds["no_show"] += 1
            assert citizen.no_show_after is not None and 120 <= citizen.no_show_after <= 240
        elif ticket.status == "finished":
            assert ticket.started_at and ticket.finished_at
            assert citizen.service_seconds == (ticket.finished_at - ticket.started_at
                                               ).total_seconds()
            assert citizen.rating == ticket.rating
            if ticket.transfer_count:
                kinds["transfer"] += 1
                assert citizen.transfer_to == CODES[ticket.service_id] != arrival.service
            else:
                assert citizen.transfer_to is None
        if ticket.status == "cancelled":
            kinds["gave_up"] += 1
            assert arrival.give_up_at == ticket.ended_at
        else:
            assert arrival.give_up_at is None
    assert kinds["no_show"] and kinds["transfer"] and kinds["gave_up"]
    assert any(a.priority_reason for a in played.arrivals)
    assert set(played.counters) == {10, 11, 12}
    for steps in played.counters.values():
        assert steps[0].action == "open" and steps[-1].action == "close"
        assert [s.at for s in steps] == sorted(s.at for s in steps)
        assert all(s.reason for s in steps if s.action == "pause")
    assert played.end > max(s.at for steps in played.counters.values() for s in steps)


def test_the_same_seed_plays_the_same_day_and_a_duration_cuts_it() -> None:
    assert _timeline(3) == _timeline(3)
    assert _timeline(3).arrivals != _timeline(4).arrivals
    morning = _timeline(3, until=OPENING + timedelta(hours=3))
    assert morning.end == OPENING + timedelta(hours=3)
    assert morning.arrivals == [a for a in _timeline(3).arrivals if a.at < morning.end]
    assert all(s.at < morning.end for steps in morning.counters.values() for s in steps)
    assert all(steps[-1].action != "close" for steps in morning.counters.values())


async def test_the_clock_runs_speed_times_faster_and_stops_at_the_end() -> None:
    clock = Clock(OPENING, OPENING + timedelta(minutes=10), speed=600)
    assert clock.real_seconds(OPENING + timedelta(minutes=5)) == pytest.approx(0.5, abs=0.05)
    await clock.wait(30)  # 30 simulated seconds: 0.05 real ones
    assert clock.now() >= OPENING + timedelta(seconds=30)
    with pytest.raises(DayOver):
        await clock.until(OPENING + timedelta(hours=1))
    assert clock.now() >= clock.end
    with pytest.raises(DayOver):
        await clock.idle(asyncio.Event(), 60, None)


def test_accounts_come_from_the_hall_file_unless_given() -> None:
    hall = load_hall(SMALL_HALL)
    args = argparse.Namespace(kiosk_token=[], officer=[], manager=None)
    found = credentials(args, hall)
    assert found.kiosk_tokens == ["test-kiosk-token-1", "test-kiosk-token-2"]
    assert found.officers == [("siti", "rahasia-siti"), ("budi", "rahasia-budi")]
    assert found.manager == ("manajer", "rahasia-manajer")
    given = credentials(argparse.Namespace(kiosk_token=["k-123456"], officer=["ana:pass:word"],
                                           manager="boss:secret"), hall)
    assert given.kiosk_tokens == ["k-123456"] and given.officers == [("ana", "pass:word")]
    assert given.manager == ("boss", "secret")
    with pytest.raises(ValueError, match="USER:PASSWORD"):
        credentials(argparse.Namespace(kiosk_token=[], officer=["ana"], manager=None), hall)


# -- against a real server


def _hall_of(server: ServerProcess) -> tuple[SiteOut, LiveHall]:
    api = f"{server.url}/api/v1/sites"
    site = SiteOut.model_validate(httpx.get(api).json()[0])
    services = [ServiceOut.model_validate(s) for s in httpx.get(f"{api}/TEST/services").json()]
    counters = [CounterOut.model_validate(c) for c in httpx.get(f"{api}/TEST/counters").json()]
    minutes = {s.code: s.service_minutes for s in load_hall(SMALL_HALL).service}
    return site, live_hall(services, counters, minutes)


def _simulate(server: ServerProcess, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "common.cli", "--log-level", "WARNING", "simulate",
         "--server", server.url, "--config", str(SMALL_HALL), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=120)


def _tickets(server: ServerProcess) -> list[sqlite3.Row]:
    with sqlite3.connect(server.data_dir / "antrean.db") as db:
        db.row_factory = sqlite3.Row
        return db.execute(
            "SELECT t.number, t.sequence, t.service_day, t.status, t.priority_reason, "
            "t.transfer_count, s.code AS issued FROM tickets t "
            "JOIN services s ON s.id = t.issued_service_id").fetchall()


@pytest.mark.slow
def test_a_seeded_day_played_against_a_running_server(server: ServerProcess) -> None:
    site, hall = _hall_of(server)
    plan = Plan(tickets_per_day=150)
    morning = timedelta(minutes=240)
    # The day depends on the date as well as the seed: pick a seed whose morning has a bit of
    # everything, with no-shows early enough that a counter surely calls them.
    def early_no_shows(day: Timeline) -> int:
        return sum(a.behaviour.no_show_after is not None and a.at < day.opening + timedelta(
            minutes=90) for a in day.arrivals)

    seed, day = next((seed, day) for seed in range(1, 200)
                     if early_no_shows(day := plan_day(hall, site, plan, seed, morning)) >= 2
                     and any(a.priority_reason for a in day.arrivals))
    options = ["--speed", "2000", "--tickets-per-day", "150", "--duration-minutes", "240",
               "--seed", str(seed)]

    first = _simulate(server, *options)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    quota = {s.code: s.daily_quota for s in load_hall(SMALL_HALL).service}
    expected = {code: min(n, quota[code] or n) for code, n in day.issued_per_service().items()}
    tickets = _tickets(server)
    assert Counter(t["issued"] for t in tickets) == expected
    refused = sum(day.issued_per_service().values()) - sum(expected.values())
    if refused:  # the quota of AKTA: logged with the server's message, and the day went on
        assert "quota" in first.stderr
    statuses = Counter(t["status"] for t in tickets)
    print(f"seed {seed}: {dict(statuses)}")
    assert statuses["finished"] > 0 and statuses["no_show"] > 0, statuses
    assert set(statuses) <= SETTLED, statuses
    assert any(t["priority_reason"] for t in tickets)
    assert f"issued     {len(tickets)}" in first.stdout
    assert f"served     {statuses['finished']} " in first.stdout
    assert "The server's statistics for today" in first.stdout
    assert f"issued {len(tickets)}, served {statuses['finished']}" in first.stdout

    again = _simulate(server, *options)  # the same seed, the same day, numbering continues
    assert again.returncode == 0, again.stderr
    tickets = _tickets(server)
    issued = Counter(t["issued"] for t in tickets)
    for code, n in expected.items():
        assert issued[code] == (min(2 * n, quota[code]) if quota[code] else 2 * n), code
    numbers = [(t["service_day"], t["issued"], t["number"]) for t in tickets]
    assert len(numbers) == len(set(numbers))
    per_service = Counter((t["service_day"], t["issued"]) for t in tickets)
    for (service_day, code), count in per_service.items():
        sequences = sorted(t["sequence"] for t in tickets
                           if (t["service_day"], t["issued"]) == (service_day, code))
        assert sequences == list(range(1, count + 1))
    assert set(Counter(t["status"] for t in tickets)) <= SETTLED


def test_an_unreachable_server_ends_the_run_with_a_clear_message(tmp_path: Path) -> None:
    nobody = ServerProcess("sqlite://", tmp_path, SMALL_HALL, port=free_port())
    result = _simulate(nobody, "--speed", "600")
    assert result.returncode == 1
    assert f"cannot reach the server at {nobody.url}" in result.stderr
    assert "antrean serve" in result.stderr
    assert "Traceback" not in result.stderr
