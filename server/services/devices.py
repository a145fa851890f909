"""What devices report about themselves: a kiosk's printer out of paper, a display gone."""

from __future__ import annotations

import hashlib
import logging
import secrets

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


MODEM_DEVICE = "sms-modem"


async def report_modem(uow: UnitOfWork, site_id: int, state: str, detail: str) -> int:
    """The server's own SMS modem, as staff see a device: a device row of kind ``modem`` (made
    on its first report; it has no usable token) and its ``modem`` component's state. 1 when
    the state changed."""
    site = uow.catalog.sites[site_id]
    device = await uow.session.scalar(select(m.Device).where(
        m.Device.site_id == site_id, m.Device.name == MODEM_DEVICE))
    if device is None:
        device = m.Device(site_id=site_id, kind="modem", name=MODEM_DEVICE, active=True,
                          token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                          created_at=uow.now)
        uow.session.add(device)
        await uow.session.flush()
    device.last_seen_at = uow.now
    row = await uow.session.get(m.DeviceStatus, (device.id, "modem"))
    if row is not None and row.state == state and row.detail == detail:
        return 0
    if row is None:
        row = m.DeviceStatus(device_id=device.id, component="modem")
        uow.session.add(row)
    row.state, row.detail, row.updated_at = state, detail, uow.now
    uow.audit(site_id, "device.status", component="modem", state=state, detail=detail)
    uow.emit(site_id, DeviceStatusChanged(site=site.code, at=uow.now, device=MODEM_DEVICE,
                                          kind="modem", component="modem", state=state,
                                          detail=detail))
    log.log(logging.INFO if state == "ok" else logging.WARNING, "SMS modem: %s %s", state, detail)
    return 1
