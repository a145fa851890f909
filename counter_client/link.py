"""The counter's link to the server, over the shared resilient client (``common.client``).

``CounterServer`` is what the counter's worker needs: blocking calls that answer, refuse
(``ApiError``) or raise ``Unreachable``. ``SharedClientServer`` is the real one; ``retrying``
wraps a call so that it is repeated — with the same ``Idempotency-Key`` — until the server
answers, reporting the link as offline meanwhile. ``stream_items`` turns what the shared
client's event stream yields into desk events.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from common.client import ApiError, BackgroundClient, Backoff, Connection, StreamRefused
from common.protocol.models import CounterOut, ServiceOut, Snapshot, TokenOut
from common.protocol.stream import CLOSE_UNAUTHORIZED
from counter_client import desk

log = logging.getLogger(__name__)

Deliver = Callable[[desk.Event], None]
# An officer waits at the counter: reconnect within a few seconds once the server is back.
STREAM_BACKOFF = Backoff(first=0.2, longest=4.0)
SESSION_CODES = frozenset({"session_expired", "bad_token", "unauthorized"})


class Unreachable(Exception):
    """The server could not be reached or did not answer in time."""


def session_ended(error: ApiError) -> bool:
    return error.status == 401 and error.code in SESSION_CODES


class CounterServer(Protocol):
    """What the counter asks of the server. Calls raise Unreachable or ApiError."""

    token: str | None

    def login(self, username: str, password: str) -> TokenOut: ...

    def log_out(self) -> None: ...

    def counters(self) -> list[CounterOut]: ...

    def counter(self, counter_id: int) -> CounterOut: ...  # refused unless we may work it

    def services(self) -> list[ServiceOut]: ...

    def snapshot(self) -> Snapshot: ...

    def post(self, path: str, body: dict[str, Any] | None, key: str) -> dict[str, Any] | None: ...

    def open_stream(self, counter_id: int, since: int | None) -> BackgroundClient: ...


class SharedClientServer:
    """Blocking calls over ``common.client.BackgroundClient``, for the counter's worker thread.

    The shared client retries nothing here (``retries=0``): the counter's own ``retrying``
    loop does, so that it can say "offline" on screen while it keeps the same key.
    """

    def __init__(self, base_url: str, site: str, token: str | None = None,
                 timeout: float = 6.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.site = site
        self.token = token
        self.timeout = timeout
        self._http = self._client()

    def _client(self) -> BackgroundClient:
        client = BackgroundClient(self.base_url, self.token, stream=False, site=self.site,
                                  retries=0, timeout=self.timeout)
        client.start()
        return client

    def close(self) -> None:
        self._http.stop()

    def _wait(self, future: concurrent.futures.Future[Any]) -> Any:
        try:
            return future.result(timeout=self.timeout * 2)
        except ApiError as exc:
            if exc.status >= 500:
                raise Unreachable(f"server error {exc.status}") from exc
            raise
        except (httpx.HTTPError, OSError, concurrent.futures.TimeoutError) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc

    def login(self, username: str, password: str) -> TokenOut:
        token = TokenOut.model_validate(self._wait(self._http.submit(
            "/api/v1/auth/token", {"username": username, "password": password})))
        self.token = token.access_token
        old, self._http = self._http, self._client()  # the new token on every later call
        old.stop()
        return token

    def log_out(self) -> None:
        """End the session on the server and forget its token (best effort: it expires anyway)."""
        try:
            self._wait(self._http.submit("/api/v1/auth/logout"))
        except (ApiError, Unreachable) as exc:
            log.info("logout: %s", exc)
        self.token = None
        old, self._http = self._http, self._client()
        old.stop()

    def counters(self) -> list[CounterOut]:
        answer = self._wait(self._http.get(f"/api/v1/sites/{self.site}/counters"))
        return [CounterOut.model_validate(c) for c in answer]

    def counter(self, counter_id: int) -> CounterOut:
        return CounterOut.model_validate(self._wait(self._http.get(f"/api/v1/counters/{counter_id}")))

    def services(self) -> list[ServiceOut]:
        answer = self._wait(self._http.get(f"/api/v1/sites/{self.site}/services"))
        return [ServiceOut.model_validate(s) for s in answer]

    def snapshot(self) -> Snapshot:
        return Snapshot.model_validate(
            self._wait(self._http.get(f"/api/v1/sites/{self.site}/snapshot")))

    def post(self, path: str, body: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
        return self._wait(self._http.submit(path, body, key=key))

    def open_stream(self, counter_id: int, since: int | None) -> BackgroundClient:
        client = BackgroundClient(self.base_url, self.token, site=self.site,
                                  topics=[f"counter:{counter_id}"], since=since,
                                  backoff=STREAM_BACKOFF)
        client.start()
        return client


def stream_items(stream: BackgroundClient) -> list[desk.Event]:
    """What the event stream brought since the last call, as desk events."""
    try:
        items = stream.poll()
    except StreamRefused as exc:
        if exc.code == CLOSE_UNAUTHORIZED:
            return [desk.SessionExpired()]
        return [desk.Refused("", "stream_refused", f"Server menolak aliran data: {exc.reason}",
                             f"The server refused the event stream: {exc.reason}")]
    events: list[desk.Event] = []
    for item in items:
        if isinstance(item, Snapshot):
            events.append(desk.Synced(item))
        elif isinstance(item, Connection):
            events.append(desk.Connection(item.online, item.detail))
        else:
            events.append(desk.Pushed(item))
    return events


def retrying(call: Callable[[], Any], stop: threading.Event, report: Deliver,
             what: str) -> Any:
    """Call until the server answers (a result or an ApiError); report the link while trying.
    Retries repeat the very same call, so a command keeps its Idempotency-Key."""
    backoff = 0.2
    failed = False
    while True:
        try:
            return call()
        except Unreachable as exc:
            if not failed:
                log.warning("%s: server unreachable (%s); retrying", what, exc)
                report(desk.Connection(False, str(exc)))
                failed = True
            if stop.wait(backoff):
                raise
            backoff = min(5.0, backoff * 2)
