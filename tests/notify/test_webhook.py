"""The webhook channel against a real local HTTP server: signature, idempotency id, retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from common.delivery import Channel, Message
from server.notify.webhook import WebhookChannel, retry_after_seconds

SECRET = "rahasia-gateway-uji"
MESSAGE = Message(id="outbox-41:called", to="+6281234567890", kind="called",
                  text="Nomor A-012 dipanggil ke Loket 5 (Dukcapil) — silakan", language="id",
                  data={"ticket": "A-012", "counter": "5"})  # fmt: skip


@dataclass
class Received:
    at: float
    headers: dict[str, str]
    body: bytes


@dataclass
class Gateway:
    """A gateway that answers from a script: (status, headers, body, seconds to wait first);
    once the script is used up, 200."""

    url: str = ""
    script: list[tuple[int, dict[str, str], bytes, float]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state.received.append(Received(time.monotonic(), dict(self.headers), body))
                status, headers, answer, delay = (state.script.pop(0) if state.script
                                                  else (200, {}, b'{"id": "gw-1"}', 0.0))
            time.sleep(delay)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/antrean/notify"
    yield state
    server.shutdown()
    server.server_close()


def channel(gateway: Gateway, **options: float) -> WebhookChannel:
    settings: dict[str, float] = {"timeout": 2.0, "attempts": 3, "retry_seconds": 0.2} | options
    return WebhookChannel(gateway.url, SECRET, timeout=settings["timeout"],
                          attempts=int(settings["attempts"]), retry_seconds=settings["retry_seconds"])


def verify(secret: str, headers: dict[str, str], body: bytes, now: float, tolerance: int = 300) -> bool:
    """What a gateway does, written from the documented scheme, not from our code."""
    timestamp = headers["X-Antrean-Timestamp"]
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Antrean-Signature"])


def test_a_signed_post_the_gateway_can_verify(gateway: Gateway) -> None:
    webhook = channel(gateway)
    assert isinstance(webhook, Channel)
    result = webhook.send(MESSAGE)
    assert (result.status, result.reference, result.attempts) == ("sent", "gw-1", 1)
    [request] = gateway.received
    assert verify(SECRET, request.headers, request.body, time.time())
    assert not verify("another-secret", request.headers, request.body, time.time())
    tampered = request.body.replace(b"Loket 5", b"Loket 6")
    assert not verify(SECRET, request.headers, tampered, time.time())
    assert not verify(SECRET, request.headers, request.body, time.time() + 3600)  # replayed late
    assert request.headers["Idempotency-Key"] == MESSAGE.id
    assert request.headers["Content-Type"].startswith("application/json")
    document = json.loads(request.body)
    assert document == {"id": MESSAGE.id, "type": "antrean.notification", "version": 1,
                        "kind": "called", "to": "+6281234567890", "text": MESSAGE.text,
                        "language": "id", "data": {"ticket": "A-012", "counter": "5"}}  # fmt: skip


def test_5xx_is_retried_with_growing_waits_and_the_same_id(gateway: Gateway) -> None:
    gateway.script = [(503, {}, b"busy", 0.0), (502, {}, b"", 0.0)]
    result = channel(gateway, retry_seconds=0.2).send(MESSAGE)
    assert (result.status, result.attempts) == ("sent", 3)
    times = [r.at for r in gateway.received]
    first_wait, second_wait = times[1] - times[0], times[2] - times[1]
    assert 0.1 <= first_wait < 0.6  # 0.2 s with jitter: between half and all of it
    assert 0.2 <= second_wait < 0.9  # doubled
    assert {r.headers["Idempotency-Key"] for r in gateway.received} == {MESSAGE.id}
    assert len({r.body for r in gateway.received}) == 1  # the same bytes on every try
    assert all(verify(SECRET, r.headers, r.body, time.time()) for r in gateway.received)


def test_a_gateway_down_for_long_is_handed_back(gateway: Gateway) -> None:
    gateway.script = [(500, {}, b"database down", 0.0)] * 3
    result = channel(gateway, retry_seconds=0.05).send(MESSAGE)
    assert (result.status, result.attempts) == ("retry_later", 3)
    assert result.reason == "gateway menjawab HTTP 500 (gateway answered HTTP 500): database down"
    assert result.after is not None and result.after > 0
    assert len(gateway.received) == 3


def test_429_waits_as_long_as_the_gateway_asks(gateway: Gateway) -> None:
    gateway.script = [(429, {"Retry-After": "1"}, b"slow down", 0.0)]
    result = channel(gateway, retry_seconds=0.01).send(MESSAGE)
    assert (result.status, result.attempts) == ("sent", 2)
    assert gateway.received[1].at - gateway.received[0].at >= 0.95


def test_a_long_retry_after_is_handed_back_not_waited_for(gateway: Gateway) -> None:
    gateway.script = [(429, {"Retry-After": "120"}, b"", 0.0)]
    started = time.monotonic()
    result = channel(gateway).send(MESSAGE)
    assert result.status == "retry_later" and result.after == 120
    assert time.monotonic() - started < 2 and len(gateway.received) == 1


def test_a_timeout_is_retried(gateway: Gateway) -> None:
    gateway.script = [(200, {}, b"{}", 1.5)]  # answers, but too late
    result = channel(gateway, timeout=0.3, retry_seconds=0.05).send(MESSAGE)
    assert (result.status, result.attempts) == ("sent", 2)
    # Both tries reached the gateway: the shared id is how it drops the second.
    assert [r.headers["Idempotency-Key"] for r in gateway.received] == [MESSAGE.id] * 2


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_4xx_fail_at_once(gateway: Gateway, status: int) -> None:
    gateway.script = [(status, {}, b'{"error": "nomor tidak valid"}', 0.0)]
    result = channel(gateway).send(MESSAGE)
    assert (result.status, result.attempts) == ("failed", 1)
    assert f"HTTP {status}" in result.reason and "nomor tidak valid" in result.reason
    assert len(gateway.received) == 1


def test_a_redirect_is_not_followed(gateway: Gateway) -> None:
    gateway.script = [(301, {"Location": "http://127.0.0.1:9/elsewhere"}, b"", 0.0)]
    assert channel(gateway).send(MESSAGE).status == "failed"


def test_an_unreachable_gateway_is_temporary() -> None:
    webhook = WebhookChannel("http://127.0.0.1:9/nobody", SECRET, attempts=2, retry_seconds=0.01)
    result = webhook.send(MESSAGE)
    assert result.status == "retry_later" and "gateway unreachable" in result.reason


def test_retry_after_as_a_date() -> None:
    now = time.time()
    assert retry_after_seconds(formatdate(now + 30, usegmt=True), now) == pytest.approx(30, abs=1)
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_a_webhook_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        WebhookChannel("http://127.0.0.1:9/", "")
