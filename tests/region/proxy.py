"""A TCP proxy between a site server and its centre that the test controls: the link goes down
(connections refused, open ones cut), comes up, slows down, cuts a request half way (a batch
cut off on the way), or drops an answer after the whole request went through (the centre
applied it; the site never hears so)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from typing import Any

from conftest import free_port


@dataclass
class Faults:
    delay: float = 0.0  # seconds before each chunk goes on
    cuts: int = 0  # requests still to cut half way (the connection closes)
    drops: int = 0  # answers still to drop (the request went through; the connection closes)


class LinkProxy:
    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.faults = Faults()
        self.connections = 0
        self.cut = 0  # requests cut off on the way
        self.dropped = 0  # answers dropped after their request went through
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LinkProxy:
        self._thread.start()
        self.up()
        return self

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def up(self) -> None:
        self._run(self._listen())

    def down(self) -> None:
        """Refuse new connections and cut the open ones."""
        self._run(self._close())

    def heal(self) -> None:
        with self._lock:
            self.faults = Faults()
        self.up()

    def set(self, **faults: Any) -> None:
        with self._lock:
            for name, value in faults.items():
                setattr(self.faults, name, value)

    def stop(self) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port,
                                                      reuse_address=True)

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._open):
            writer.transport.abort()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    def _take(self, kind: str) -> bool:
        """Whether the chunk now passing is to be cut (a request) or dropped (an answer)."""
        with self._lock:
            faults = self.faults
            if kind == "cut" and faults.cuts:
                faults.cuts -= 1
                return True
            if kind == "drop" and faults.drops:
                faults.drops -= 1
                return True
            return False

    async def _serve(self, client_reader: asyncio.StreamReader,
                     client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._open |= {client_writer, upstream_writer}

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       answers: bool) -> None:
            try:
                while chunk := await reader.read(65536):
                    if self.faults.delay:
                        await asyncio.sleep(self.faults.delay)
                    if answers and self._take("drop"):
                        self.dropped += 1  # the request went through; its answer is lost
                        break
                    if not answers and self._take("cut"):
                        writer.write(chunk[:len(chunk) // 2])  # half a request, then nothing
                        await writer.drain()
                        self.cut += 1
                        break
                    writer.write(chunk)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                client_writer.transport.abort()
                upstream_writer.transport.abort()

        try:
            await asyncio.gather(pump(client_reader, upstream_writer, False),
                                 pump(upstream_reader, client_writer, True))
        finally:
            self._open -= {client_writer, upstream_writer}
