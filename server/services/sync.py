"""Apply a hall's configuration file to the store: upsert by code, never touch tickets.

What the file no longer lists is deactivated rather than deleted, so history keeps its names.
Officers and devices added from the command line are left alone.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.config.hall import HallConfig
from server.services.security import hash_password, token_hash
from server.store import models as m

log = logging.getLogger(__name__)


async def apply_hall(session: AsyncSession, hall: HallConfig, now: datetime,
                     *, always_open: bool = False) -> m.Site:
    cfg = hall.site
    site = await session.scalar(select(m.Site).where(m.Site.code == cfg.code))
    if site is None:
        site = m.Site(code=cfg.code, last_event_seq=0)
        session.add(site)
    site.name, site.name_en, site.timezone = cfg.name, cfg.name_en, cfg.timezone
    site.public_base_url = cfg.public_base_url or ""  # empty: the server's own address
    site.always_open = cfg.always_open or always_open
    site.hours = {str(day): text for day, text in cfg.hours.items()}
    site.holidays = [d.isoformat() for d in cfg.holidays]
    site.running_text = cfg.running_text
    # The visit rules go with the dispatch's: both say who goes where next.
    site.dispatch = {**cfg.dispatch.model_dump(), "visits": {
        **cfg.visits.model_dump(),
        "needs": {item.code: list(item.needs) for item in hall.service if item.needs}}}
    site.reservation_seconds = cfg.reservation_seconds
    site.voice = cfg.voice.model_dump()
    site.notify = cfg.notify.model_dump()
    site.online = cfg.online.model_dump()
    await session.flush()

    agencies = {a.code: a for a in (await session.scalars(
        select(m.Agency).where(m.Agency.site_id == site.id))).all()}
    for a in agencies.values():
        a.active = False
    for position, agency_cfg in enumerate(hall.agency):
        agency = agencies.get(agency_cfg.code) or m.Agency(site_id=site.id, code=agency_cfg.code)
        agency.name, agency.name_en, agency.color, agency.icon = (
            agency_cfg.name, agency_cfg.name_en, agency_cfg.color, agency_cfg.icon)
        agency.position = position
        agency.active = True
        session.add(agency)
        agencies[agency_cfg.code] = agency
    await session.flush()

    services = {s.code: s for s in (await session.scalars(
        select(m.Service).where(m.Service.site_id == site.id))).all()}
    for s in services.values():
        s.active = False
    for position, item in enumerate(hall.service):
        service = services.get(item.code) or m.Service(site_id=site.id, code=item.code)
        service.position = position
        service.agency_id = agencies[item.agency].id
        service.prefix, service.name, service.name_en = item.prefix, item.name, item.name_en
        service.requirements, service.requirements_en = list(item.requirements), list(
            item.requirements_en)
        service.fee, service.fee_note, service.fee_note_en = item.fee, item.fee_note, item.fee_note_en
        service.sla_minutes, service.service_minutes = item.sla_minutes, item.service_minutes
        service.daily_quota, service.hours = item.daily_quota, item.hours
        service.online = item.online.model_dump()
        service.active = True
        session.add(service)
        services[item.code] = service
    await session.flush()

    counters = {c.number: c for c in (await session.scalars(
        select(m.Counter).where(m.Counter.site_id == site.id))).all()}
    for c in counters.values():
        c.active = False
    for counter_cfg in hall.counter:
        counter = counters.get(counter_cfg.number) or m.Counter(
            site_id=site.id, number=counter_cfg.number, state="closed")
        counter.agency_id = agencies[counter_cfg.agency].id
        counter.name = counter_cfg.name or f"Loket {counter_cfg.number}"
        counter.bus_address = counter_cfg.bus_address
        counter.active = True
        session.add(counter)
        counters[counter_cfg.number] = counter
    await session.flush()
    await session.execute(delete(m.CounterService).where(
        m.CounterService.counter_id.in_([c.id for c in counters.values()])))
    for counter_cfg in hall.counter:
        for code, weight in counter_cfg.services.items():
            session.add(m.CounterService(counter_id=counters[counter_cfg.number].id,
                                         service_id=services[code].id, weight=weight))

    await session.execute(delete(m.Zone).where(m.Zone.site_id == site.id))
    for zone in hall.zone:
        session.add(m.Zone(site_id=site.id, code=zone.code, name=zone.name,
                           agency_codes=list(zone.agencies)))

    for device_cfg in hall.device:
        device = await session.scalar(select(m.Device).where(
            m.Device.site_id == site.id, m.Device.name == device_cfg.name))
        if device is None:
            if device_cfg.token is None:
                continue  # provisioned later with `antrean device add`
            device = m.Device(site_id=site.id, name=device_cfg.name, created_at=now, active=True)
            session.add(device)
        device.kind, device.zone_code = device_cfg.kind, device_cfg.zone
        device.counter_id = (counters[device_cfg.counter].id
                             if device_cfg.counter is not None else None)
        if device_cfg.token is not None:
            device.token_hash = token_hash(device_cfg.token)

    for officer_cfg in hall.officer:
        officer = await session.scalar(
            select(m.Officer).where(m.Officer.username == officer_cfg.username))
        if officer is None:
            officer = m.Officer(username=officer_cfg.username, created_at=now, active=True)
            session.add(officer)
        officer.name, officer.role, officer.site_id = officer_cfg.name, officer_cfg.role, site.id
        officer.agency_id = agencies[officer_cfg.agency].id if officer_cfg.agency else None
        if officer_cfg.password is not None and officer.password_hash is None:
            officer.password_hash = hash_password(officer_cfg.password)
    await session.flush()
    log.info("applied hall %s: %d agencies, %d services, %d counters", cfg.code,
             len(hall.agency), len(hall.service), len(hall.counter))
    return site
