"""The shared client: commands with Idempotency-Key, a stream that reconnects and resumes."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import DISPLAY, KIOSK
from live import LiveHall, live

from common.client import (
    ApiError,
    AsyncClient,
    BackgroundClient,
    Backoff,
    Connection,
    StreamItem,
    StreamRefused,
)
from common.protocol.events import QueueSummary, TicketIssued
from common.protocol.models import Snapshot

__all__ = ["live"]
FAST = Backoff(first=0.05, longest=0.2)


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def _next(items: asyncio.Queue[StreamItem], kind: type, timeout: float = 5) -> StreamItem:
    while True:
        item = await asyncio.wait_for(items.get(), timeout)
        if isinstance(item, kind):
            return item


async def test_commands_carry_an_idempotency_key_and_errors_are_readable(live: LiveHall) -> None:
    async with AsyncClient(live.url, token(KIOSK), site="TEST") as client:
        first = await client.command("/api/v1/sites/TEST/tickets", {"service": "KTP"}, key="k-1")
        again = await client.command("/api/v1/sites/TEST/tickets", {"service": "KTP"}, key="k-1")
        assert first["id"] == again["id"]  # the retry got the first ticket back
        other = await client.command("/api/v1/sites/TEST/tickets", {"service": "KTP"})
        assert other["number"] == "A-002"
        with pytest.raises(ApiError) as refused:
            await client.command("/api/v1/sites/TEST/tickets", {"service": "NOPE"})
        assert refused.value.status == 404 and refused.value.code == "unknown_service"


async def test_stream_resumes_after_a_drop_without_losing_or_repeating(live: LiveHall) -> None:
    items: asyncio.Queue[StreamItem] = asyncio.Queue()
    async with AsyncClient(live.url, token(DISPLAY), backoff=FAST) as client:
        async def read() -> None:
            async for item in client.stream():
                await items.put(item)

        reader = asyncio.create_task(read())
        assert isinstance(await _next(items, Snapshot), Snapshot)
        await live.issue("KTP")
        assert isinstance(await _next(items, TicketIssued), TicketIssued)

        hub = live.context.hub
        for connection in hub.connections("TEST"):  # the server drops everybody
            hub.close(connection, 1012, "restart")
        down = await _next(items, Connection)
        assert isinstance(down, Connection) and not down.online
        for service in ("KK", "PKB"):  # while the client is away
            await live.issue(service)
        up = await _next(items, Connection)
        assert isinstance(up, Connection) and up.online
        numbers = []
        seqs = []
        deadline = time.monotonic() + 5
        while len(numbers) < 2 and time.monotonic() < deadline:
            item = await _next(items, object)
            assert not isinstance(item, Snapshot), "a short absence is replayed, not re-snapshot"
            if isinstance(item, TicketIssued):
                numbers.append(item.ticket.number)
            if hasattr(item, "seq"):
                seqs.append(item.seq)
        assert numbers == ["B-001", "P-001"]
        assert seqs == sorted(set(seqs))
        reader.cancel()


async def test_a_refused_token_is_not_retried_forever(live: LiveHall) -> None:
    async with AsyncClient(live.url, "wrong-token", backoff=FAST) as client:
        with pytest.raises(StreamRefused) as refused:
            async for _ in client.stream():
                pass
        assert refused.value.code == 4401


async def test_background_client_for_pygame_loops(live: LiveHall) -> None:
    client = BackgroundClient(live.url, token(KIOSK), site="TEST", backoff=FAST)
    await asyncio.to_thread(client.start)
    try:
        received: list[StreamItem] = []

        async def wait_for(kind: type) -> None:
            deadline = time.monotonic() + 5
            while not any(isinstance(i, kind) for i in received):
                assert time.monotonic() < deadline
                received.extend(client.poll())
                await asyncio.sleep(0.02)

        await wait_for(Snapshot)
        future = client.submit("/api/v1/sites/TEST/tickets", {"service": "KTP"})
        ticket = await asyncio.wrap_future(future)
        assert ticket["number"] == "A-001"
        await wait_for(QueueSummary)
    finally:
        await asyncio.to_thread(client.stop)
