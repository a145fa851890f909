"""Liveness and readiness, told apart: a server that loses Redis or its database is unready
(503 with the failing check, in our error body) and still alive; it is ready again once Redis
is back. And every request's id: given or made, answered in a header, in each JSON log line
the request causes."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, SMALL_HALL, ServerProcess, _postgres_admin, free_port

pytestmark = pytest.mark.slow


class ThrowawayRedis:
    """A Redis of the test's own, on a free port, that the test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (.ci/run installs it)")
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                             check=False).stdout.strip() != b"PONG":
            assert time.monotonic() < deadline, "the throwaway Redis did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(url: str, status: int, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(url, timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_unready_without_redis_or_the_database_yet_alive(
    database_url: str, tmp_path: Path, redis: ThrowawayRedis
) -> None:
    server = ServerProcess(database_url, tmp_path / "data", SMALL_HALL, env={
        "ANTREAN_REDIS_URL": redis.url, "ANTREAN_REDIS_CHANNEL": f"t:{uuid.uuid4().hex}"})
    server.data_dir.mkdir(parents=True)
    server.start()
    try:
        ready = wait_for(server.url + "/readyz", 200)  # the bus may subscribe just after start
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "checks": {
            "database": "ok", "schema": ready.json()["checks"]["schema"], "bus": "ok",
            "hall": "1 site(s)"}}

        redis.stop()
        unready = wait_for(server.url + "/readyz", 503)
        assert unready.status_code == 503
        error = unready.json()["error"]
        assert error["code"] == "not_ready"
        assert "Redis" in error["message"] and "Redis" in error["message_en"]
        assert error["details"]["checks"]["bus"] != "ok"
        assert error["details"]["checks"]["database"] == "ok"
        assert unready.headers["retry-after"] == "5"
        alive = httpx.get(server.url + "/livez", timeout=10)
        assert alive.status_code == 200 and alive.json()["status"] == "alive"
        # Commands still work: the events reach other processes through the log instead.
        assert httpx.post(server.url + "/api/v1/sites/TEST/tickets", headers=KIOSK,
                          json={"service": "KTP"}, timeout=10).status_code == 201

        redis.start()  # the same port: the bus reconnects by itself
        assert wait_for(server.url + "/readyz", 200).status_code == 200

        name = database_url.rsplit("/", 1)[1]
        asyncio.run(_postgres_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))
        gone = wait_for(server.url + "/readyz", 503)
        assert gone.status_code == 503
        checks = gone.json()["error"]["details"]["checks"]
        assert checks["database"].startswith("unreachable")
        assert "basis data" in gone.json()["error"]["message"]
        assert httpx.get(server.url + "/livez", timeout=10).status_code == 200
    finally:
        server.stop()


def test_request_ids_in_headers_and_json_log_lines(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                           SMALL_HALL, env={"ANTREAN_LOG_FORMAT": "json"},
                           args=["--access-log"])
    server.data_dir.mkdir(parents=True)
    server.start()
    try:
        given = httpx.post(server.url + "/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                           headers={**KIOSK, "X-Request-ID": "kiosk-1.req-42"})
        assert given.status_code == 201
        assert given.headers["x-request-id"] == "kiosk-1.req-42"
        made = httpx.get(server.url + "/api/v1/sites")
        assert len(made.headers["x-request-id"]) == 16
        int(made.headers["x-request-id"], 16)
        odd = httpx.get(server.url + "/api/v1/sites", headers={"X-Request-ID": "a b" * 40})
        assert odd.headers["x-request-id"] != "a b" * 40  # not sane: a new one instead
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines()
             if line.startswith("{")]
    assert lines, "no JSON log lines"
    assert all({"time", "level", "logger", "message", "pid"} <= set(line) for line in lines)
    ours = [line for line in lines if line.get("request_id") == "kiosk-1.req-42"]
    messages = [line["message"] for line in ours]
    assert any("issued A-001" in message for message in messages), messages
    assert any("POST /api/v1/sites/TEST/tickets" in message and "201" in message
               for message in messages), messages
    assert any(line.get("request_id") == made.headers["x-request-id"] for line in lines)
