"""Writing event frames straight to a socket, the way ``websockets.broadcast`` does.

Through ASGI, every frame to every socket is its own trip through the middleware stack and its
own system call: a call that produces three events costs 3 × N writes for N displays. When the
server runs on uvicorn's sans-I/O WebSocket implementation, the hub can reach that socket's
transport and write all the frames of one burst in a single write. Anything else (another ASGI
server, a negotiated compression extension, a test transport) keeps the plain ASGI path.

Frames from a server are unmasked, so a frame is the payload behind a two-to-ten byte header.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

SERVER_SEND = "antrean.server_send"

try:  # the one server implementation whose socket we know how to reach
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.protocol import State as _SocketState
except ImportError:  # pragma: no cover - uvicorn without websockets
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

# What a handshake the websockets library cannot parse (a request line or a header over its
# 8 KiB, too many headers) is answered with.
_UNREADABLE_HANDSHAKE = (
    b"HTTP/1.1 414 URI Too Long\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s")
_UNREADABLE_BODY = (b'{"error":{"code":"bad_handshake","message":"Permintaan WebSocket terlalu '
                    b'panjang atau tidak terbaca.","message_en":"The WebSocket request is too '
                    b'long or unreadable.","details":{}}}')


def text_frame(text: str) -> bytes:
    """One unfragmented, unmasked text frame (RFC 6455 §5.2)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


class ExposeServerSend:
    """ASGI middleware: keeps the server's own ``send`` of a WebSocket in its scope, before
    other middleware wraps it, so the hub can find the socket behind it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


class DirectSocket:
    """The open socket behind one accepted WebSocket, written to without ASGI."""

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    def limit_kernel_buffer(self, size: int) -> None:
        """Keep the kernel's send buffer of this socket small: left to grow (up to 4 MiB on
        Linux), it hid megabytes a client did not read from the hub's own bound."""
        raw = self._protocol.transport.get_extra_info("socket")
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)

    @classmethod
    def of(cls, scope: MutableMapping[str, Any]) -> DirectSocket | None:
        """The socket of an accepted WebSocket, when frames may go to it directly."""
        if WebSocketsSansIOProtocol is None:
            return None
        protocol = getattr(scope.get(SERVER_SEND), "__self__", None)
        if not isinstance(protocol, WebSocketsSansIOProtocol):
            return None
        if protocol.conn.extensions:  # compressed frames: leave them to the library
            return None
        return cls(protocol)

    @property
    def open(self) -> bool:
        protocol = self._protocol
        return (not protocol.close_sent and protocol.conn.state is _SocketState.OPEN
                and not protocol.transport.is_closing())

    @property
    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel: what a client that does not read
        leaves behind."""
        return int(self._protocol.transport.get_write_buffer_size())

    def abort(self) -> None:
        """Drop the connection without waiting for a client that no longer reads."""
        self._protocol.transport.abort()

    def write(self, frames: bytes) -> bool:
        """Write encoded frames in one go (also while the transport is paused: its buffer is
        the queue, and the hub bounds it); False when the socket is gone."""
        if not self.open:
            return False
        self._protocol.transport.write(frames)
        return True


# What ``antrean serve`` hands uvicorn as its WebSocket implementation.
WEBSOCKET_PROTOCOL: Any = "websockets-sansio"

if WebSocketsSansIOProtocol is not None:
    class RefusingSansIOProtocol(WebSocketsSansIOProtocol):
        """uvicorn's sans-I/O WebSocket protocol, answering a handshake it cannot parse.

        uvicorn handles a parser error only once the socket is open (it asserts a close frame
        was sent) and never writes the answer websockets makes to a handshake it refuses, so
        an upgrade request whose address is over the websockets library's 8 KiB line limit
        left the connection hanging. Before the handshake this answers 414 with
        our error body and closes; after it, uvicorn's own handling stands."""

        def data_received(self, data: bytes) -> None:
            if self.conn.state is not _SocketState.CONNECTING:
                super().data_received(data)
                return
            self.conn.receive_data(data)
            # websockets answers a request line or header too long with a response of its own
            # (handshake_exc) that uvicorn never writes; other parser errors set parser_exc.
            failure = self.conn.handshake_exc or self.conn.parser_exc
            if failure is None:
                self.handle_events()
                return
            self.conn.data_to_send()  # its own plain-text answer: ours goes instead
            self.logger.info("refused an unreadable WebSocket handshake: %s", failure)
            self.transport.write(_UNREADABLE_HANDSHAKE % (len(_UNREADABLE_BODY),
                                                          _UNREADABLE_BODY))
            self.close_sent = True
            self.transport.close()

    WEBSOCKET_PROTOCOL = RefusingSansIOProtocol
