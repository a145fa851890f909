"""Counter commands: open, pause, resume, close."""

from __future__ import annotations

import logging

from common.protocol.events import CounterStateChanged
from common.protocol.models import CounterOut, CounterState
from server.services.errors import Conflict
from server.services.queries import today
from server.services.tickets import authorize_counter, counter_ref, load_counter_row
from server.services.uow import UnitOfWork
from server.services.views import counter_out, served_today
from server.store import models as m

log = logging.getLogger(__name__)

NEW_STATE: dict[str, CounterState] = {
    "open": "open", "pause": "paused", "resume": "open", "close": "closed"}
ALLOWED = {
    "open": {"closed", "paused", "open"},
    "pause": {"open"},
    "resume": {"paused"},
    "close": {"open", "paused", "closed"},
}


async def change_state(uow: UnitOfWork, counter_id: int, command: str,
                       reason: str | None = None) -> CounterOut:
    counter = uow.catalog.counter(counter_id)
    authorize_counter(uow.actor, counter, uow.catalog)
    row = await load_counter_row(uow, counter_id)
    if row.state not in ALLOWED[command]:
        raise Conflict(f"{counter.name} berstatus {row.state}; tidak bisa {command}.",
                       f"{counter.name} is {row.state}; it cannot {command}.",
                       code="illegal_counter_state", state=row.state)
    if command in ("pause", "close") and row.current_ticket_id is not None:
        raise Conflict(f"Selesaikan dulu tiket yang sedang dilayani di {counter.name}.",
                       f"Finish, transfer or mark no-show the current ticket at {counter.name} first.",
                       code="ticket_in_hand")
    new_state = NEW_STATE[command]
    row.state = new_state
    row.state_changed_at = uow.now
    row.pause_reason = reason if command == "pause" else None
    if command == "open" and uow.actor.kind == "officer":
        row.officer_id = uow.actor.id
    if command == "close":
        row.officer_id = None
        row.consecutive_priority = 0
        row.regular_since_priority = None
    officer_name: str | None = None
    if row.officer_id is not None:
        officer = await uow.session.get(m.Officer, row.officer_id)
        officer_name = officer.name if officer else None
    site = uow.catalog.sites[counter.site_id]
    uow.audit(site.id, f"counter.{command}", counter_id=counter.id, reason=reason)
    uow.emit(site.id, CounterStateChanged(site=site.code, at=uow.now,
                                          counter=counter_ref(uow, counter), state=new_state,
                                          pause_reason=row.pause_reason, officer=officer_name))
    for service_id in counter.weights:  # open capacity changes every estimate
        uow.touch_queue(service_id)
    log.info("%s %s by %s", counter.name, new_state, uow.actor.name)
    served = await served_today(uow.session, counter.site_id,
                                today(uow.catalog, counter.site_id, uow.now))
    return counter_out(uow.catalog, counter, row, officer_name, served.get(counter.id, 0))
