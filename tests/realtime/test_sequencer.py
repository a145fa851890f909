"""The sequencer alone: strict order, no duplicates, holes filled from the log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from common.protocol.events import Event, QueueSummary
from server.realtime.sequencer import Sequencer


def event(seq: int, site: str = "TEST") -> Event:
    return QueueSummary(site=site, seq=seq, at=datetime.now(UTC), queues=[])


class Log:
    def __init__(self, last: int) -> None:
        self.events = {seq: event(seq) for seq in range(1, last + 1)}
        self.fetches: list[tuple[int, int | None]] = []

    async def fetch(self, site: str, after: int, before: int | None) -> list[Event]:
        self.fetches.append((after, before))
        end = before if before is not None else max(self.events, default=0) + 1
        return [self.events[s] for s in range(after + 1, end) if s in self.events]


async def test_out_of_order_and_duplicates_come_out_in_order_once() -> None:
    released: list[int] = []
    log = Log(10)
    sequencer = Sequencer(log.fetch, lambda e: released.append(e.seq), gap_wait=5)
    sequencer.reset({"TEST": 4})
    sequencer.feed([event(6), event(7)])
    assert released == []
    sequencer.feed([event(5), event(6), event(3)])
    assert released == [5, 6, 7]
    assert log.fetches == []
    await sequencer.stop()


async def test_a_lost_event_is_filled_from_the_log() -> None:
    released: list[int] = []
    log = Log(10)
    sequencer = Sequencer(log.fetch, lambda e: released.append(e.seq), gap_wait=0.05)
    sequencer.reset({"TEST": 4})
    sequencer.feed([event(7), event(8)])  # 5 and 6 never arrive
    await asyncio.sleep(0.2)
    assert released == [5, 6, 7, 8]
    assert log.fetches == [(4, 7)]
    await sequencer.stop()


async def test_a_lost_last_event_is_found_by_the_poll() -> None:
    released: list[int] = []
    log = Log(6)
    sequencer = Sequencer(log.fetch, lambda e: released.append(e.seq), gap_wait=0.05)
    sequencer.reset({"TEST": 4})
    sequencer.observe("TEST", 6)  # may still be on its way: wait one poll
    await asyncio.sleep(0.05)
    assert released == []
    sequencer.observe("TEST", 6)
    await asyncio.sleep(0.05)
    assert released == [5, 6]
    await sequencer.stop()


async def test_a_true_hole_in_the_log_is_skipped_not_waited_on_forever() -> None:
    released: list[int] = []
    log = Log(10)
    del log.events[5]
    sequencer = Sequencer(log.fetch, lambda e: released.append(e.seq), gap_wait=0.05)
    sequencer.reset({"TEST": 4})
    sequencer.feed([event(7)])
    await asyncio.sleep(0.2)
    assert released == [6, 7]
    await sequencer.stop()
