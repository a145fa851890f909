"""What devices report about themselves: a kiosk's printer out of paper, a display gone."""

from __future__ import annotations

import logging

from sqlalchemy import select

from common.protocol.events import DeviceStatusChanged
from common.protocol.models import DeviceStatusRequest
from server.services.errors import Forbidden
from server.services.uow import UnitOfWork
from server.store import models as m

log = logging.getLogger(__name__)


async def report_status(uow: UnitOfWork, report: DeviceStatusRequest) -> None:
    """Store the component's state; tell the hall only when it changed."""
    actor = uow.actor
    if actor.kind != "device" or actor.id is None or actor.site_id is None:
        raise Forbidden("Hanya perangkat yang melaporkan statusnya.",
                        "Only a device reports its own status.")
    device = await uow.session.get_one(m.Device, actor.id)
    device.last_seen_at = uow.now
    row = await uow.session.scalar(select(m.DeviceStatus).where(
        m.DeviceStatus.device_id == actor.id, m.DeviceStatus.component == report.component))
    if row is not None and row.state == report.state and row.detail == report.detail:
        return
    if row is None:
        row = m.DeviceStatus(device_id=actor.id, component=report.component)
        uow.session.add(row)
    row.state, row.detail, row.updated_at = report.state, report.detail, uow.now
    site = uow.catalog.sites[actor.site_id]
    uow.audit(site.id, "device.status", component=report.component, state=report.state,
              detail=report.detail)
    uow.emit(site.id, DeviceStatusChanged(
        site=site.code, at=uow.now, device=device.name,
        kind=device.kind,  # type: ignore[arg-type]
        component=report.component, state=report.state, detail=report.detail))
    log.log(logging.INFO if report.state == "ok" else logging.WARNING,
            "%s %s: %s %s", device.kind, device.name, report.component, report.state)
