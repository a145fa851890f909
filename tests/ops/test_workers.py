"""`antrean serve --workers 2`: two processes behind one address on PostgreSQL and Redis take
a hall's traffic between them without a ticket issued twice or handed to two counters; a
worker that dies is replaced; their metrics are pooled. On SQLite it refuses, in words."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import (
    KIOSK,
    PASSWORDS,
    POSTGRES_ADMIN_URL,
    ROOT,
    SMALL_HALL,
    ServerProcess,
    need_service,
)
from test_metrics import parse, value

pytestmark = [pytest.mark.slow]

TICKETS = 60
CALLERS = 3  # the small hall's counters


async def _connections_to(database: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL + "/postgres")
    try:
        return int(await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database))
    finally:
        await connection.close()


def pids_answering(url: str, tries: int = 200) -> set[int]:
    """The workers that answer fresh connections (the kernel hands each to one of them)."""
    seen: set[int] = set()
    for _ in range(tries):
        with httpx.Client(base_url=url, timeout=10) as client:  # a new connection each time
            seen.add(client.get("/livez").json()["pid"])
        if len(seen) >= 2:
            break
    return seen


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_workers_share_the_traffic_and_hand_out_distinct_tickets(
    database_url: str, tmp_path: Path
) -> None:
    need_service("Redis", "127.0.0.1", 6379)
    # Ten connections each, not forty: the PostgreSQL here is shared by other tests.
    env = {"ANTREAN_REDIS_URL": "redis://127.0.0.1:6379/0", "ANTREAN_DATABASE_POOL": "10",
           "ANTREAN_REDIS_CHANNEL": f"antrean:test:{uuid.uuid4().hex}"}
    server = ServerProcess(database_url, tmp_path / "data", SMALL_HALL, env=env,
                           args=["--workers", "2"])
    server.data_dir.mkdir(parents=True)
    await asyncio.to_thread(server.start, 60)
    try:
        workers = await asyncio.to_thread(pids_answering, server.url)
        assert len(workers) == 2, workers

        # Every kiosk request on a connection of its own: both workers issue.
        async def issue(i: int) -> dict[str, object]:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                response = await client.post("/api/v1/sites/TEST/tickets", headers={
                    **KIOSK, "Idempotency-Key": f"w-{i}"}, json={"service": "KTP"})
                assert response.status_code == 201, response.text
                return response.json()  # type: ignore[no-any-return]

        issued = await asyncio.gather(*(issue(i) for i in range(TICKETS)))
        numbers = [t["number"] for t in issued]
        assert len(set(numbers)) == TICKETS
        assert sorted(int(str(n).split("-")[1]) for n in numbers) == list(range(1, TICKETS + 1))

        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            counters = (await client.get("/api/v1/sites/TEST/counters")).json()
        dukcapil = [c["id"] for c in counters if c["agency"]["code"] == "DUKCAPIL"]

        async def caller(counter: int) -> list[int]:
            got: list[int] = []
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                login = await client.post("/api/v1/auth/token", json={
                    "username": "siti", "password": PASSWORDS["siti"]})
                officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
                assert (await client.post(f"/api/v1/counters/{counter}/open",
                                          headers=officer)).status_code == 200
            while True:
                # A fresh connection per call, so the calls spread over both workers.
                async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                    response = await client.post(f"/api/v1/counters/{counter}/call-next",
                                                 headers=officer)
                if response.status_code == 204:
                    return got
                assert response.status_code == 200, response.text
                got.append(response.json()["id"])

        handed = await asyncio.gather(*(caller(c) for c in dukcapil))
        every = [ticket for tickets in handed for ticket in tickets]
        assert len(every) == len(set(every)) == TICKETS
        assert set(every) == {t["id"] for t in issued}

        # The metrics of both, whichever worker answers the scrape.
        deadline = time.monotonic() + 20
        while True:
            samples = parse(httpx.get(server.url + "/metrics", timeout=10).text)[0]
            per_worker = {dict(labels)["worker"]: count for (name, labels), count
                          in samples.items() if name == "antrean_tickets_issued_total"}
            if sum(per_worker.values()) == TICKETS or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert sum(per_worker.values()) == TICKETS, per_worker
        assert set(per_worker) == {str(pid) for pid in workers}
        assert value(samples, "antrean_tickets_waiting", site="TEST", service="KTP") == 0

        # A worker killed outright is replaced, and the address keeps answering.
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        now: set[int] = set()
        while time.monotonic() < deadline:
            now = await asyncio.to_thread(pids_answering, server.url, 40)
            if len(now) == 2 and victim not in now:
                break
            await asyncio.sleep(0.5)
        assert len(now) == 2 and victim not in now, now
        ready = httpx.get(server.url + "/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["checks"]["bus"] == "ok"
        name = database_url.rsplit("/", 1)[1]
        connections = await _connections_to(name)
        assert 0 < connections <= 2 * 10  # each worker keeps to its pool
    finally:
        server.stop()
    log = server.log_path.read_text(encoding="utf-8")
    assert "issued A-001" in log  # the workers log as the parent was told to
    assert "uvicorn.access" not in log  # no line per request unless --access-log


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "common.cli", "serve", "--workers", "2", "--config",
         str(SMALL_HALL), "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "ANTREAN_DATABASE_URL"})
    assert result.returncode == 2
    assert "--workers 2 needs PostgreSQL" in result.stderr
    assert "Run one process on SQLite" in result.stderr
    assert not (tmp_path / "data" / "antrean.db").exists()  # refused before touching anything


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_several_workers_without_redis_are_refused(database_url: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "common.cli", "serve", "--workers", "2", "--database-url",
         database_url, "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "ANTREAN_REDIS_URL"})
    assert result.returncode == 2
    assert "needs Redis (ANTREAN_REDIS_URL" in result.stderr
