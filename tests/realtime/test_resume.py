"""Resuming: since=SEQ replays exactly what was missed; too old a since gets a snapshot first;
a client may ask for a fresh snapshot at any time."""

from __future__ import annotations

from pathlib import Path

from conftest import DISPLAY
from live import LiveHall, live, live_hall

from server.realtime import log as event_log

__all__ = ["live"]


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def test_since_replays_exactly_the_missed_events(live: LiveHall) -> None:
    first = await live.stream(token=token(DISPLAY))
    await first.until("synced")
    await live.issue("KTP")
    seen = await first.events(2)  # ticket.issued, queue.summary
    last = seen[-1]["seq"]
    await first.close()

    for service in ("KTP", "KK", "PKB"):  # missed while away
        await live.issue(service)

    again = await live.stream(token=token(DISPLAY), since=last)
    welcome, *replayed, synced = await again.until("synced")
    assert welcome["resume"] == "replay"
    assert [e["seq"] for e in replayed] == list(range(last + 1, last + 7))
    assert [e["ticket"]["number"] for e in replayed if e["type"] == "ticket.issued"] == [
        "A-002", "B-001", "P-001"]
    assert synced["seq"] == last + 6
    await live.issue("KK")
    live_events = await again.events(2)
    assert [e["seq"] for e in live_events] == [last + 7, last + 8]
    assert await again.quiet() == []  # nothing twice
    await again.close()


async def test_since_up_to_date_replays_nothing(live: LiveHall) -> None:
    await live.issue("KTP")
    async with live.context.db.read() as session:
        head = await event_log.last_seq(session, 1)
    stream = await live.stream(token=token(DISPLAY), since=head)
    welcome, synced = await stream.until("synced")
    assert welcome["resume"] == "replay" and synced["seq"] == head
    await stream.close()


async def test_too_old_since_gets_a_snapshot_first_then_live(database_url: str,
                                                             tmp_path: Path) -> None:
    async with live_hall(database_url, tmp_path, event_log_keep=3) as hall:
        for _ in range(4):
            await hall.issue("KTP")  # 8 events; the log keeps the last 3
        async with hall.context.db.write() as session:
            # Housekeeping's first round may have pruned part of it already.
            await event_log.prune(session, hall.context.settings.event_log_keep)
        async with hall.context.db.read() as session:
            assert await event_log.oldest_seq(session, 1) == 6
            assert await event_log.last_seq(session, 1) == 8
        stream = await hall.stream(token=token(DISPLAY), since=2)
        welcome, snapshot, synced = await stream.until("synced")
        assert welcome["resume"] == "snapshot"
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == synced["seq"] == 8
        queues = {q["service"]: q["waiting"] for q in snapshot["snapshot"]["queues"]}
        assert queues["KTP"] == 4
        await hall.issue("KK")
        assert [e["seq"] for e in await stream.events(2)] == [9, 10]

        # A client that claims a future the store never had is also given a snapshot.
        confused = await hall.stream(token=token(DISPLAY), since=500)
        assert (await confused.next())["resume"] == "snapshot"
        await stream.close()
        await confused.close()


async def test_client_may_ask_for_a_fresh_snapshot(live: LiveHall) -> None:
    stream = await live.stream(token=token(DISPLAY))
    await stream.until("synced")
    await live.issue("KTP")
    await stream.events(2)
    await stream.socket.send('{"type": "snapshot"}')
    snapshot, synced = await stream.until("synced")
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == synced["seq"] == 2
    await live.issue("KTP")
    assert [e["seq"] for e in await stream.events(2)] == [3, 4]
    await stream.close()
