"""The event bus: committed events go out to whoever listens in this process.

A protocol with swappable backends (in-process by default; Redis when several server processes
share one hall), chosen by configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from common.protocol.events import Event

log = logging.getLogger(__name__)

Listener = Callable[[Sequence[Event]], Awaitable[None]]


class EventBus(Protocol):
    async def publish(self, events: Sequence[Event]) -> None: ...

    def subscribe(self, listener: Listener) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    @property
    def healthy(self) -> bool:
        """Whether events from other processes reach this one now (readiness)."""
        ...


class InProcessBus:
    """Delivers straight to this process's listeners, in the order events were committed."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        for listener in self._listeners:
            try:
                await listener(events)
            except Exception:  # one broken listener must not stop the others or the command
                log.exception("event listener failed for %d events", len(events))

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    @property
    def healthy(self) -> bool:
        return True  # there are no other processes to hear from
