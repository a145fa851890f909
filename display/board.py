"""What a TV display knows: a pure model of the hall's calls, fed by snapshots and events.

No pygame and no I/O here. The app feeds a :class:`Board` with the server's snapshot and events
(``apply``), tells it when the connection drops or returns (``set_online``) and lets time pass
(``tick``); the screens draw whatever the board holds. Everything it keeps is bounded: one entry
per counter of the hall, the last ``recent_limit`` calls and at most ``queue_limit`` calls waiting
for their turn on the big panel, however long the day runs.

A burst of calls is shown in turn: each call holds the "now calling" panel, highlighted, for
``hold_seconds``; a recall is shown (and announced) again. ``apply`` returns the announcements the
hall must hear, each exactly once: an event at or below the last applied sequence is ignored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from common.protocol.events import (
    CounterStateChanged,
    Event,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketNoShow,
    TicketRecalled,
    TicketReturned,
    TicketServing,
    TicketTransferred,
)
from common.protocol.models import CounterOut, CounterState, Snapshot, TicketOut

HOLD_SECONDS = 6.0  # how long one call holds the big panel when others are waiting
RECENT_CALLS = 12
QUEUE_LIMIT = 64  # calls waiting for the big panel; beyond this the oldest are skipped
REPLAY_ANNOUNCE_SECONDS = 90.0  # a missed call replayed after a reconnect is still announced if
#                                 it is this fresh; older ones only appear in the lists


@dataclass(frozen=True, slots=True)
class Call:
    """One call (or recall) of a ticket to a counter, as the hall sees it."""

    seq: int
    ticket_id: int
    number: str
    service_name: str
    service_name_en: str | None
    agency: str
    agency_name: str
    counter_id: int
    counter_number: int
    counter_name: str
    at: datetime | None
    priority: bool = False
    recall: bool = False
    status: str = "called"

    def service(self, language: str) -> str:
        return self.service_name_en if language == "en" and self.service_name_en \
            else self.service_name

    def with_status(self, status: str) -> Call:
        # dataclasses.replace is several times slower, and this runs for every event of the day
        return Call(self.seq, self.ticket_id, self.number, self.service_name, self.service_name_en,
                    self.agency, self.agency_name, self.counter_id, self.counter_number,
                    self.counter_name, self.at, self.priority, self.recall, status)


@dataclass(frozen=True, slots=True)
class Announcement:
    """What the hall hears for one call: the server's Indonesian and English words."""

    seq: int
    number: str
    counter_number: int
    text: str
    text_en: str
    recall: bool
    ticket_id: int = 0
    agency: str = ""


@dataclass(frozen=True, slots=True)
class CounterBoard:
    """A counter as the display shows it: its state and the ticket it is calling or serving."""

    id: int
    number: int
    name: str
    agency: str
    agency_name: str
    color: str
    state: CounterState
    call: Call | None = None

    def with_call(self, call: Call | None, state: CounterState | None = None) -> CounterBoard:
        return CounterBoard(self.id, self.number, self.name, self.agency, self.agency_name,
                            self.color, state or self.state, call)


@dataclass(frozen=True, slots=True)
class Hall:
    """The site's words for the header and the ticker."""

    code: str = ""
    name: str = ""
    timezone: str = "Asia/Jakarta"
    running_text: str = ""


@dataclass
class _Showing:
    call: Call
    since: float  # monotonic seconds when it took the panel


@dataclass
class Board:
    """The display's state. ``agencies`` limits it to a zone (``None``: the whole hall)."""

    agencies: frozenset[str] | None = None
    hold_seconds: float = HOLD_SECONDS
    recent_limit: int = RECENT_CALLS
    queue_limit: int = QUEUE_LIMIT
    replay_announce_seconds: float = REPLAY_ANNOUNCE_SECONDS
    hall: Hall = field(default_factory=Hall)
    seq: int = 0
    online: bool = False
    synced: bool = False  # a snapshot (or a resume) has been applied at least once
    counters: dict[int, CounterBoard] = field(default_factory=dict)
    version: int = 0  # grows with every visible change: the screens redraw when it moves
    _recent: deque[Call] = field(init=False)
    _waiting: deque[Call] = field(init=False)
    _showing: _Showing | None = field(default=None, init=False)
    _last: Call | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._recent = deque(maxlen=self.recent_limit)
        self._waiting = deque(maxlen=self.queue_limit)

    # ------------------------------------------------------------ what the screens read

    @property
    def recent(self) -> list[Call]:
        """The last calls, newest first, one per ticket."""
        return list(self._recent)

    @property
    def waiting(self) -> list[Call]:
        """Calls waiting for their turn on the big panel, oldest first."""
        return list(self._waiting)

    @property
    def now_calling(self) -> Call | None:
        """The call on the big panel: the one being highlighted, else the last one shown."""
        return self._showing.call if self._showing is not None else self._last

    def highlighted(self, now: float) -> bool:
        return self._showing is not None and now - self._showing.since < self.hold_seconds

    def highlight_left(self, now: float) -> float | None:
        """Seconds until the panel changes by itself (``None``: not until something happens)."""
        if self._showing is None:
            return None
        return max(0.0, self._showing.since + self.hold_seconds - now)

    def sizes(self) -> dict[str, int]:
        """How much the board holds; tests check that it stays bounded."""
        return {"counters": len(self.counters), "recent": len(self._recent),
                "waiting": len(self._waiting)}

    # ------------------------------------------------------------ what the app feeds

    def set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.version += 1

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Replace what the board knows by the server's picture. Nothing is announced: the calls
        in a snapshot happened while the display was not listening."""
        site = snapshot.site
        self.hall = Hall(site.code, site.name, site.timezone, site.running_text)
        self.counters = {}
        for entry in snapshot.counters:
            if not self._mine(entry.counter.agency.code):
                continue
            board = _counter_board(entry.counter)
            ticket = entry.ticket
            if ticket is not None and ticket.status in ("called", "serving"):
                board = board.with_call(_call_from_ticket(ticket, entry.counter, snapshot.seq))
            self.counters[board.id] = board
        calls = [  # the server lists them newest first
            _call_from_ticket(ticket, self.counters[ticket.counter_id], snapshot.seq)
            for ticket in snapshot.recent_calls
            if ticket.counter_id is not None and ticket.counter_id in self.counters
        ]
        self._recent.clear()
        self._recent.extend(calls[: self.recent_limit])
        # Calls still waiting for their turn on the panel keep it: they were real and announced.
        if self._showing is None:
            self._last = self._recent[0] if self._recent else None
        self.seq = snapshot.seq
        self.synced = True
        self.version += 1

    def apply(self, event: Event, *, live: bool = True, now: float = 0.0,
              wall: datetime | None = None) -> list[Announcement]:
        """Apply one event; returns what the hall must hear (nothing for an old or duplicate
        event). ``live`` is false for events replayed after a reconnect: those are announced
        only when ``wall`` (the display's clock) says they are fresh."""
        if event.seq <= self.seq:
            return []
        self.seq = event.seq
        if isinstance(event, (TicketCalled, TicketRecalled)):
            return self._call(event, live, now, wall)
        if isinstance(event, TicketServing):
            self._set_status(event.ticket.id, "serving")
        elif isinstance(event, (TicketFinished, TicketNoShow, TicketReturned, TicketCancelled,
                                TicketTransferred)):
            self._release(event.ticket.id, _status_after(event))
        elif isinstance(event, CounterStateChanged):
            self._counter_state(event)
        return []

    def feed(self, events: Iterable[Event], *, now: float = 0.0) -> list[Announcement]:
        """Apply several live events (tests and replays)."""
        out: list[Announcement] = []
        for event in events:
            out.extend(self.apply(event, now=now))
        return out

    def tick(self, now: float) -> bool:
        """Let time pass: the next waiting call takes the panel when the current one has held it
        long enough. Returns whether anything visible changed."""
        if self._showing is None:
            if not self._waiting:
                return False
            self._showing = _Showing(self._waiting.popleft(), now)
            self.version += 1
            return True
        if now - self._showing.since < self.hold_seconds:
            return False
        self._last = self._showing.call
        self._showing = _Showing(self._waiting.popleft(), now) if self._waiting else None
        self.version += 1
        return True

    # ------------------------------------------------------------ inside

    def _mine(self, agency: str) -> bool:
        return self.agencies is None or agency in self.agencies

    def _call(self, event: TicketCalled | TicketRecalled, live: bool, now: float,
              wall: datetime | None) -> list[Announcement]:
        counter = event.counter
        if not self._mine(counter.agency):
            return []
        known = self.counters.get(counter.id)
        if known is None:  # a counter the snapshot did not list (added since): learn it
            known = CounterBoard(counter.id, counter.number, counter.name, counter.agency,
                                 event.ticket.agency_name, "", "open")
        ticket = event.ticket
        recall = isinstance(event, TicketRecalled)
        call = Call(event.seq, ticket.id, ticket.number, ticket.service_name, ticket.service_name_en,
                    ticket.agency, ticket.agency_name, counter.id, counter.number, counter.name,
                    event.at, ticket.priority, recall, "called")
        # A ticket sits at one counter: a call elsewhere (after a transfer) clears the old one.
        self._release(ticket.id, None, keep_recent=True)
        self.counters[counter.id] = known.with_call(call, "open")
        self._remember(call)
        fresh = live or (wall is not None and
                         abs(wall - event.at) <= timedelta(seconds=self.replay_announce_seconds))
        self.version += 1
        if not fresh:
            return []
        self._waiting.append(call)
        if self._showing is None:
            self.tick(now)
        return [Announcement(event.seq, ticket.number, counter.number, event.announce,
                             event.announce_en, recall, ticket.id, counter.agency)]

    def _remember(self, call: Call) -> None:
        for index, old in enumerate(self._recent):
            if old.ticket_id == call.ticket_id:
                del self._recent[index]
                break
        self._recent.appendleft(call)

    def _set_status(self, ticket_id: int, status: str) -> None:
        for counter in self.counters.values():
            if counter.call is not None and counter.call.ticket_id == ticket_id:
                self.counters[counter.id] = counter.with_call(counter.call.with_status(status))
                self.version += 1
        self._restatus_recent(ticket_id, status)

    def _release(self, ticket_id: int, status: str | None, *, keep_recent: bool = False) -> None:
        """The ticket left its counter (finished, no-show, returned, moved)."""
        for counter in list(self.counters.values()):
            if counter.call is not None and counter.call.ticket_id == ticket_id:
                self.counters[counter.id] = counter.with_call(None)
                self.version += 1
        if status is not None and not keep_recent:
            self._restatus_recent(ticket_id, status)

    def _restatus_recent(self, ticket_id: int, status: str) -> None:
        for index, old in enumerate(self._recent):
            if old.ticket_id == ticket_id:
                self._recent[index] = old.with_status(status)
                self.version += 1
                return

    def _counter_state(self, event: CounterStateChanged) -> None:
        counter = event.counter
        if not self._mine(counter.agency):
            return
        known = self.counters.get(counter.id)
        if known is None:
            known = CounterBoard(counter.id, counter.number, counter.name, counter.agency,
                                 counter.agency, "", event.state)
        self.counters[counter.id] = known.with_call(known.call, event.state)
        self.version += 1


def _status_after(event: Event) -> str:
    return {"ticket.finished": "finished", "ticket.no_show": "no_show",
            "ticket.returned": "waiting", "ticket.cancelled": "cancelled",
            "ticket.transferred": "transferred"}[event.type]


def _counter_board(counter: CounterOut) -> CounterBoard:
    return CounterBoard(counter.id, counter.number, counter.name, counter.agency.code,
                        counter.agency.name, counter.agency.color, counter.state)


def _call_from_ticket(ticket: TicketOut, counter: CounterOut | CounterBoard, seq: int) -> Call:
    number = counter.number
    name = counter.name
    return Call(seq, ticket.id, ticket.number, ticket.service_name, ticket.service_name_en,
                ticket.agency, ticket.agency_name, ticket.counter_id or counter.id, number, name,
                ticket.called_at, ticket.priority, ticket.call_count > 1, ticket.status)
