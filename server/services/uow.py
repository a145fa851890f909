"""One command's transaction: its changes, its audit rows and its events commit together."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.events import Event, QueueSummary
from server.services.actor import Actor
from server.services.catalog import Catalog
from server.store import models as m

# Built once: every command takes its site's sequence numbers with it, and appends audit rows
# and events. The statements name the tables, not the mapped classes: the ORM's bulk path costs
# more than the rows themselves.
_AUDIT_INSERT = insert(m.AuditEntry.core_table())
_EVENT_INSERT = insert(m.EventRecord.core_table())
_REMEMBER = insert(m.IdempotencyRecord.core_table())
_SITES = m.Site.core_table()
_TAKE_SEQUENCE = (update(_SITES).where(_SITES.c.id == bindparam("site_id"))
                  .values(last_event_seq=_SITES.c.last_event_seq + bindparam("count"))
                  .returning(_SITES.c.last_event_seq))

# On PostgreSQL one statement takes a site's sequence numbers and writes the numbered events,
# the audit rows and the idempotency record: each statement is a round trip to the database,
# and the rows of a command are few. Rows come in as arrays, one element per row; each event's
# payload gets its number in the statement, as the row does.
_SEAL_POSTGRES = text("""
WITH taken AS (
    UPDATE sites SET last_event_seq = last_event_seq + CAST(:event_count AS BIGINT)
    WHERE id = CAST(:event_site_id AS BIGINT)
    RETURNING last_event_seq - CAST(:event_count AS BIGINT) AS before
), logged AS (
    INSERT INTO events (site_id, seq, type, at, payload)
    SELECT CAST(:event_site_id AS BIGINT), taken.before + e.n, e.type,
           CAST(:at AS TIMESTAMPTZ),
           CAST(jsonb_set(CAST(e.payload AS JSONB), '{seq}', to_jsonb(taken.before + e.n))
                AS JSON)
    FROM taken, unnest(CAST(:event_types AS VARCHAR[]), CAST(:event_payloads AS JSON[]))
                WITH ORDINALITY AS e(type, payload, n)
), audited AS (
    INSERT INTO audit_log (site_id, at, actor_type, actor_id, actor_name, action, ticket_id,
                           counter_id, reason, details)
    SELECT a.site_id, CAST(:at AS TIMESTAMPTZ), CAST(:actor_type AS VARCHAR),
           CAST(:actor_id AS BIGINT), CAST(:actor_name AS VARCHAR), a.action, a.ticket_id,
           a.counter_id, a.reason, a.details
    FROM unnest(CAST(:audit_site_ids AS BIGINT[]), CAST(:audit_actions AS VARCHAR[]),
                CAST(:audit_ticket_ids AS BIGINT[]), CAST(:audit_counter_ids AS BIGINT[]),
                CAST(:audit_reasons AS TEXT[]), CAST(:audit_details AS JSON[]))
         AS a(site_id, action, ticket_id, counter_id, reason, details)
), remembered AS (
    INSERT INTO idempotency_keys (principal, key, fingerprint, status_code, body, created_at)
    SELECT CAST(:principal AS VARCHAR), CAST(:key AS VARCHAR), CAST(:fingerprint AS VARCHAR),
           CAST(:status_code AS INTEGER), CAST(:body AS JSON), CAST(:at AS TIMESTAMPTZ)
    WHERE CAST(:remember AS BOOLEAN)
)
SELECT before FROM taken
""")


class UnitOfWork:
    def __init__(self, session: AsyncSession, catalog: Catalog, now: datetime, actor: Actor) -> None:
        self.session = session
        self.catalog = catalog
        self.now = now
        self.actor = actor
        self._events: list[tuple[int, Event]] = []
        self._audit_rows: list[dict[str, Any]] = []
        self._touched_services: set[int] = set()
        self._lines_as_read: dict[int, tuple[tuple[int, int], set[int]]] = {}
        self._service_times: dict[int, list[float]] = defaultdict(list)

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def service_time(self, service_id: int, minutes: float) -> None:
        """A ticket was served in ``minutes``: the estimates take it once the change stands,
        never from a transaction that rolls back (and may run again); this command's own
        queue summaries count it already."""
        self._service_times[service_id].append(minutes)

    def committed(self) -> None:
        from server.services.queries import SERVICE_TIMES  # local: queries imports uow types

        for service_id, samples in self._service_times.items():
            for minutes in samples:
                SERVICE_TIMES.record(service_id, minutes)

    def emit(self, site_id: int, event: Event) -> None:
        self._events.append((site_id, event))

    def touch_queue(self, service_id: int, *,
                    as_read: tuple[tuple[int, int], set[int]] | None = None) -> None:
        """A service's waiting line changed: a queue.summary goes out with this commit.

        ``as_read``: the line's waiting tickets (all, priority) and the site's open counters,
        read after the change, so that the seal need not read them again."""
        self._touched_services.add(service_id)
        if as_read is not None:
            self._lines_as_read[service_id] = as_read
        else:  # changed again since it was read: the seal reads it
            self._lines_as_read.pop(service_id, None)

    def audit(self, site_id: int | None, action: str, *, ticket_id: int | None = None,
              counter_id: int | None = None, reason: str | None = None, **details: Any) -> None:
        # Rows, not ORM objects: nothing reads them back in the command, and one bulk insert
        # at the seal costs less than the unit of work's bookkeeping for each.
        self._audit_rows.append({
            "site_id": site_id, "at": self.now, "actor_type": self.actor.kind,
            "actor_id": self.actor.id, "actor_name": self.actor.name, "action": action,
            "ticket_id": ticket_id, "counter_id": counter_id, "reason": reason,
            "details": details,
        })

    async def seal(self, remember: dict[str, Any] | None = None) -> list[Event]:
        """Number the events per site; write them to the log with the audit rows and, given
        ``remember``, the idempotency record, inside the transaction.

        Taking the site's sequence last keeps its row lock short, and because the lock is held
        until commit, sequence order is commit order.
        """
        # local: queries imports uow types
        from server.services.queries import queue_summaries, summaries_of

        if self._events and any(site.notify.enabled for site in self.catalog.sites.values()):
            # The messages the events make due, in this transaction (see services.outbox).
            from server.services.outbox import derive

            await derive(self, self._events)

        by_site: dict[int, list[int]] = defaultdict(list)
        for service_id in sorted(self._touched_services):
            by_site[self.catalog.services[service_id].site_id].append(service_id)
        for site_id, service_ids in by_site.items():
            if all(service_id in self._lines_as_read for service_id in service_ids):
                counts = {service_id: self._lines_as_read[service_id][0]
                          for service_id in service_ids}
                open_ids = self._lines_as_read[service_ids[-1]][1]
                queues = summaries_of(self.catalog, service_ids, counts, open_ids,
                                      self._service_times)
            else:
                queues = await queue_summaries(self.session, self.catalog, service_ids,
                                               self.now, self._service_times)
            site = self.catalog.sites[site_id]
            self.emit(site_id, QueueSummary(site=site.code, at=self.now, queues=queues))

        grouped: dict[int, list[Event]] = defaultdict(list)
        for site_id, event in self._events:
            grouped[site_id].append(event)
        if self.dialect == "postgresql" and len(grouped) <= 1:
            return await self._seal_postgres(grouped, remember)
        sealed: list[tuple[int, Event]] = []  # with the site of each
        for site_id in sorted(grouped):  # one order of locks for every command
            events = grouped[site_id]
            last = (await self.session.execute(
                _TAKE_SEQUENCE, {"site_id": site_id, "count": len(events)})).scalar_one()
            first = last - len(events) + 1
            sealed += ((site_id, event.model_copy(update={"seq": first + offset}))
                       for offset, event in enumerate(events))
        if self._audit_rows:
            await self.session.execute(_AUDIT_INSERT, self._audit_rows)
        if sealed:
            await self.session.execute(_EVENT_INSERT, [
                {"site_id": site_id, "seq": event.seq, "type": event.type, "at": self.now,
                 "payload": event.model_dump(mode="json")} for site_id, event in sealed])
        if remember is not None:
            await self.session.execute(_REMEMBER, [remember])
        return [event for _, event in sealed]

    async def _seal_postgres(self, grouped: dict[int, list[Event]],
                             remember: dict[str, Any] | None) -> list[Event]:
        """The seal of a command whose events are of one site (nearly all), in one statement."""
        site_id, events = next(iter(grouped.items()), (None, []))
        audit = self._audit_rows
        if not (audit or events or remember):
            return []
        before = (await self.session.execute(_SEAL_POSTGRES, {
            "at": self.now, "event_site_id": site_id, "event_count": len(events),
            "event_types": [event.type for event in events],
            "event_payloads": [event.model_dump_json() for event in events],
            "actor_type": self.actor.kind, "actor_id": self.actor.id,
            "actor_name": self.actor.name,
            "audit_site_ids": [row["site_id"] for row in audit],
            "audit_actions": [row["action"] for row in audit],
            "audit_ticket_ids": [row["ticket_id"] for row in audit],
            "audit_counter_ids": [row["counter_id"] for row in audit],
            "audit_reasons": [row["reason"] for row in audit],
            "audit_details": [json.dumps(row["details"]) for row in audit],
            "remember": remember is not None,
            **(remember or {"principal": None, "key": None, "fingerprint": None,
                            "status_code": None}),
            "body": json.dumps(remember["body"]) if remember else None,
        })).scalar_one_or_none()
        if not events:
            return []
        assert before is not None, "a site with events has a sequence"
        return [event.model_copy(update={"seq": before + offset})
                for offset, event in enumerate(events, start=1)]
