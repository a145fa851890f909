"""Every request gets an id: the caller's ``X-Request-ID`` when it sends a sane one (a proxy's),
else a new one. It is answered in the same header and set in ``common.logs.REQUEST_ID`` while
the request runs, so each log line it causes names it. A WebSocket keeps its id for its life.
"""

from __future__ import annotations

import itertools
import os
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.logs import REQUEST_ID

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
# A new id: eight random hex digits drawn once per process, then a count — unique across the
# workers and restarts of a server without a system call per request.
_PREFIX = os.urandom(4).hex()
_COUNT = itertools.count(1)


def new_request_id() -> str:
    return f"{_PREFIX}{next(_COUNT):08x}"


def _given(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            return value.decode("ascii") if _SANE.fullmatch(value) else None
    return None


class RequestId:
    """ASGI middleware; a few microseconds a request (a header scan and a context variable)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _given(scope) or new_request_id()
        token = REQUEST_ID.set(request_id)
        try:
            if kind == "websocket":
                await self.app(scope, receive, send)
                return
            encoded = request_id.encode("ascii")

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), (HEADER, encoded)]
                await send(message)

            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
