"""The event stream against clients that misbehave, on a real `antrean serve` process: a
`since` that only looks like a number, a client that reads too slowly, an upgrade request
with an address too long to parse."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, SMALL_HALL, ServerProcess, far_from_midnight
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

SEND_BUFFER = 128 * 1024


@pytest.fixture
def stream_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                           far_from_midnight(SMALL_HALL, tmp_path / "hall.toml"),
                           env={"ANTREAN_WS_SEND_BUFFER_BYTES": str(SEND_BUFFER),
                                "ANTREAN_HEARTBEAT_SECONDS": "20"})
    server.data_dir.mkdir(parents=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _ws(server: ServerProcess, query: str) -> str:
    return server.url.replace("http://", "ws://") + "/api/v1/ws?" + query


@pytest.mark.parametrize("since", ["²", "١٢", "12a", "9" * 40])
def test_a_since_that_is_no_sequence_number_is_refused_with_4400(
        stream_server: ServerProcess, since: str) -> None:
    url = _ws(stream_server, f"token=test-display-token-1&since={since}")
    with connect(url) as client, pytest.raises(ConnectionClosed) as closed:
        while True:
            client.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


def test_a_slow_reader_is_dropped_by_the_hub_with_4429(stream_server: ServerProcess) -> None:
    """It keeps answering with its own pings (it is alive) but reads twenty messages a second
    while tickets are issued flat out: the hub's bound acts, and its close code arrives."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", stream_server.port))
    stop = threading.Event()
    issued = 0

    def issue_flat_out() -> None:
        nonlocal issued
        with httpx.Client(base_url=stream_server.url, timeout=10) as http:
            while not stop.is_set() and issued < 20_000:
                response = http.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                                     json={"service": "KTP"})
                assert response.status_code == 201
                issued += 1

    with connect(_ws(stream_server, "token=test-display-token-1&topics=site"), sock=raw,
                 max_queue=2, ping_interval=None, close_timeout=1) as client:
        client.recv(timeout=10)  # welcome

        threads = [threading.Thread(target=issue_flat_out)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        try:
            with pytest.raises(ConnectionClosed) as closed:
                while time.monotonic() < deadline:
                    client.recv(timeout=30)
                    time.sleep(0.05)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
    log = (stream_server.data_dir.parent / f"server-{stream_server.port}.log").read_text()
    assert "too slow: the send buffer overflowed" in log, f"not dropped after {issued} tickets"
    # The close frame waits behind what was sent before it; when the connection ends first
    # (the server closes the socket 10 s after its close frame), no code arrives at all, but
    # never the keepalive's 1011.
    received = closed.value.rcvd
    assert received is None or received.code == 4429, received


def test_an_upgrade_with_an_overlong_address_is_refused(stream_server: ServerProcess) -> None:
    head = (f"GET /api/v1/ws?token=test-display-token-1&pad={'a' * 20_000} HTTP/1.1\r\n"
            "Host: hall\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    with socket.create_connection(("127.0.0.1", stream_server.port), timeout=10) as connection:
        connection.sendall(head.encode())
        try:
            answer = connection.recv(4096)
        except TimeoutError:
            answer = b"(no answer)"
    assert answer.startswith(b"HTTP/1.1 414"), answer[:100]
    assert b'"code":"bad_handshake"' in answer
