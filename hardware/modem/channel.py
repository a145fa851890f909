"""SMS through the hall's GSM modem, as a notification channel (``common.delivery``).

One ``send`` tries a few times, with a growing wait, while the modem says the reason is
temporary (congestion, no service for a moment, the network's silence); then it hands the
message back to the caller as ``retry_later``. A permanent reason (a number that does not
exist, a SIM that wants its PIN) fails at once: trying again would only fail again.

A long text whose first parts went before a later one failed is resumed on the next ``send``
of the same message: the remaining parts go with the same reference, so the phone joins them.
"""

from __future__ import annotations

import logging
import random as _random
import threading
import time
from collections.abc import Callable

from common.delivery import DeliveryResult, Message, backoff_delay
from hardware.modem.driver import GsmModem, ModemError, ModemUnavailable
from hardware.modem.pdu import PduError

log = logging.getLogger(__name__)


class SmsChannel:
    name = "sms"

    def __init__(self, modem: GsmModem, *, attempts: int = 3, retry_seconds: float = 2.0,
                 max_retry_seconds: float = 300.0, random: Callable[[], float] = _random.random,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.modem = modem
        self.attempts = attempts
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self._random = random
        self._sleep = sleep
        self._lock = threading.Lock()
        self._resume: dict[str, tuple[int, int]] = {}  # message id → (reference, next part)

    def _delay(self, attempt: int) -> float:
        return backoff_delay(attempt, initial=self.retry_seconds, maximum=self.max_retry_seconds,
                             random=self._random)

    def send(self, message: Message) -> DeliveryResult:
        reason = ""
        for attempt in range(1, self.attempts + 1):
            with self._lock:
                reference, from_part = self._resume.get(message.id, (self.modem.next_reference(), 1))
                self._resume[message.id] = (reference, from_part)

            def sent_part(part: int, message_id: str = message.id, ref: int = reference) -> None:
                with self._lock:
                    self._resume[message_id] = (ref, part + 1)

            try:
                references = self.modem.send_sms(message.to, message.text, reference=reference,
                                                 from_part=from_part, on_part=sent_part)
            except PduError as exc:
                self._forget(message.id)
                return DeliveryResult.failed(f"pesan tidak dapat dikirim sebagai SMS (not sendable "
                                             f"as SMS): {exc}", attempts=attempt)  # fmt: skip
            except ModemUnavailable as exc:  # waiting here would not bring the cable back
                return DeliveryResult.retry_later(exc.failure.describe(), self._delay(attempt),
                                                  attempts=attempt)
            except ModemError as exc:
                reason = exc.failure.describe()
                log.info("SMS %s to %s: %s (try %d of %d)", message.id, _masked(message.to), reason,
                         attempt, self.attempts)  # fmt: skip
                if not exc.failure.temporary:
                    self._forget(message.id)
                    return DeliveryResult.failed(reason, attempts=attempt)
                if attempt < self.attempts:
                    self._sleep(self._delay(attempt))
                continue
            self._forget(message.id)
            return DeliveryResult.sent(",".join(map(str, references)), attempts=attempt)
        return DeliveryResult.retry_later(reason, self._delay(self.attempts + 1), attempts=self.attempts)

    def _forget(self, message_id: str) -> None:
        with self._lock:
            self._resume.pop(message_id, None)


def _masked(number: str) -> str:
    """A phone number as logs show it: the last three digits only."""
    return "*" * max(0, len(number) - 3) + number[-3:]
