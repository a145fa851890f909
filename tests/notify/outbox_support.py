"""Helpers for the outbox's tests: a hall that notifies, a gateway that records what it gets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import SMALL_HALL

SECRET = "rahasia-gateway-uji"


def notifying_hall(path: Path, notify: str) -> Path:
    """The small hall with a ``[site.notify]`` table."""
    path.write_text(SMALL_HALL.read_text() + "\n[site.notify]\n" + notify)
    return path


@dataclass
class Gateway:
    """A webhook receiver that keeps every request, and drops repeats by Idempotency-Key as
    docs/notifications.md asks of a receiver."""

    url: str = ""
    requests: list[dict[str, object]] = field(default_factory=list)
    delivered: list[dict[str, object]] = field(default_factory=list)  # one per key
    hold_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        with self.lock:
            return [str(item["id"]) for item in self.delivered]

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.delivered) >= count:
                    return True
            time.sleep(0.05)
        return False


def serve_gateway(state: Gateway) -> Iterator[Gateway]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.requests.append(body)
                if all(item["id"] != body["id"] for item in state.delivered):
                    state.delivered.append(body)
            if state.hold_seconds:
                time.sleep(state.hold_seconds)
            answer = json.dumps({"id": f"gw-{len(state.requests)}"}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/antrean/notify"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
