"""Helpers for the realtime tests: a hall served by a real uvicorn server in the test's own
event loop, reached over real sockets (HTTP and WebSocket), whose state and clock the test
can still touch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import SMALL_HALL, FakeClock, Hall, free_port
from websockets.asyncio.client import ClientConnection, connect

ZONE_DISPLAY = "test-display-zone-lt1"
ZONES = '''
[[zone]]
code = "LT1"
name = "Lantai 1"
agencies = ["DUKCAPIL"]

[[zone]]
code = "LT2"
name = "Lantai 2"
agencies = ["SAMSAT"]

[[device]]
kind = "display"
name = "display-lt1"
token = "test-display-zone-lt1"
zone = "LT1"
'''


def zoned_hall(path: Path) -> Path:
    """The small hall with two display zones (LT1: DUKCAPIL, LT2: SAMSAT) and a zone display."""
    path.write_text(SMALL_HALL.read_text(encoding="utf-8") + ZONES, encoding="utf-8")
    return path


@dataclass
class LiveHall(Hall):
    url: str = ""

    def ws_url(self, **params: object) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
        return self.url.replace("http", "ws", 1) + "/api/v1/ws" + (f"?{query}" if query else "")

    async def stream(self, **params: object) -> Stream:
        return Stream(await connect(self.ws_url(**params), open_timeout=10))


@dataclass
class Stream:
    """A WebSocket client that reads the protocol's JSON messages one by one."""

    socket: ClientConnection

    async def next(self, timeout: float = 5) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.socket.recv(), timeout)
        return json.loads(raw)  # type: ignore[no-any-return]

    async def until(self, kind: str, timeout: float = 5) -> list[dict[str, Any]]:
        """Messages up to and including the first of type ``kind``."""
        seen = []
        while True:
            message = await self.next(timeout)
            seen.append(message)
            if message["type"] == kind:
                return seen

    async def events(self, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        """The next ``count`` events, skipping heartbeats."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            message = await self.next(timeout)
            if message["type"] not in ("ping", "pong"):
                found.append(message)
        return found

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Whatever events arrive within ``seconds`` (heartbeats left out)."""
        found = []
        try:
            while True:
                message = await self.next(seconds)
                if message["type"] not in ("ping", "pong"):
                    found.append(message)
        except TimeoutError:
            return found

    async def close(self) -> None:
        await self.socket.close()


@asynccontextmanager
async def live_hall(database_url: str, tmp_path: Path, *, compression: bool = False,
                    **settings: Any) -> AsyncIterator[LiveHall]:
    """Without compression (as `antrean serve` runs) the hub writes to sockets directly; with
    it, frames go through ASGI."""
    from server.app import create_app
    from server.settings import Settings

    clock = FakeClock()
    config_path = zoned_hall(tmp_path / "zoned.toml")
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=database_url,
                              config_path=config_path, maintenance_seconds=3600, **settings),
                     clock=clock)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                           ws="websockets-sansio", log_level="warning",
                                           ws_per_message_deflate=compression))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield LiveHall(client, clock, app, url)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
async def live(database_url: str, tmp_path: Path) -> AsyncIterator[LiveHall]:
    async with live_hall(database_url, tmp_path) as hall:
        yield hall
