"""The display's pure state: snapshots, events, the now-calling turn, zones, bounded memory."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta

import pytest
from display_factory import (
    T0,
    called,
    counter_state,
    finished,
    recalled,
    serving,
    snapshot,
    ticket_out,
)

from common.protocol.events import Event
from display.board import Board


def test_a_snapshot_sets_the_picture_without_announcing_anything() -> None:
    board = Board()
    board.apply_snapshot(snapshot(40, current={1: ticket_out(7, 1)},
                                  recent=[ticket_out(7, 1), ticket_out(5, 2, status="finished")]))
    assert board.seq == 40 and board.synced
    assert board.hall.name == "Mal Pelayanan Publik Uji"
    assert board.hall.running_text == "Selamat datang"
    assert sorted(c.number for c in board.counters.values()) == [1, 2, 3]
    assert board.counters[11].call is not None and board.counters[11].call.number == "A-007"
    assert board.counters[12].call is None
    assert [c.number for c in board.recent] == ["A-007", "A-005"]
    assert board.now_calling is not None and board.now_calling.number == "A-007"
    assert not board.highlighted(0.0)
    assert board.waiting == []


def test_calls_are_announced_once_each_in_order() -> None:
    board = Board()
    board.apply_snapshot(snapshot(10))
    heard = board.feed([called(11, 1, 1), called(12, 2, 2), called(13, 3, 3, "PKB")])
    assert [(a.number, a.counter_number) for a in heard] == [("A-001", 1), ("A-002", 2),
                                                             ("P-003", 3)]
    assert heard[0].text == "Nomor antrean A nol nol satu, silakan menuju loket satu"
    assert heard[0].text_en.startswith("Ticket number A zero zero one")
    # The same events again (a resume that overlaps, a duplicate): nothing new is heard.
    assert board.feed([called(12, 2, 2), called(13, 3, 3, "PKB")]) == []
    assert board.apply(called(9, 9, 1)) == []
    assert board.seq == 13
    assert [c.number for c in board.recent] == ["P-003", "A-002", "A-001"]


def test_a_burst_is_shown_in_turn_each_highlighted_for_its_hold() -> None:
    board = Board(hold_seconds=5)
    board.apply_snapshot(snapshot(0))
    board.apply(called(1, 1, 1), now=100.0)
    board.apply(called(2, 2, 2), now=100.5)
    board.apply(called(3, 3, 3, "PKB"), now=101.0)
    shown = []
    for now in (100.0, 104.9, 105.0, 109.9, 110.0, 114.9, 115.0, 200.0):
        board.tick(now)
        call = board.now_calling
        assert call is not None
        shown.append((now, call.number, board.highlighted(now)))
    assert shown == [
        (100.0, "A-001", True), (104.9, "A-001", True),
        (105.0, "A-002", True), (109.9, "A-002", True),
        (110.0, "P-003", True), (114.9, "P-003", True),
        (115.0, "P-003", False), (200.0, "P-003", False),
    ]
    assert board.highlight_left(200.0) is None


def test_a_recall_is_highlighted_and_announced_again() -> None:
    board = Board(hold_seconds=5)
    board.apply_snapshot(snapshot(0))
    first = board.apply(called(1, 1, 1), now=0.0)
    board.apply(called(2, 2, 2), now=1.0)
    board.tick(5.0)
    board.tick(10.0)
    assert board.now_calling is not None and board.now_calling.number == "A-002"
    assert not board.highlighted(10.0)
    again = board.apply(recalled(3, 1, 1), now=20.0)
    assert [a.recall for a in first + again] == [False, True]
    assert again[0].text == first[0].text
    assert board.now_calling is not None and board.now_calling.number == "A-001"
    assert board.now_calling.recall and board.highlighted(20.0)
    assert [c.number for c in board.recent] == ["A-001", "A-002"]  # moved up, not doubled


def test_serving_finishing_and_counter_states_update_the_counters() -> None:
    board = Board()
    board.apply_snapshot(snapshot(0))
    board.feed([called(1, 1, 1), serving(2, 1, 1), counter_state(3, 2, "paused")])
    call = board.counters[11].call
    assert call is not None and call.status == "serving"
    assert board.counters[12].state == "paused"
    version = board.version
    board.apply(finished(4, 1, 1))
    assert board.counters[11].call is None
    assert board.recent[0].status == "finished"
    assert board.version > version


def test_a_ticket_called_at_another_counter_leaves_the_first() -> None:
    board = Board()
    board.apply_snapshot(snapshot(0))
    board.feed([called(1, 1, 1), called(2, 1, 2)])
    assert board.counters[11].call is None
    call = board.counters[12].call
    assert call is not None and call.number == "A-001"


def test_a_zone_display_keeps_only_its_agencies() -> None:
    board = Board(agencies=frozenset({"SAMSAT"}))
    board.apply_snapshot(snapshot(5, current={1: ticket_out(7, 1)}, recent=[ticket_out(7, 1)]))
    assert [c.number for c in board.counters.values()] == [3]
    assert board.recent == [] and board.now_calling is None
    assert board.feed([called(6, 1, 1), counter_state(7, 2, "closed")]) == []
    assert board.seq == 7  # other agencies' events still move the sequence on
    heard = board.apply(called(8, 2, 3, "PKB"))
    assert [a.number for a in heard] == ["P-002"]
    assert [c.number for c in board.recent] == ["P-002"]


def test_replayed_calls_are_shown_but_only_fresh_ones_are_announced() -> None:
    board = Board(replay_announce_seconds=90)
    board.apply_snapshot(snapshot(0))
    stale = board.apply(called(1, 1, 1), live=False, wall=T0 + timedelta(minutes=30))
    fresh = board.apply(called(2, 2, 2), live=False, wall=T0 + timedelta(seconds=60))
    assert stale == [] and [a.number for a in fresh] == ["A-002"]
    assert [c.number for c in board.recent] == ["A-002", "A-001"]
    assert board.counters[11].call is not None  # the stale call still shows at its counter


def test_offline_keeps_the_picture_and_marks_it() -> None:
    board = Board()
    board.set_online(True)
    board.apply_snapshot(snapshot(0))
    board.apply(called(1, 1, 1))
    version = board.version
    board.set_online(False)
    assert not board.online and board.version == version + 1
    assert [c.number for c in board.recent] == ["A-001"]
    board.set_online(False)
    assert board.version == version + 1  # no change, no redraw


def _day(count: int) -> Iterator[Event]:
    """A long day of traffic over three counters: call, serve, finish, now and then a recall.
    Events come from a small pool whose sequence and ticket id are set before each is handed
    out (the board copies what it keeps), so the test measures the board, not the events."""
    pool: dict[tuple[str, int], Event] = {}
    build = {"call": called, "recall": recalled, "serve": serving, "finish": finished}
    seq = 0
    ticket = 0
    while seq < count:
        ticket += 1
        slot = ticket % 999
        counter = slot % 3 + 1
        service = "PKB" if counter == 3 else "KTP"
        kinds = ("call", "recall", "serve", "finish") if ticket % 7 == 0 else \
            ("call", "serve", "finish")
        for kind in kinds:
            seq += 1
            event = pool.get((kind, slot))
            if event is None:
                event = pool[(kind, slot)] = build[kind](seq, slot, counter, service)
            event.seq = seq
            event.ticket.id = ticket  # type: ignore[union-attr]
            yield event


@pytest.mark.slow
def test_a_day_of_100000_events_stays_within_bounds() -> None:
    board = Board(hold_seconds=5)
    board.apply_snapshot(snapshot(0))
    events = _day(100_000)
    announced = 0
    now = 0.0
    for event in events:  # warm up: the structures fill to their bounds
        announced += len(board.apply(event, now=now))
        now += 0.5
        board.tick(now)
        if event.seq >= 10_000:
            break
    gc.collect()
    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    largest = dict(board.sizes())
    for event in events:
        announced += len(board.apply(event, now=now))
        now += 0.5
        board.tick(now)
        for key, size in board.sizes().items():
            largest[key] = max(largest[key], size)
    gc.collect()
    end, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert board.seq >= 100_000
    assert announced > 30_000
    assert largest["counters"] == 3
    assert largest["recent"] <= board.recent_limit
    assert largest["waiting"] <= board.queue_limit
    assert end - start < 64 * 1024, f"grew by {end - start} bytes over 90,000 events"
