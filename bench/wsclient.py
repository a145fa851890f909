"""A minimal WebSocket subscriber for benchmarks: thousands of them cost the measuring process
little, so the figures are the server's. It answers pings and notes when a marker arrives."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable
from typing import cast


class Subscriber(asyncio.Protocol):
    def __init__(self, path: str, host: str, on_marker: Callable[[float], None],
                 marker: bytes, ready: bytes | None = None,
                 on_text: Callable[[bytes], None] | None = None) -> None:
        self.path, self.host = path, host
        self.on_marker, self.marker = on_marker, marker
        self.on_text = on_text  # every text frame once subscribed (a display reading events)
        self.open: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Subscribed for real once a frame with ``ready`` arrives (the server's "synced").
        self.ready_marker = ready
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.armed = False
        self._buffer = b""
        self._upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\n"
                         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                         ).encode())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.armed:  # dropped by the server while waiting: count it, do not wait forever
            self.armed = False
            self.on_marker(float("nan"))
        if not self.open.done():
            self.open.set_exception(ConnectionError("closed during the handshake"))
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before it was subscribed"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            head, sep, rest = self._buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.open.set_exception(ConnectionError(head[:80].decode(errors="replace")))
                return
            self._upgraded = True
            self._buffer = rest
            self.open.set_result(None)
            if self.ready_marker is None:
                self.ready.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, offset = struct.unpack("!H", buffer[2:4])[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, offset = struct.unpack("!Q", buffer[2:10])[0], 10
            if len(buffer) < offset + length:
                break
            payload = buffer[offset:offset + length]
            buffer = buffer[offset + length:]
            if opcode == 0x9:  # ping: answer with a masked pong
                self._send(0xA, payload)
            elif opcode == 0x8:
                self._send(0x8, payload[:2])
            elif not self.ready.done() and self.ready_marker is not None \
                    and self.ready_marker in payload:
                self.ready.set_result(None)
            elif self.on_text is not None and opcode == 0x1:
                self.on_text(payload)
            elif self.armed and self.marker in payload:
                self.armed = False
                self.on_marker(time.monotonic())
        self._buffer = buffer

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def send_text(self, text: str) -> None:
        data = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        assert len(data) < 126
        assert self.transport is not None
        self.transport.write(bytes([0x81, 0x80 | len(data)]) + mask + masked)


class Crowd:
    """N subscribers; ``arm()`` then ``wait()`` gives when the last one saw the marker."""

    def __init__(self, marker: bytes) -> None:
        self.marker = marker
        self.members: list[Subscriber] = []
        self._left = 0
        self.dropped = 0
        self._done: asyncio.Future[float] | None = None

    def _hit(self, at: float) -> None:
        if at != at:  # NaN: a member was dropped
            self.dropped += 1
            at = time.monotonic()
        self._left -= 1
        if self._left == 0 and self._done is not None and not self._done.done():
            self._done.set_result(at)

    async def connect(self, host: str, port: int, path: str, count: int,
                      parallel: int = 100, ready: bytes | None = None) -> None:
        """Open ``count`` subscribers; return once each is ready (has seen ``ready``)."""
        loop = asyncio.get_running_loop()
        semaphore = asyncio.Semaphore(parallel)

        async def one() -> None:
            async with semaphore:
                _, member = await loop.create_connection(
                    lambda: Subscriber(path, f"{host}:{port}", self._hit, self.marker, ready),
                    host, port)
                await asyncio.wait_for(member.open, 60)
                self.members.append(member)
            await asyncio.wait_for(member.ready, 120)

        await asyncio.gather(*(one() for _ in range(count)))

    @property
    def size(self) -> int:
        return len(self.members)

    async def arm(self) -> None:
        live = [m for m in self.members if not m.closed]
        self._left = len(live)
        self._done = asyncio.get_running_loop().create_future()
        for member in live:
            member.armed = True

    async def wait(self, timeout: float = 30) -> float:
        assert self._done is not None
        return await asyncio.wait_for(self._done, timeout)

    def close(self) -> None:
        for member in self.members:
            if member.transport is not None:
                member.transport.close()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
