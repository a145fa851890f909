"""Reading and pruning the durable event log (the ``events`` table).

The service layer appends to the log inside each command's transaction (``UnitOfWork.seal``);
this module reads it back for replay and gap filling, and keeps it to a bounded length per site.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.events import Event, parse_event
from server.store import models as m

PAGE = 500


async def last_seqs(session: AsyncSession) -> dict[int, int]:
    """Every site's last assigned sequence number."""
    rows = await session.execute(select(m.Site.id, m.Site.last_event_seq))
    return {site_id: int(seq or 0) for site_id, seq in rows.all()}


async def last_seq(session: AsyncSession, site_id: int) -> int:
    seq = await session.scalar(select(m.Site.last_event_seq).where(m.Site.id == site_id))
    return int(seq or 0)


async def oldest_seq(session: AsyncSession, site_id: int) -> int | None:
    """The oldest event the log still keeps for the site (None when it keeps none)."""
    seq = await session.scalar(select(func.min(m.EventRecord.seq))
                               .where(m.EventRecord.site_id == site_id))
    return int(seq) if seq is not None else None


async def can_replay(session: AsyncSession, site_id: int, since: int) -> bool:
    """Whether every event after ``since`` is still in the log."""
    last = await last_seq(session, site_id)
    if since > last:
        return False  # the client knows a future this store never had: it needs a snapshot
    if since == last:
        return True
    oldest = await oldest_seq(session, site_id)
    return oldest is not None and oldest <= since + 1


async def events_between(session: AsyncSession, site_id: int, after: int,
                         before: int | None = None, limit: int = PAGE) -> list[Event]:
    """Events with ``after < seq < before``, in order, at most ``limit``."""
    query = (select(m.EventRecord.payload)
             .where(m.EventRecord.site_id == site_id, m.EventRecord.seq > after)
             .order_by(m.EventRecord.seq).limit(limit))
    if before is not None:
        query = query.where(m.EventRecord.seq < before)
    return [parse_event(payload) for payload in (await session.scalars(query)).all()]


async def prune(session: AsyncSession, keep: int, site_ids: Sequence[int] | None = None) -> int:
    """Delete all but the newest ``keep`` events of each site; returns how many went."""
    removed = 0
    for site_id, last in (await last_seqs(session)).items():
        if site_ids is not None and site_id not in site_ids:
            continue
        result = await session.execute(delete(m.EventRecord).where(
            m.EventRecord.site_id == site_id, m.EventRecord.seq <= last - keep))
        removed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return removed
