"""Connections: refusals with close codes, heartbeats both ways, and slow clients dropped
without slowing anybody else."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DISPLAY, KIOSK
from live import LiveHall, live, live_hall
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from common.protocol.events import DeviceStatusChanged
from server.realtime.hub import State

__all__ = ["live"]


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def _close_of(url: str) -> tuple[int, str]:
    async with connect(url) as socket_:
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(socket_.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_refusals_have_a_close_code_and_a_reason(live: LiveHall) -> None:
    code, reason = await _close_of(live.ws_url())
    assert code == 4401 and "token" in reason
    code, reason = await _close_of(live.ws_url(token="not-a-token"))
    assert code == 4401 and "Unknown" in reason
    code, reason = await _close_of(live.ws_url(token=token(KIOSK), topics="site"))
    assert code == 4403 and "kiosk" in reason
    code, _ = await _close_of(live.ws_url(token=token(DISPLAY), topics="zone:NOPE"))
    assert code == 4404
    code, _ = await _close_of(live.ws_url(token=token(DISPLAY), topics="everything"))
    assert code == 4400
    code, _ = await _close_of(live.ws_url(token=token(DISPLAY), since="yesterday"))
    assert code == 4400
    officer = token(await live.login("budi"))  # SAMSAT
    code, _ = await _close_of(live.ws_url(token=officer, topics="agency:DUKCAPIL"))
    assert code == 4403


async def test_a_display_reads_but_never_sees_device_reports(live: LiveHall) -> None:
    display = await live.stream(token=token(DISPLAY), topics="site")
    manager = await live.stream(token=token(await live.login("manajer")), topics="site")
    await display.until("synced")
    await manager.until("synced")
    response = await live.client.post("/api/v1/devices/status", headers=KIOSK, json={
        "component": "printer", "state": "paper_out"})
    assert response.status_code == 204
    assert [e["type"] for e in await manager.events(1)] == ["device.status"]
    assert await display.quiet() == []
    await display.socket.send('{"type": "call-next"}')  # read-only: nothing but ping/snapshot
    with pytest.raises(ConnectionClosed) as closed:
        await display.quiet(2)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    await manager.close()


async def test_heartbeats_both_ways(database_url: str, tmp_path: Path) -> None:
    async with live_hall(database_url, tmp_path, heartbeat_seconds=0.2) as hall:
        await hall.issue("KTP")
        talker = await hall.stream(token=token(DISPLAY))
        silent = await hall.stream(token=token(DISPLAY))
        assert (await talker.next())["heartbeat_seconds"] == 0.2
        await talker.until("synced")
        ping = await talker.until("ping")
        assert ping[-1]["seq"] == 2  # where to resume from, even with nothing to deliver
        await talker.socket.send('{"type": "ping"}')
        await talker.until("pong")

        async def keep_talking() -> None:
            while True:
                await talker.socket.send('{"type": "pong"}')
                await asyncio.sleep(0.1)

        chatter = asyncio.create_task(keep_talking())
        # The silent one (its library answers protocol pings, but it sends no messages) is
        # closed after three heartbeats; the talker stays.
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await silent.next(3)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
        await hall.issue("KK")
        assert [e["type"] for e in await talker.events(2)] == ["ticket.issued", "queue.summary"]
        chatter.cancel()
        await talker.close()


def _raw_subscriber(url: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, int(port)))
    path = "/" + url.removeprefix("ws://").split("/", 1)[1]
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    raw.settimeout(5)
    assert raw.recv(4096).startswith(b"HTTP/1.1 101")
    return raw


@pytest.mark.parametrize("compression", [False, True], ids=["direct", "through-asgi"])
async def test_a_slow_client_is_dropped_and_slows_nobody(database_url: str, tmp_path: Path,
                                                         compression: bool) -> None:
    async with live_hall(database_url, tmp_path, compression=compression) as live:
        await _slow_client_is_dropped(live, direct=not compression)


async def _slow_client_is_dropped(live: LiveHall, *, direct: bool) -> None:
    manager = token(await live.login("manajer"))
    hub = live.context.hub
    fast = await live.stream(token=manager, topics="site")
    await fast.until("synced")
    slow = await asyncio.to_thread(_raw_subscriber, live.ws_url(token=manager, topics="site"))
    while hub.connection_count < 2:
        await asyncio.sleep(0.01)
    live_ones = [c for c in hub.connections() if c.state is State.LIVE]
    # A client that negotiated compression (the library's default) is left to ASGI.
    assert live_ones and any(c.socket is None for c in live_ones) is not direct

    # Big events straight into the hub (as the bus would hand them over): about 40 MB in all.
    start = hub.sequencer.position("TEST") or 0
    now = datetime.now(UTC)
    count = 400
    events = [DeviceStatusChanged(site="TEST", seq=start + i, at=now, device="kiosk-1",
                                  kind="kiosk", component="printer", state="error",
                                  detail="x" * 100_000) for i in range(1, count + 1)]
    began = time.monotonic()
    reading = asyncio.create_task(fast.events(count, timeout=10))  # the fast one reads along
    for i in range(0, count, 5):  # at most 100 MB/s, which a reading client keeps up with
        await hub.on_events(events[i:i + 5])
        await asyncio.sleep(0.005)
    received = await reading
    elapsed = time.monotonic() - began
    assert [e["seq"] for e in received] == list(range(start + 1, start + count + 1))
    assert hub.connection_count == 1  # the slow one was dropped
    assert elapsed < 5, elapsed
    slow.close()
    await fast.close()
