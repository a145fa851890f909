"""Runs one command: authenticate nothing, decide nothing; open the transaction, honour the
Idempotency-Key, let the command work through a UnitOfWork, commit, then publish its events.

Events are published only after the commit, so nobody hears of a change that could still roll
back; the audit rows and the event log rows commit in the same transaction as the change.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, delete, select, tuple_
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.events import Event
from server.realtime.bus import EventBus
from server.services.actor import Actor
from server.services.catalog import Catalog
from server.services.errors import DomainError, Invalid
from server.services.uow import UnitOfWork
from server.store import models as m
from server.store.db import Database

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Command = Callable[[UnitOfWork], Awaitable[BaseModel | None]]


# Built once: asked when a command's key may have been used before (see run); the seal adds
# the record of each command that has a key.
_SEEN = select(m.IdempotencyRecord.fingerprint, m.IdempotencyRecord.status_code,
               m.IdempotencyRecord.body).where(
    m.IdempotencyRecord.principal == bindparam("principal"),
    m.IdempotencyRecord.key == bindparam("key"))


# A retry with the same key gets the first answer within this window; after it the key and
# its answer are deleted (each is about a kilobyte, and a busy hall sends thousands a day).
KEYS_KEPT = timedelta(hours=48)
FORGET_AT_ONCE = 5_000  # keys deleted per housekeeping round: short transactions

ATTEMPTS = 3
_TRANSIENT_STATES = ("40P01", "40001")  # PostgreSQL: deadlock detected, serialization failure


def is_transient(exc: DBAPIError) -> bool:
    """Whether the database rolled the transaction back for a reason a retry clears."""
    return getattr(exc.orig, "sqlstate", None) in _TRANSIENT_STATES


def utc_now() -> datetime:
    return datetime.now(UTC)


async def forget_old_keys(session: AsyncSession, now: datetime, kept: timedelta = KEYS_KEPT,
                          at_once: int = FORGET_AT_ONCE) -> int:
    """Delete up to ``at_once`` Idempotency-Keys older than ``kept``, oldest first; how many."""
    record = m.IdempotencyRecord
    oldest = (select(record.principal, record.key).where(record.created_at < now - kept)
              .order_by(record.created_at).limit(at_once))
    result = await session.execute(
        delete(record).where(tuple_(record.principal, record.key).in_(oldest)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    """What the client gets: a status and a JSON body (None for 204 No Content)."""

    status: int
    body: dict[str, Any] | None
    replayed: bool = False


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str, method: str, path: str, body: object) -> Idempotency:
        canonical = json.dumps([method, path, body], sort_keys=True, default=str)
        return cls(key, hashlib.sha256(canonical.encode()).hexdigest())


class CommandRunner:
    def __init__(self, db: Database, catalog: Catalog, bus: EventBus, clock: Clock = utc_now,
                 on_committed: Callable[[Sequence[Event]], None] = lambda events: None):
        """``on_committed``: told of each command's events once they stand (the metrics)."""
        self.db = db
        self.catalog = catalog
        self.bus = bus
        self.clock = clock
        self.on_committed = on_committed

    async def run(self, actor: Actor, command: Command, *, created: bool = False,
                  idempotency: Idempotency | None = None) -> Outcome:
        # A key is looked up only when the command could not stand without it: a key seen
        # before is rare (a retry after a lost answer), and looking first costs every request
        # a statement. The record goes in at the seal; a key already there breaks the unique
        # constraint, the whole transaction rolls back, and the second run answers as the
        # first did.
        look_first = False
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await self._run_once(actor, command, created, idempotency, look_first)
            except IntegrityError:
                if idempotency is None or look_first:
                    raise
                log.info("idempotency key %r was used before; the repeat is undone and the "
                         "first answer given", idempotency.key)
                look_first = True
            except DomainError:
                if idempotency is None or look_first:
                    raise
                # The refusal may be of a repeat (finishing a ticket twice): a repeat gets
                # the first answer, and anything else the refusal, made again.
                look_first = True
            except DBAPIError as exc:
                # The database undid the whole transaction to break a cycle of waits: nothing
                # of it stands, so running it again is safe.
                if not is_transient(exc) or attempt == ATTEMPTS:
                    raise
                log.warning("a command was rolled back (%s); running it again", exc.orig)
        return await self._run_once(actor, command, created, idempotency, look_first=True)

    async def _run_once(self, actor: Actor, command: Command, created: bool,
                        idempotency: Idempotency | None, look_first: bool) -> Outcome:
        async with self.db.write() as session:
            now = self.clock()
            if idempotency is not None and look_first:
                seen = (await session.execute(_SEEN, {"principal": actor.principal,
                                                      "key": idempotency.key})).first()
                if seen is not None:
                    if seen.fingerprint != idempotency.fingerprint:
                        raise Invalid(
                            "Kunci Idempotency-Key ini sudah dipakai untuk permintaan lain.",
                            "This Idempotency-Key was already used for a different request.",
                            code="idempotency_key_reused")
                    body = seen.body if seen.status_code != 204 else None
                    return Outcome(seen.status_code, body, replayed=True)
            uow = UnitOfWork(session, self.catalog, now, actor)
            result = await command(uow)
            body = result.model_dump(mode="json") if result is not None else None
            status = 204 if result is None else (201 if created else 200)
            events = await uow.seal(remember=None if idempotency is None else {
                "principal": actor.principal, "key": idempotency.key,
                "fingerprint": idempotency.fingerprint, "status_code": status,
                "body": body or {}, "created_at": now})
        uow.committed()
        self.on_committed(events)
        await self.bus.publish(events)
        return Outcome(status, body)

    async def maintain(self, actor: Actor,
                       work: Callable[[UnitOfWork], Awaitable[int]]) -> int:
        """Housekeeping (expiring reservations and past days) in its own transaction."""
        async with self.db.write(background=True) as session:
            uow = UnitOfWork(session, self.catalog, self.clock(), actor)
            changed = await work(uow)
            events = await uow.seal()
        uow.committed()
        self.on_committed(events)
        await self.bus.publish(events)
        return changed
