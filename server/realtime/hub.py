"""The WebSocket hub: who is connected, what each one subscribed to, and getting events to them.

Events arrive from the bus, go through the sequencer (strict per-site order, no holes), are
serialised once, and are offered to every matching connection; what one run of released events
holds for a connection is offered at once (one write where the server lets the hub reach the
socket, see ``direct``). Offering never waits: a connection that can take the frames right away
gets them written straight to its socket (as ``websockets.broadcast`` does); one that cannot
gets a bounded backlog and one task to drain it, and is dropped with close code 4429 when the
backlog overflows. A slow or dead client never
slows anybody else, nor the command that produced the event.

A connection's life: SYNCING (welcome; snapshot or replay from the log; live events that
arrive meanwhile are held) → LIVE (events and heartbeats) → CLOSED.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from common.protocol.events import Event
from common.protocol.stream import (
    CLIENT_MESSAGE_ADAPTER,
    CLOSE_BAD_REQUEST,
    CLOSE_GOING_AWAY,
    CLOSE_SILENT,
    CLOSE_TOO_SLOW,
    Ping,
    Pong,
    ResumeMode,
    SnapshotMessage,
    SnapshotRequest,
    Synced,
    Welcome,
)
from server.realtime import log as event_log
from server.realtime.direct import DirectSocket, text_frame
from server.realtime.sequencer import Sequencer
from server.realtime.topics import Routing, Subscription
from server.services import views
from server.services.catalog import Catalog
from server.store.db import Database

logger = logging.getLogger(__name__)

Clock = Callable[[], Any]


@dataclass(frozen=True)
class HubSettings:
    heartbeat_seconds: float = 15.0
    silent_heartbeats: int = 3  # close a client that sent nothing for this many heartbeats
    send_queue: int = 256  # frames held for a client that cannot keep up, then it is dropped
    send_buffer_bytes: int = 4 << 20  # the same in bytes, for a socket the hub writes to directly
    # A socket written to directly keeps its kernel send buffer this small, and no more than
    # a quarter of the bound (at most 1 MiB) in its transport's buffer; the rest waits in the
    # hub's backlog, which the hub can drop: the close frame of a client dropped for reading
    # too slowly then reaches it behind that much, not behind megabytes the kernel held.
    socket_buffer_bytes: int = 64 << 10
    drain_seconds: float = 0.005  # how often a backlog is moved on to its socket
    close_grace_seconds: float = 30.0  # how long a dropped client has to read its close frame

    @property
    def transport_buffer_bytes(self) -> int:
        return min(1 << 20, self.send_buffer_bytes // 4)
    gap_wait: float = 0.2  # how long an early event waits for the ones before it
    poll_seconds: float = 2.0  # how often the log's head is compared with what was delivered


class State(enum.Enum):
    SYNCING = "syncing"
    LIVE = "live"
    CLOSED = "closed"


def _start_eagerly(coro: Coroutine[Any, Any, None]) -> Any:
    """Run ``coro`` until it first waits. Returns None when it finished, else what it waits on
    (the coroutine is then resumed by ``_resume``). Like Python 3.12's eager tasks."""
    try:
        return coro.send(None) or _BARE_YIELD
    except StopIteration:
        return None


_BARE_YIELD = object()


async def _resume(coro: Coroutine[Any, Any, None], waiting: Any) -> None:
    try:
        while True:
            if waiting is _BARE_YIELD:
                await asyncio.sleep(0)
            else:
                await waiting
            try:
                waiting = coro.send(None) or _BARE_YIELD
            except StopIteration:
                return
    finally:
        coro.close()


class Outgoing:
    """One message for many sockets: its text, and its frame encoded once when first needed."""

    __slots__ = ("_frame", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame(self.text)
        return self._frame


class Burst:
    """Messages that go out together, often to many sockets: their frames are joined once,
    when a socket first takes them in one write."""

    __slots__ = ("_data", "messages")

    def __init__(self, *messages: Outgoing) -> None:
        self.messages = messages
        self._data: bytes | None = None

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = b"".join(message.frame for message in self.messages)
        return self._data


class _Released:
    """What one run of released events holds for the connections of one subscription."""

    __slots__ = ("events", "members")

    def __init__(self, members: set[Connection]) -> None:
        self.members = members
        self.events: list[tuple[int, Outgoing]] = []


class Connection:
    """One subscribed socket."""

    def __init__(self, hub: Hub, websocket: WebSocket, subscription: Subscription,
                 site: str) -> None:
        self.hub = hub
        self.websocket = websocket
        self.subscription = subscription
        self.site = site
        self.state = State.SYNCING
        self.pending: list[tuple[int, Outgoing]] = []  # live events that arrived while syncing
        self.backlog: deque[Outgoing] = deque()
        self.held: deque[bytes] = deque()  # bursts for a direct socket whose buffer is full
        self.held_bytes = 0
        self.socket: DirectSocket | None = None  # frames go straight to it when the server allows
        self.last_received = time.monotonic()
        self._sender: asyncio.Task[None] | None = None
        self.closing: asyncio.Task[None] | None = None  # the close frame on its way

    # -- sending

    def offer(self, burst: Burst) -> None:
        """Send without waiting; queue behind a send in flight; drop the client on overflow.
        Straight to the socket, the messages go out in one write, and the transport's buffer
        is the queue."""
        if self.state is not State.LIVE or not burst.messages:
            return
        socket = self.socket
        if socket is not None:
            settings = self.hub.settings
            if self.held or socket.buffered > settings.transport_buffer_bytes:
                self.held.append(burst.data)
                self.held_bytes += len(burst.data)
                if self.held_bytes > settings.send_buffer_bytes:
                    self.hub.close(self, CLOSE_TOO_SLOW, "too slow: the send buffer overflowed")
                elif self._sender is None:
                    self._sender = asyncio.get_running_loop().create_task(self._drain_held())
            elif not socket.write(burst.data):
                self.hub.close(self, None, "")
            return
        for message in burst.messages:
            if self.state is not State.LIVE:
                return
            if self._sender is None:
                self._send_eagerly(message)
            elif len(self.backlog) >= self.hub.settings.send_queue:
                self.hub.close(self, CLOSE_TOO_SLOW, "too slow: the send queue overflowed")
                return
            else:
                self.backlog.append(message)

    def _send_eagerly(self, message: Outgoing) -> None:
        coro = self.websocket.send_text(message.text)
        try:
            waiting = _start_eagerly(coro)
        except Exception:  # the socket is gone
            coro.close()
            self.hub.close(self, None, "")
            return
        if waiting is not None:
            self._sender = asyncio.get_running_loop().create_task(self._drain(coro, waiting))

    async def _drain(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        try:
            await _resume(coro, waiting)
            while self.backlog and self.state is State.LIVE:
                await self.websocket.send_text(self.backlog.popleft().text)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.hub.close(self, None, "")
        finally:
            self._sender = None

    async def _drain_held(self) -> None:
        """Move the held bursts on to the socket as its buffer empties."""
        socket, settings = self.socket, self.hub.settings
        assert socket is not None
        try:
            while self.held and self.state is State.LIVE:
                await asyncio.sleep(settings.drain_seconds)
                while self.held and socket.buffered <= settings.transport_buffer_bytes:
                    data = self.held.popleft()
                    self.held_bytes -= len(data)
                    if not socket.write(data):
                        self.hub.close(self, None, "")
                        return
        finally:
            self._sender = None

    def hold(self, events: list[tuple[int, Outgoing]]) -> None:
        """Live events that arrive while syncing wait for the sync to end."""
        if len(self.pending) + len(events) > self.hub.settings.send_queue * 4:
            self.hub.close(self, CLOSE_TOO_SLOW, "too slow: events piled up while syncing")
            return
        self.pending += events

    def stop_sending(self) -> None:
        self.backlog.clear()
        self.held.clear()
        self.held_bytes = 0
        if self._sender is not None:
            self._sender.cancel()
            self._sender = None


class Hub:
    def __init__(self, db: Database, catalog: Callable[[], Catalog], clock: Clock,
                 settings: HubSettings | None = None) -> None:
        self.db = db
        self._catalog = catalog
        self.clock = clock
        self.settings = settings or HubSettings()
        self.sequencer = Sequencer(self._fetch, self._dispatch, gap_wait=self.settings.gap_wait,
                                   settle=self._flush)
        # What each subscription gets from the events being released now, written when they
        # are. Connections are grouped by subscription (a hall's displays mostly share one),
        # so an event is matched once per group and its frames joined once per group.
        self.outbox: dict[Subscription, _Released] = {}
        self._by_site: dict[str, dict[Subscription, set[Connection]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []

    # -- life

    async def start(self) -> None:
        await self._poll_once(initial=True)
        self._loops = [asyncio.create_task(self._heartbeat_loop()),
                       asyncio.create_task(self._poll_loop())]

    async def stop(self) -> None:
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        for connection in self.connections():
            self.close(connection, CLOSE_GOING_AWAY, "the server is shutting down")
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        await self.sequencer.stop()

    @property
    def connection_count(self) -> int:
        return sum(len(members) for groups in self._by_site.values()
                   for members in groups.values())

    def connections(self, site: str | None = None) -> list[Connection]:
        """The connections of one site, or of all."""
        sites = [self._by_site.get(site, {})] if site is not None else self._by_site.values()
        return [connection for groups in sites for members in groups.values()
                for connection in members]

    # -- from the bus

    async def on_events(self, events: Sequence[Event]) -> None:
        """The bus listener: events of committed commands, in any order, maybe twice."""
        self.sequencer.feed(events)

    def _dispatch(self, event: Event) -> None:
        groups = self._by_site.get(event.site)
        if not groups:
            return
        message = Outgoing(event.model_dump_json())
        routing = Routing.of(event)
        for subscription, members in groups.items():
            if subscription.matches(routing):
                released = self.outbox.get(subscription)
                if released is None:
                    released = self.outbox[subscription] = _Released(members)
                released.events.append((event.seq, message))

    def _flush(self) -> None:
        """Hand each connection what the last run of released events holds for it, at once."""
        outbox, self.outbox = self.outbox, {}
        for released in outbox.values():
            burst = Burst(*(message for _, message in released.events))
            for connection in list(released.members):
                if connection.state is State.LIVE:
                    connection.offer(burst)
                elif connection.state is State.SYNCING:
                    connection.hold(released.events)

    async def _fetch(self, site: str, after: int, before: int | None) -> list[Event]:
        site_id = self._catalog().site(site).id
        async with self.db.read() as session:
            return await event_log.events_between(session, site_id, after, before)

    async def _poll_once(self, initial: bool = False) -> None:
        catalog = self._catalog()
        async with self.db.lookup() as session:
            heads = await event_log.last_seqs(session)
        by_code = {catalog.sites[i].code: seq for i, seq in heads.items() if i in catalog.sites}
        if initial:
            self.sequencer.reset(by_code)
            return
        for site, seq in by_code.items():
            self.sequencer.observe(site, seq)

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.poll_seconds)
            try:
                await self._poll_once()
            except Exception:
                logger.exception("polling the event log failed; retrying")

    async def _heartbeat_loop(self) -> None:
        settings = self.settings
        while True:
            await asyncio.sleep(settings.heartbeat_seconds)
            silent_after = settings.heartbeat_seconds * settings.silent_heartbeats
            now = time.monotonic()
            for site in list(self._by_site):
                ping = Burst(Outgoing(Ping(seq=self.sequencer.position(site)).model_dump_json()))
                for connection in self.connections(site):
                    if now - connection.last_received > silent_after:
                        self.close(connection, CLOSE_SILENT, "no heartbeat from the client")
                    else:
                        connection.offer(ping)

    # -- connections

    def close(self, connection: Connection, code: int | None, reason: str) -> None:
        """End a connection without waiting (code None: the socket is already gone)."""
        if connection.state is State.CLOSED:
            return
        connection.state = State.CLOSED
        connection.stop_sending()
        groups = self._by_site.get(connection.site, {})
        members = groups.get(connection.subscription)
        if members is not None:
            members.discard(connection)
            if not members:
                del groups[connection.subscription]
        if code is not None:
            logger.info("closing a %s connection: %s", connection.site, reason)
            task = asyncio.get_running_loop().create_task(
                self._send_close(connection, code, reason))
            connection.closing = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send_close(self, connection: Connection, code: int, reason: str) -> None:
        socket = connection.socket
        try:
            await asyncio.wait_for(connection.websocket.close(code, reason[:120]), timeout=2)
        except Exception:
            if socket is not None:
                socket.abort()
            return
        if socket is None:
            return
        # The close frame waits behind what the socket's buffers hold (see
        # transport_buffer_bytes): a slow reader gets it in a while; one that reads nothing at
        # all is cut off.
        give_up = time.monotonic() + self.settings.close_grace_seconds
        while socket.buffered and time.monotonic() < give_up:
            await asyncio.sleep(0.2)
        if socket.buffered:
            socket.abort()

    async def serve(self, websocket: WebSocket, subscription: Subscription, site: str,
                    since: int | None) -> None:
        """Own an accepted, authorised socket until it closes."""
        connection = Connection(self, websocket, subscription, site)
        self._by_site.setdefault(site, {}).setdefault(subscription, set()).add(connection)
        try:
            await self._sync(connection, since, welcome=True)
            while connection.state is not State.CLOSED:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                connection.last_received = time.monotonic()
                await self._on_message(connection, message.get("text") or message.get("bytes"))
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass
        finally:
            if connection.state is not State.CLOSED:
                self.close(connection, None, "")
            if connection.closing is not None:  # let the close frame out before returning
                with contextlib.suppress(Exception):
                    await asyncio.shield(connection.closing)

    async def _on_message(self, connection: Connection, data: str | bytes | None) -> None:
        try:
            message = CLIENT_MESSAGE_ADAPTER.validate_json(data or b"")
        except ValidationError:
            self.close(connection, CLOSE_BAD_REQUEST,
                       'unknown message: send {"type": "ping"|"pong"|"snapshot"}')
            return
        if isinstance(message, Ping):
            connection.offer(Burst(Outgoing(Pong().model_dump_json())))
        elif isinstance(message, SnapshotRequest) and connection.state is State.LIVE:
            connection.state = State.SYNCING
            connection.stop_sending()
            await self._sync(connection, None, welcome=False)

    async def _sync(self, connection: Connection, since: int | None, *, welcome: bool) -> None:
        """Send what the client lacks (a snapshot, or the events after ``since``), then the
        live events held meanwhile, and go live. Events never go missing in between: the
        connection was registered before the log or the snapshot was read."""
        websocket, sub = connection.websocket, connection.subscription
        site = self._catalog().sites[sub.site_id]
        mode: ResumeMode = "snapshot"
        read_log = False
        if since is not None:
            if since == self.sequencer.position(connection.site):
                mode = "replay"  # nothing committed that this process has not dispatched
            else:
                async with self.db.read() as session:
                    if await event_log.can_replay(session, site.id, since):
                        mode, read_log = "replay", True
        if welcome:
            await websocket.send_text(Welcome(
                site=site.code, topics=list(sub.topics), resume=mode,
                heartbeat_seconds=self.settings.heartbeat_seconds).model_dump_json())
        if mode == "snapshot":
            async with self.db.read() as session:
                # A zone's display gets its zone's part of the hall; wider topics the whole.
                agencies = sub.agencies if sub.agencies and not sub.everything and not (
                    sub.counters or sub.counter_services or sub.kiosk) else None
                snapshot = await views.snapshot(session, self._catalog(), site, self.clock(),
                                                agencies)
            position = snapshot.seq
            await websocket.send_text(
                SnapshotMessage(seq=position, snapshot=snapshot).model_dump_json())
        else:
            assert since is not None
            position = since
            while read_log:
                async with self.db.read() as session:
                    page = await event_log.events_between(session, site.id, position)
                for event in page:
                    if sub.matches(Routing.of(event)):
                        await websocket.send_text(event.model_dump_json())
                    position = event.seq
                read_log = len(page) == event_log.PAGE
        if connection.state is State.CLOSED:
            return
        await websocket.send_text(Synced(seq=position).model_dump_json())
        held, connection.pending = connection.pending, []
        connection.socket = DirectSocket.of(websocket.scope)
        if connection.socket is not None:
            connection.socket.limit_kernel_buffer(self.settings.socket_buffer_bytes)
        connection.state = State.LIVE
        connection.offer(Burst(*(message for seq, message in held if seq > position)))
