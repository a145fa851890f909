"""A webhook channel: each message as a signed JSON POST to the URL the hall configures, for the
WhatsApp Business or SMS gateway a region already pays for.

The request (documented for gateway builders in docs/notifications.md):

- body: JSON ``{"id", "type": "antrean.notification", "version": 1, "kind", "to", "text",
  "language", "data"}``, the same bytes on every try of one message;
- ``X-Antrean-Timestamp``: Unix seconds when this try was made;
- ``X-Antrean-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the shared secret,
  of the timestamp, a dot, and the body (``f"{timestamp}.".encode() + body``), so a gateway can
  tell the hall's requests from forgeries and refuse old ones replayed;
- ``Idempotency-Key``: the message's id, the same on every try, so a gateway drops a duplicate
  (a try whose answer was lost in a timeout may well have arrived).

What comes back decides: 2xx sent; 5xx, 408, 429 and no answer in time are temporary (tried
again here after an exponential wait with jitter, or after the gateway's ``Retry-After``, then
handed back as ``retry_later``); a redirect or any other 4xx is permanent (``failed``: a wrong
URL or secret, a number the gateway refuses), for someone to fix.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random as _random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx

from common.delivery import DeliveryResult, Message, backoff_delay

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Antrean-Signature"
TIMESTAMP_HEADER = "X-Antrean-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
PAYLOAD_TYPE = "antrean.notification"
PAYLOAD_VERSION = 1
TEMPORARY_STATUSES = frozenset({408, 429})


def payload(message: Message) -> bytes:
    """The body of the POST: compact JSON, keys sorted, the same bytes for the same message."""
    document = {"id": message.id, "type": PAYLOAD_TYPE, "version": PAYLOAD_VERSION,
                "kind": message.kind, "to": message.to, "text": message.text,
                "language": message.language, "data": message.data}  # fmt: skip
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Antrean-Signature`` value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


class WebhookChannel:
    """POSTs each message to ``url``, signed with ``secret``."""

    name = "webhook"

    def __init__(self, url: str, secret: str | bytes, *, timeout: float = 10.0, attempts: int = 3,
                 retry_seconds: float = 1.0, max_retry_seconds: float = 300.0,
                 max_wait_in_send: float = 30.0, client: httpx.Client | None = None,
                 random: Callable[[], float] = _random.random,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        if not secret:
            raise ValueError("a webhook needs a shared secret to sign its requests")
        self.url = url
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.attempts = attempts
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self.max_wait_in_send = max_wait_in_send  # a longer Retry-After is handed back instead
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._random = random
        self._sleep = sleep
        self._clock = clock

    def close(self) -> None:
        self._client.close()

    def request_headers(self, message: Message, body: bytes) -> dict[str, str]:
        timestamp = int(self._clock())
        return {"Content-Type": "application/json; charset=utf-8",
                TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(self.secret, timestamp, body),
                IDEMPOTENCY_HEADER: message.id, "User-Agent": "antrean-webhook/1"}  # fmt: skip

    def send(self, message: Message) -> DeliveryResult:
        body = payload(message)
        reason = ""
        wait = 0.0
        for attempt in range(1, self.attempts + 1):
            wait = backoff_delay(attempt, initial=self.retry_seconds, maximum=self.max_retry_seconds,
                                 random=self._random)
            try:
                response = self._client.post(self.url, content=body,
                                             headers=self.request_headers(message, body))
            except httpx.TimeoutException:
                reason = "gateway tidak menjawab tepat waktu (gateway timed out)"
            except httpx.TransportError as exc:
                reason = f"gateway tidak dapat dihubungi (gateway unreachable): {type(exc).__name__}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return DeliveryResult.sent(_reference(response), attempts=attempt)
                reason = f"gateway menjawab HTTP {status} (gateway answered HTTP {status})"
                detail = response.text.strip()[:200]
                if detail:
                    reason += f": {detail}"
                if not (status >= 500 or status in TEMPORARY_STATUSES):
                    log.warning("webhook %s: message %s refused: %s", self.url, message.id, reason)
                    return DeliveryResult.failed(reason, attempts=attempt)
                asked = retry_after_seconds(response.headers.get("Retry-After"), self._clock())
                if asked is not None:
                    wait = asked
                    if asked > self.max_wait_in_send:  # not worth holding the sender for
                        return DeliveryResult.retry_later(reason, asked, attempts=attempt)
            log.info("webhook %s: message %s: %s (try %d of %d)", self.url, message.id, reason,
                     attempt, self.attempts)  # fmt: skip
            if attempt < self.attempts:
                self._sleep(wait)
        return DeliveryResult.retry_later(reason, wait, attempts=self.attempts)


def _reference(response: httpx.Response) -> str:
    """The gateway's id for the message, when it answers JSON with one."""
    try:
        document = response.json()
    except ValueError:
        return ""
    if isinstance(document, dict):
        for key in ("id", "message_id", "messageId"):
            if isinstance(document.get(key), str | int):
                return str(document[key])
    return ""
