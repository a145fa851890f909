"""Puts each site's events back in sequence order, without holes, before anyone sees them.

Events reach a process out of order and sometimes not at all: two commands (in one process or
in two) commit seq 5 and 6 but publish 6 first; a process dies between its commit and its
publish; Redis drops messages while it reconnects. The sequencer releases events strictly in
order, drops duplicates, holds an early event for a moment, and fills what is still missing
from the durable event log. A poll of every site's last sequence catches a hole at the end
(nothing arrives after the lost event).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from common.protocol.events import Event

log = logging.getLogger(__name__)

Fetch = Callable[[str, int, int | None], Awaitable[list[Event]]]  # site, after, before
Release = Callable[[Event], None]
Settle = Callable[[], None]


@dataclass
class _SiteState:
    last: int
    held: dict[int, Event] = field(default_factory=dict)
    filling: bool = False
    stale_since_poll: int | None = None  # the DB's last seq seen ahead of us at the last poll


class Sequencer:
    def __init__(self, fetch: Fetch, release: Release, *, gap_wait: float = 0.2,
                 settle: Settle | None = None) -> None:
        """``release`` gets each event in order; ``settle``, if given, is called after each run
        of released events (so a listener can act on them together)."""
        self._fetch = fetch
        self._release = release
        self._settle = settle
        self._gap_wait = gap_wait
        self._sites: dict[str, _SiteState] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.fills = 0  # reads of the log for events that did not arrive (the metrics)

    def position(self, site: str) -> int | None:
        state = self._sites.get(site)
        return state.last if state is not None else None

    def reset(self, positions: dict[str, int]) -> None:
        """Start each site from the sequence the log has reached."""
        for site, last in positions.items():
            self._sites.setdefault(site, _SiteState(last))

    def feed(self, events: Sequence[Event]) -> None:
        for event in events:
            state = self._sites.get(event.site)
            if state is None:  # a site created since start-up: begin with what arrives
                state = self._sites[event.site] = _SiteState(event.seq - 1)
            if event.seq <= state.last or event.seq in state.held:
                continue
            state.held[event.seq] = event
        for site in {event.site for event in events}:
            self._drain(site)

    def _release_in_order(self, site: str) -> None:
        state = self._sites[site]
        released = False
        while (event := state.held.pop(state.last + 1, None)) is not None:
            state.last = event.seq
            released = True
            try:
                self._release(event)
            except Exception:
                log.exception("releasing %s #%d failed", event.type, event.seq)
        if released and self._settle is not None:
            try:
                self._settle()
            except Exception:
                log.exception("settling the events of %s failed", site)

    def _drain(self, site: str) -> None:
        state = self._sites[site]
        self._release_in_order(site)
        if state.held and site not in self._timers and not state.filling:
            loop = asyncio.get_running_loop()
            self._timers[site] = loop.call_later(self._gap_wait, self._gap_timeout, site)
        elif not state.held and (timer := self._timers.pop(site, None)) is not None:
            timer.cancel()

    def _gap_timeout(self, site: str) -> None:
        self._timers.pop(site, None)
        state = self._sites[site]
        if state.held and not state.filling:
            self._spawn_fill(site, min(state.held))

    def _spawn_fill(self, site: str, before: int | None) -> None:
        self.fills += 1
        self._sites[site].filling = True
        task = asyncio.get_running_loop().create_task(self._fill(site, before))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill(self, site: str, before: int | None) -> None:
        """Read the log from what was released up to ``before`` (or its end) and release it.
        What the log lacks there it will never have (pruned): skip it rather than wait."""
        state = self._sites[site]
        try:
            after = state.last
            while page := await self._fetch(site, after, before):
                for event in page:
                    if event.seq > state.last:
                        state.held.setdefault(event.seq, event)
                after = page[-1].seq
                if before is not None and after >= before - 1:
                    break
            self._release_in_order(site)
            # Up to here the log was read: a hole below it is for good. Above it, events may
            # still be on their way (committed after the read), so they are waited for.
            read_to = before - 1 if before is not None else after
            while state.held and state.last < read_to:
                hole_end = min(min(state.held) - 1, read_to)
                log.warning("events %d..%d of %s are not in the log; skipping them",
                            state.last + 1, hole_end, site)
                state.last = hole_end
                self._release_in_order(site)
        except Exception:
            log.exception("filling events of %s from the log failed; will retry", site)
        finally:
            state.filling = False
        self._drain(site)

    def observe(self, site: str, db_last: int) -> None:
        """A poll saw the log at ``db_last``: fill if we have been behind a whole poll."""
        state = self._sites.get(site)
        if state is None:
            self._sites[site] = _SiteState(db_last)
            return
        if db_last <= state.last:
            state.stale_since_poll = None
            return
        behind = state.stale_since_poll is not None and state.stale_since_poll > state.last
        if behind and not state.filling:
            self._spawn_fill(site, None)
        state.stale_since_poll = db_last

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
