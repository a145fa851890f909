"""Resolving tokens: a burst of one token reads the store once, and nothing outlives a logout,
a session's end or the cache's second."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from conftest import DISPLAY, Hall
from sqlalchemy import event

from server.services.auth import ActorCache
from server.services.errors import Unauthorized


@pytest.fixture
def token_reads(hall: Hall) -> Iterator[list[str]]:
    """The statements that looked a token up, as the database saw them."""
    reads: list[str] = []
    engine = hall.context.db.lookup_engine.sync_engine

    def seen(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if "token_hash" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    yield reads
    event.remove(engine, "before_cursor_execute", seen)


async def test_a_burst_of_one_token_reads_the_store_once(hall: Hall,
                                                         token_reads: list[str]) -> None:
    cache = ActorCache(ttl=60)
    context = hall.context
    token = DISPLAY["Authorization"].removeprefix("Bearer ")
    actors = await asyncio.gather(*(cache.resolve(context.db, token, hall.clock())
                                    for _ in range(50)))
    assert len(token_reads) == 1
    assert {a.kind for a in actors} == {"device"} and len({a.id for a in actors}) == 1
    await cache.resolve(context.db, token, hall.clock())
    assert len(token_reads) == 1  # still fresh
    cache.forget()
    await cache.resolve(context.db, token, hall.clock())
    assert len(token_reads) == 2


async def test_a_bad_token_burst_is_refused_with_one_read(hall: Hall,
                                                          token_reads: list[str]) -> None:
    cache = ActorCache(ttl=60)
    results = await asyncio.gather(*(cache.resolve(hall.context.db, "kio_nope", hall.clock())
                                     for _ in range(10)), return_exceptions=True)
    assert all(isinstance(r, Unauthorized) for r in results)
    assert len(token_reads) == 1


async def test_a_session_ends_on_time_and_at_logout_though_cached(hall: Hall) -> None:
    cache = ActorCache(ttl=3600)
    context = hall.context
    headers = await hall.login("siti")
    token = headers["Authorization"].removeprefix("Bearer ")
    assert (await cache.resolve(context.db, token, hall.clock())).name == "siti"
    with pytest.raises(Unauthorized):  # cached, but the session is over by then
        await cache.resolve(context.db, token, hall.clock() + timedelta(hours=13))

    # Through the server: logging out is honoured by the very next request.
    assert (await hall.client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert (await hall.client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await hall.client.get("/api/v1/auth/me", headers=headers)).status_code == 401
