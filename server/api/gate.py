"""What a request must be before any of it is read: small, in the content type its route takes,
from a caller with a valid token where the route needs one, and free of NUL characters.

FastAPI reads and parses a request's whole body before it resolves any dependency, the token
check among them: four 100 MB bodies without a token took a server from 109 MB to 743 MB. Here,
in front of it, a body announced as too large is refused before a byte of it is read, one that
turns out larger as it arrives is refused when it passes the limit, a route that needs a token
checks it first, and a JSON route refuses other content types (415, where FastAPI said 422).

What each route needs is read from the API's own description (its OpenAPI: a route that asks
for a bearer token, a route whose body is JSON), once, on the first request with a body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.errors import error_response
from server.services.errors import DomainError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # the largest command is a survey with its comment: a few KiB
LIMIT_EXTENSION = "x-max-body-bytes"  # an operation that takes more (an upload) says so
ACTOR_KEY = "antrean.actor"  # where the gate leaves the caller it resolved, for get_actor


@dataclass(frozen=True)
class RouteNeeds:
    token: bool  # a bearer token, checked before the body is read
    json: bool  # the body is JSON
    max_body: int | None = None  # a limit of its own, larger than the gate's


NOTHING = RouteNeeds(token=False, json=False)


def _needs_of(openapi: dict[str, Any], scheme: str
              ) -> list[tuple[re.Pattern[str], dict[str, RouteNeeds]]]:
    """Per documented path (as a pattern), per method: what its operation asks for. Pages
    outside the API are not documented there and need neither; a route secured by another
    scheme than ``scheme`` (the region's site tokens) checks its token itself."""
    table = []
    for path, operations in openapi.get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]*\\}", "[^/]+", re.escape(path)) + "$")
        needs = {}
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            secured = any(scheme in requirement for requirement in operation.get("security", ()))
            needs[method.upper()] = RouteNeeds(token=secured,
                                               json="application/json" in content,
                                               max_body=operation.get(LIMIT_EXTENSION))
        table.append((pattern, needs))
    return table


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                            and media.endswith("+json"))


class RequestGate:
    """ASGI middleware: refuses, in our error shape, what must not reach a route (see above)."""

    def __init__(self, app: ASGIApp, resolve_actor: Callable[[Scope, str | None], Any],
                 scheme: str, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.resolve_actor = resolve_actor
        self.scheme = scheme  # the security scheme whose tokens ``resolve_actor`` knows
        self.max_body_bytes = max_body_bytes
        self._table: list[tuple[re.Pattern[str], dict[str, RouteNeeds]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            if scope["type"] == "http":
                await error_response(400, "nul_character",
                                     "Alamat permintaan memuat karakter NUL.",
                                     "The request's address contains a NUL character."
                                     )(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 4400})
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        headers = {name: value for name, value in scope["headers"]
                   if name in (b"content-length", b"transfer-encoding", b"content-type",
                               b"authorization")}
        length_text = headers.get(b"content-length", b"").strip()
        length = int(length_text) if length_text.isdigit() else None
        limit = self.max_body_bytes
        if length is not None and length > limit:
            limit = self._needs(scope).max_body or limit  # an upload's route may take more
            if length > limit:
                await self._too_large(scope, receive, send, limit)
                return
        if length or b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            refusal = await self._admit(scope, headers)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            receive = self._counted(receive, self._needs(scope).max_body or limit)
        await self.app(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await error_response(413, "too_large", "Permintaan terlalu besar.",
                             f"The request body is over {limit} bytes.",
                             {"limit": limit},
                             headers={"Connection": "close"})(scope, receive, send)

    async def _admit(self, scope: Scope, headers: dict[bytes, bytes]) -> Any:
        """None when the request may go on; else the answer that refuses it."""
        needs = self._needs(scope)
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if needs.token:
            authorization = headers.get(b"authorization", b"").decode("latin-1")
            scheme, _, token = authorization.partition(" ")
            try:
                actor = await self.resolve_actor(
                    scope, token.strip() if scheme.lower() == "bearer" and token.strip()
                    else None)
            except DomainError as exc:
                return error_response(exc.status, exc.code, exc.message, exc.message_en,
                                      dict(exc.details), {"WWW-Authenticate": "Bearer"})
            scope[ACTOR_KEY] = actor
        if needs.json and content_type and not _is_json(content_type):
            return error_response(415, "unsupported_media_type",
                                  "Jenis isi permintaan tidak didukung; kirim JSON.",
                                  f"Send the body as application/json, not {content_type}.")
        return None

    def _needs(self, scope: Scope) -> RouteNeeds:
        if self._table is None:
            self._table = _needs_of(scope["app"].openapi(), self.scheme)
        path = scope["path"]
        for pattern, needs in self._table:
            if scope["method"] in needs and pattern.match(path):
                return needs[scope["method"]]
        return NOTHING

    def _counted(self, receive: Receive, limit: int) -> Receive:
        """``receive``, refusing the body once more of it arrived than the limit allows (a
        chunked body announces no length)."""
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"The request body is over {limit} bytes.")
            return message

        return counted
