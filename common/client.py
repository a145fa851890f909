"""The resilient client kiosks, displays and counter clients use to talk to the server.

Commands go over HTTP with an ``Idempotency-Key`` on every POST, retried with the same key
when the network fails, so a retry never issues a second ticket. State comes over the
WebSocket stream: the client reconnects with backoff, resumes from the last sequence it saw,
and hands over a snapshot whenever the server says the gap is too old.

Two faces:

- ``AsyncClient`` for asyncio code: ``await client.command(...)``, ``async for item in
  client.stream()``.
- ``BackgroundClient`` for pygame main loops: a thread with its own event loop; ``poll()``
  returns what arrived since the last frame without blocking, ``submit()`` sends a command and
  returns a ``concurrent.futures.Future``.

What the stream yields: ``Snapshot`` (replace everything you show), an ``Event`` (apply it),
or ``Connection`` (online or not, to show an "offline" mark).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import queue
import random
import threading
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from common.protocol.events import Event, parse_event
from common.protocol.models import Snapshot
from common.protocol.stream import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHORIZED,
    CONTROL_TYPES,
    Welcome,
)

log = logging.getLogger(__name__)

_REFUSALS = {CLOSE_BAD_REQUEST, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND}
_RETRY_STATUS = {502, 503, 504}


@dataclass(frozen=True)
class Connection:
    """The stream's state changed: show an offline mark while ``online`` is False."""

    online: bool
    detail: str = ""


StreamItem = Snapshot | Event | Connection


class ApiError(Exception):
    """The server refused a request; ``message`` is Indonesian, ready to show."""

    def __init__(self, status: int, code: str, message: str, message_en: str) -> None:
        super().__init__(f"{status} {code}: {message_en}")
        self.status, self.code, self.message, self.message_en = status, code, message, message_en

    @classmethod
    def of(cls, response: httpx.Response) -> ApiError:
        try:
            error = response.json()["error"]
            return cls(response.status_code, error["code"], error["message"], error["message_en"])
        except (ValueError, KeyError, TypeError):
            return cls(response.status_code, "http_error", response.text[:200],
                       response.text[:200])


def retry_after(response: httpx.Response) -> float:
    """The seconds of a Retry-After header (0 without one, or with a date)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "0")))
    except ValueError:
        return 0.0


class StreamRefused(Exception):
    """The server will not stream to this token or these topics (a close code 44xx)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits up to first·2ⁿ, at most longest."""

    first: float = 0.5
    longest: float = 30.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.longest, self.first * 2 ** attempt))


class AsyncClient:
    def __init__(self, base_url: str, token: str | None = None, *, site: str | None = None,
                 topics: Sequence[str] = (), since: int | None = None,
                 timeout: float = 10.0, retries: int = 4, backoff: Backoff | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.site = site
        self.topics = tuple(topics)
        self.last_seq = since  # where the stream resumes from
        self.retries = retries
        self.backoff = backoff or Backoff()
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout,
                                       transport=transport)
        self._socket: ClientConnection | None = None
        self._snapshot_wanted = False

    async def aclose(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # -- HTTP

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def get(self, path: str, **params: Any) -> Any:
        """GET with retries on network errors; the JSON answer, or ApiError."""
        response = await self._send("GET", path, None, params or None, {})
        return response.json()

    async def command(self, path: str, body: dict[str, Any] | None = None, *,
                      key: str | None = None) -> Any:
        """POST a command with an Idempotency-Key (a fresh one unless given), retried with the
        same key when the network fails. The JSON answer (None for 204), or ApiError."""
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        response = await self._send("POST", path, body, None, headers)
        return response.json() if response.status_code != 204 and response.content else None

    async def _send(self, method: str, path: str, body: dict[str, Any] | None,
                    params: dict[str, Any] | None, headers: dict[str, str]) -> httpx.Response:
        attempt = 0
        while True:
            delay = self.backoff.delay(attempt)
            try:
                response = await self._http.request(method, path, json=body, params=params,
                                                    headers={**self._headers(), **headers})
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise
                log.info("%s %s failed (%s); retrying", method, path, exc)
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in _RETRY_STATUS or attempt >= self.retries:
                    raise ApiError.of(response)
                # The server says when it expects to serve again (its database restarting):
                # no sooner, but never longer than the backoff's own longest wait.
                delay = max(delay, min(retry_after(response), self.backoff.longest))
                log.info("%s %s: %s; retrying in %.1fs", method, path,
                         ApiError.of(response).message_en, delay)
            await asyncio.sleep(delay)
            attempt += 1

    async def snapshot(self) -> Snapshot:
        return Snapshot.model_validate(await self.get(f"/api/v1/sites/{self.site}/snapshot"))

    # -- the stream

    def ws_url(self) -> str:
        params: dict[str, str] = {}
        if self.site:
            params["site"] = self.site
        if self.topics:
            params["topics"] = ",".join(self.topics)
        if self.last_seq is not None:
            params["since"] = str(self.last_seq)
        base = self.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return f"{base}/api/v1/ws" + (f"?{urlencode(params)}" if params else "")

    def request_snapshot(self) -> None:
        """Ask for a fresh snapshot (e.g. after the screen lost its state)."""
        self._snapshot_wanted = True

    async def stream(self) -> AsyncIterator[StreamItem]:
        """Snapshots, events and connection changes, forever; reconnects and resumes on its
        own. Raises StreamRefused when the server refuses the token or the topics."""
        attempt = 0
        while True:
            try:
                async with connect(self.ws_url(), additional_headers=self._headers(),
                                   open_timeout=10, ping_interval=None) as socket:
                    self._socket = socket
                    async for item in self._session(socket):
                        attempt = 0
                        yield item
            except ConnectionClosed as exc:
                received = exc.rcvd
                if received is not None and received.code in _REFUSALS:
                    raise StreamRefused(received.code, received.reason) from exc
                detail = f"closed: {received.code} {received.reason}" if received else "closed"
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                detail = f"cannot connect: {exc}"
            finally:
                self._socket = None
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # Cancelled while a timeout or a closing socket ended the session: end here,
                # do not reconnect.
                raise asyncio.CancelledError
            yield Connection(False, detail)
            delay = self.backoff.delay(attempt)
            log.info("stream %s; reconnecting in %.1fs from #%s", detail, delay, self.last_seq)
            await asyncio.sleep(delay)
            attempt += 1

    async def _session(self, socket: ClientConnection) -> AsyncIterator[StreamItem]:
        # asyncio.timeout, not wait_for: wait_for runs recv as a task of its own, and a cancel
        # that meets it finishing could be lost (the stream then went on, reconnecting).
        async with asyncio.timeout(10):
            welcome = Welcome.model_validate_json(await socket.recv())
        self.site = welcome.site
        beat = welcome.heartbeat_seconds
        yield Connection(True, f"{welcome.site}: {', '.join(welcome.topics)}")
        pinger = asyncio.create_task(self._ping(socket, beat))
        try:
            while True:
                async with asyncio.timeout(beat * 2.5):  # silence: reconnect
                    raw = await socket.recv()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "snapshot":
                    self.last_seq = int(message["seq"])
                    yield Snapshot.model_validate(message["snapshot"])
                elif kind in ("synced", "ping"):
                    seq = message.get("seq")
                    if seq is not None and self.last_seq is not None and seq < self.last_seq:
                        self._snapshot_wanted = True  # the server's history is behind ours
                    elif seq is not None:
                        self.last_seq = int(seq)
                    if kind == "ping":
                        await socket.send('{"type":"pong"}')
                elif kind in CONTROL_TYPES:
                    pass
                else:
                    try:
                        event = parse_event(message)
                    except ValidationError:
                        log.warning("skipping an event this client does not know: %s", kind)
                        continue
                    if self.last_seq is not None and event.seq <= self.last_seq:
                        continue  # seen already
                    self.last_seq = event.seq
                    yield event
                if self._snapshot_wanted:
                    self._snapshot_wanted = False
                    await socket.send('{"type":"snapshot"}')
        finally:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger

    async def _ping(self, socket: ClientConnection, every: float) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(every)
                await socket.send('{"type":"ping"}')


class BackgroundClient:
    """An AsyncClient on its own thread, for a pygame main loop.

    ::

        client = BackgroundClient("http://server:8000", token, topics=["zone:LT1"])
        client.start()
        while running:
            for item in client.poll():
                state = apply(state, item)          # Snapshot, Event or Connection
            if key_pressed:
                future = client.submit("/api/v1/counters/3/call-next")
            draw(state)
        client.stop()
    """

    def __init__(self, base_url: str, token: str | None = None, *, stream: bool = True,
                 max_items: int = 10_000, **options: Any) -> None:
        self._options = dict(base_url=base_url, token=token, **options)
        self._stream = stream
        self._items: queue.Queue[StreamItem | BaseException] = queue.Queue(max_items)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: AsyncClient | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="antrean-client", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def stop(self, timeout: float = 5) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def last_seq(self) -> int | None:
        return self._client.last_seq if self._client else None

    def poll(self, limit: int = 1000) -> list[StreamItem]:
        """What arrived since the last call, oldest first; never blocks. Raises StreamRefused
        when the server refused the token or topics."""
        items: list[StreamItem] = []
        while len(items) < limit:
            try:
                item = self._items.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, BaseException):
                raise item
            items.append(item)
        return items

    def get(self, path: str, **params: Any) -> concurrent.futures.Future[Any]:
        return self._submit(self._require().get(path, **params))

    def submit(self, path: str, body: dict[str, Any] | None = None, *,
               key: str | None = None) -> concurrent.futures.Future[Any]:
        """Send a command; the future holds the answer or raises ApiError."""
        return self._submit(self._require().command(path, body, key=key))

    def request_snapshot(self) -> None:
        client = self._require()
        assert self._loop is not None
        self._loop.call_soon_threadsafe(client.request_snapshot)

    def _require(self) -> AsyncClient:
        if self._client is None:
            raise RuntimeError("call start() first")
        return self._client

    def _submit(self, coro: Any) -> concurrent.futures.Future[Any]:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._client = AsyncClient(**self._options)
        self._ready.set()
        reader = asyncio.create_task(self._read()) if self._stream else None
        await self._stopping.wait()
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        await self._client.aclose()

    async def _read(self) -> None:
        assert self._client is not None
        try:
            async for item in self._client.stream():
                await self._put(item)
        except StreamRefused as exc:
            await self._put(exc)

    async def _put(self, item: StreamItem | BaseException) -> None:
        while True:
            try:
                self._items.put_nowait(item)
                return
            except queue.Full:  # the UI stopped polling; wait rather than drop an event
                await asyncio.sleep(0.05)
