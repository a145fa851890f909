"""The Redis bus: several server processes behind one address share PostgreSQL and Redis.

A process hands its committed events to its own listeners at once, then publishes them on one
Redis pub/sub channel; every other process delivers what it hears to its listeners. Redis
pub/sub forgets what it could not deliver (a process restarting, Redis reconnecting) and two
processes' messages may cross; the hub's sequencer restores order and fills holes from the
durable event log, so a lost message delays an event, it never loses it.

Halls that share one Redis but not one database must use different channels
(``ANTREAN_REDIS_CHANNEL``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from common.protocol.events import Event, parse_event
from server.realtime.bus import InProcessBus, Listener

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "antrean:events"


class RedisBus:
    def __init__(self, url: str, channel: str = DEFAULT_CHANNEL, *,
                 on_lag: Callable[[float], None] = lambda seconds: None) -> None:
        """``on_lag``: told, for each message from another process, how long it took from
        its publishing to its arrival here (the processes share a clock: one machine, or
        machines kept in time by NTP)."""
        self.channel = channel
        self.on_lag = on_lag
        self._url = url
        self._local = InProcessBus()
        self._origin = uuid.uuid4().hex
        self._redis: Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._listening = False

    def subscribe(self, listener: Listener) -> None:
        self._local.subscribe(listener)

    @property
    def healthy(self) -> bool:
        return self._listening

    async def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        await self._local.publish(events)
        if self._redis is None:
            return
        payload = '{"origin":"%s","sent":%r,"events":[%s]}' % (  # noqa: UP031 - one join
            self._origin, time.time(), ",".join(event.model_dump_json() for event in events))
        try:
            await self._redis.publish(self.channel, payload)
        except (RedisError, OSError) as exc:
            # The events are committed and in the log: other processes fill them in by polling.
            log.warning("could not publish %d event(s) to Redis (%s); other processes will read "
                        "them from the event log", len(events), exc)

    async def start(self) -> None:
        self._redis = Redis.from_url(self._url)
        self._listener = asyncio.create_task(self._listen())
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=10)
        except TimeoutError:
            log.warning("Redis at %s is not answering yet; events from other processes will "
                        "come from the event log until it does", self._url)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

    async def _listen(self) -> None:
        assert self._redis is not None
        backoff = 0.2
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                self._listening = True
                backoff = 0.2
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("Redis subscription lost (%s); reconnecting in %.1fs", exc, backoff)
            finally:
                self._listening = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _deliver(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            if message.get("origin") == self._origin:
                return  # delivered locally when published
            events = [parse_event(item) for item in message["events"]]
            sent = float(message.get("sent", 0.0))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed message on %s", self.channel)
            return
        await self._local.publish(events)
        if sent:
            self.on_lag(max(0.0, time.time() - sent))
