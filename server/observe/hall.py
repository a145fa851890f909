"""The server's metrics: what each process counts as tickets move (``ServerMetrics``), and what
the store and the hub hold, read when someone scrapes (``hall_families``).

Counting happens after a command commits, from the events it released (one dictionary update
per event); the store is read only on a scrape, a few grouped statements for the whole server.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.events import Event, TicketCalled, TicketFinished, TicketIssued, TicketNoShow
from server import __version__
from server.domain.numbering import service_day
from server.domain.tickets import TicketStatus
from server.observe.metrics import Counter, Family, Pool, Registry
from server.realtime.hub import Hub
from server.services.catalog import Catalog
from server.store import models as m

if TYPE_CHECKING:
    from server.region.uplink import Uplink

log = logging.getLogger(__name__)

# Event-bus lag, from a commit in one process to its delivery in another: milliseconds when
# all is well, seconds when Redis or a process stalls.
BUS_LAG_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
_TICKET_EVENTS = (TicketIssued, TicketCalled, TicketFinished, TicketNoShow)


class ServerMetrics:
    """One process's own figures; ``pool_dir`` when it is one of several workers."""

    def __init__(self, pool_dir: Path | None = None) -> None:
        self.registry = registry = Registry()
        per_line = ("site", "service")
        self.issued = registry.counter(
            "antrean_tickets_issued_total", "Tickets issued (numbers given out)", per_line)
        self.called = registry.counter(
            "antrean_tickets_called_total", "Tickets called to a counter (recalls not counted)",
            per_line)
        self.finished = registry.counter(
            "antrean_tickets_finished_total", "Tickets served to the end", per_line)
        self.no_shows = registry.counter(
            "antrean_tickets_no_show_total", "Tickets called whose citizen did not come", per_line)
        self.call_next = registry.histogram(
            "antrean_call_next_duration_seconds",
            "Time to answer a call-next, from the request's arrival to its answer")
        self.issue = registry.histogram(
            "antrean_issue_duration_seconds", "Time to answer a ticket issue")
        self.bus_lag = registry.histogram(
            "antrean_event_bus_lag_seconds",
            "From another process publishing committed events to their delivery here",
            BUS_LAG_BUCKETS)
        self.websockets = registry.gauge(
            "antrean_websocket_connections", "Open WebSocket connections (displays, counters, "
            "kiosks, other software)")
        self.log_fills = registry.counter(
            "antrean_event_log_fills_total",
            "Times events had to be read from the event log because the bus had not brought "
            "them in time (out of order, or lost while Redis reconnected)")
        self._counted: dict[str, Counter] = {
            "ticket.issued": self.issued, "ticket.called": self.called,
            "ticket.finished": self.finished, "ticket.no_show": self.no_shows}
        self.pool = Pool(pool_dir) if pool_dir is not None else None

    def committed(self, events: Sequence[Event]) -> None:
        """A command of this process committed: count its tickets' moves."""
        for event in events:
            if isinstance(event, _TICKET_EVENTS):
                self._counted[event.type].inc(event.site, event.ticket.service)

    def _levels(self, hub: Hub) -> None:
        self.websockets.set(hub.connection_count)
        self.log_fills.mirror(hub.sequencer.fills)

    def share(self, hub: Hub) -> None:
        """Write this worker's figures for the others (a no-op when serving alone)."""
        if self.pool is None:
            return
        self._levels(hub)
        try:
            self.pool.write(self.registry.snapshot())
        except OSError as exc:
            log.warning("could not share this worker's metrics: %s", exc)

    def own_families(self, hub: Hub) -> list[Family]:
        self._levels(hub)
        if self.pool is None:
            return self.registry.families([(None, self.registry.snapshot())])
        self.share(hub)
        return self.registry.families(self.pool.read())

    def close(self) -> None:
        if self.pool is not None:
            self.pool.remove()


# ---------------------------------------------------------------- read on a scrape

_WAITING = (select(m.Ticket.service_id, m.Ticket.service_day, func.count())
            .where(m.Ticket.status == TicketStatus.WAITING)
            .group_by(m.Ticket.service_id, m.Ticket.service_day))
_LAST_NUMBERS = (select(m.DailySequence.service_id, m.DailySequence.service_day,
                        m.DailySequence.last_sequence)
                 .where(m.DailySequence.service_day.in_(bindparam("days", expanding=True))))
_COUNTERS = (select(m.Counter.site_id, m.Counter.state, func.count())
             .where(m.Counter.active).group_by(m.Counter.site_id, m.Counter.state))
_DEVICE_STATES = (select(m.Device.site_id, m.Device.name, m.Device.kind,
                         m.DeviceStatus.component, m.DeviceStatus.state)
                  .join(m.DeviceStatus, m.DeviceStatus.device_id == m.Device.id)
                  .where(m.Device.active))
_DEVICES_SEEN = (select(m.Device.site_id, m.Device.name, m.Device.kind, m.Device.last_seen_at)
                 .where(m.Device.active, m.Device.last_seen_at.is_not(None)))
_STATES = ("open", "paused", "closed")


async def hall_families(session: AsyncSession, catalog: Catalog, now: datetime) -> list[Family]:
    """Waiting lines, numbers issued today, counters by state and devices' reported states."""
    days = {site.id: service_day(now, site.timezone) for site in catalog.sites.values()}
    waiting = Family("antrean_tickets_waiting", "gauge",
                     "Tickets waiting in a service's line now (today's, confirmed)")
    counts = {(service_id, day): total
              for service_id, day, total in (await session.execute(_WAITING)).all()}
    issued_today = Family("antrean_tickets_issued_today", "gauge",
                          "Numbers a service has given out today (the site's service day)")
    last_numbers = {}
    if days:
        rows = await session.execute(_LAST_NUMBERS, {"days": sorted(set(days.values()))})
        last_numbers = {(service_id, day): last for service_id, day, last in rows.all()}
    for service in (s for s in catalog.services.values() if s.site_id in days):
        code = catalog.sites[service.site_id].code
        day = days[service.site_id]
        waiting.add(counts.get((service.id, day), 0), site=code, service=service.code)
        issued_today.add(last_numbers.get((service.id, day), 0), site=code, service=service.code)

    counters = Family("antrean_counters", "gauge", "Counters by state")
    by_state = {(site_id, state): n for site_id, state, n in
                (await session.execute(_COUNTERS)).all()}
    for site in catalog.sites.values():
        for state in _STATES:
            counters.add(by_state.get((site.id, state), 0), site=site.code, state=state)

    devices = Family("antrean_device_state", "gauge",
                     "1 for the state a device last reported for a component (its printer, "
                     "its audio...)")
    for site_id, name, kind, component, state in (await session.execute(_DEVICE_STATES)).all():
        if site_id in catalog.sites:
            devices.add(1, site=catalog.sites[site_id].code, device=name, kind=kind,
                        component=component, state=state)
    seen = Family("antrean_device_last_report_timestamp_seconds", "gauge",
                  "When a device last reported its state (Unix time)")
    for site_id, name, kind, at in (await session.execute(_DEVICES_SEEN)).all():
        if site_id in catalog.sites and at is not None:
            seen.add(at.timestamp(), site=catalog.sites[site_id].code, device=name, kind=kind)
    return [waiting, issued_today, counters, devices, seen]


async def uplink_families(uplink: Uplink) -> list[Family]:
    """A site server's link to its centre: what its outbox holds unsent, and the link's state."""
    status = await uplink.status()
    backlog = Family("antrean_outbox_backlog", "gauge",
                     "Changes captured in the outbox that the centre has not acknowledged yet")
    backlog.add(status.backlog)
    state = Family("antrean_uplink_state", "gauge", "1 for the state of the link to the centre")
    state.add(1, state=status.state)
    families = [backlog, state]
    if status.last_contact_at is not None:
        contact = Family("antrean_uplink_last_contact_timestamp_seconds", "gauge",
                         "When the centre last answered (Unix time)")
        contact.add(status.last_contact_at.timestamp())
        families.append(contact)
    return families


def build_info(database: str, schema: str | None) -> Family:
    info = Family("antrean_build_info", "gauge", "The running version, its store and schema")
    info.add(1, version=__version__, database=database, schema=schema or "")
    return info
