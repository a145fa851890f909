"""A minimal keep-alive HTTP/1.1 client for load: one connection, one request at a time.

A general client costs the measuring process more than the server spends on a small request
(httpx's pool walks all its connections on every request), so with 64 of them on a 2-core
machine the figures were the client's. This one writes a request and reads one response with a
Content-Length, nothing more, so the figures are the server's.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import cast


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case

    def json(self) -> object:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._waiter: asyncio.Future[Response] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionResetError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None or self._waiter.done():
            return
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        length = 0
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            headers[name] = value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                raise ValueError("chunked responses are not supported")
            elif name == "connection" and value.strip().lower() == "close":
                self.closed = True
        if len(self._buffer) < end + 4 + length:
            return
        body = bytes(self._buffer[end + 4:end + 4 + length])
        del self._buffer[:end + 4 + length]
        self._waiter.set_result(Response(int(lines[0].split(" ", 2)[1]), body, headers))

    async def exchange(self, request: bytes) -> Response:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            return await self._waiter
        finally:
            self._waiter = None


class KeepAlive:
    """One keep-alive connection to ``host:port``, opened again when the server closed it.

    A request sent on a connection the server was just closing (its idle timeout) fails without
    having reached it; it is sent again on a new connection, as the product's client does, and
    counted in ``resent``."""

    resent = 0  # across all connections of the process: the benchmark prints it

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._connection: _Connection | None = None

    async def _open(self) -> _Connection:
        if self._connection is None or self._connection.closed:
            _, self._connection = await asyncio.get_running_loop().create_connection(
                _Connection, self.host, self.port)
        return self._connection

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      json_body: object = None) -> Response:
        body = b"" if json_body is None else json.dumps(json_body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]
        if json_body is not None:
            head.append("Content-Type: application/json")
        head += [f"{name}: {value}" for name, value in (headers or {}).items()]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        for attempt in range(3):
            reused = self._connection is not None and not self._connection.closed
            connection = await self._open()
            try:
                return await connection.exchange(raw)
            except ConnectionResetError:
                if not reused or attempt == 2:
                    raise
                KeepAlive.resent += 1
        raise AssertionError("unreachable")

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, headers)

    async def post(self, path: str, headers: dict[str, str] | None = None,
                   json: object = None) -> Response:
        return await self.request("POST", path, headers, json)

    def close(self) -> None:
        if self._connection is not None and self._connection.transport is not None:
            self._connection.transport.close()
