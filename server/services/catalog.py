"""The hall's static description (sites, agencies, services, counters), held in memory.

It changes only when the configuration is applied, so commands read it without a query; what
changes all day (counter state, tickets) always comes from the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.announce import Numbers, Wording
from common.protocol.models import AgencyOut
from server.domain.calendar import OpeningHours
from server.domain.dispatch import Policy
from server.domain.notify import NotifyRules, RateLimit
from server.domain.visits import DEFAULT_MAX_STOPS
from server.domain.visits import Rules as VisitRules
from server.services.errors import NotFound
from server.store import models as m


@dataclass(frozen=True)
class SiteVoice:
    """The hall's ``[site.voice]``: how calls are worded, and the voice pack that says them."""

    numbers: Numbers = "digits"
    pack: str | None = None
    agencies: tuple[tuple[str, str], ...] = ()  # (agency code, spoken name)

    @classmethod
    def of(cls, stored: dict[str, Any]) -> SiteVoice:
        return cls(numbers="words" if stored.get("numbers") == "words" else "digits",
                   pack=stored.get("pack") or None,
                   agencies=tuple(sorted((stored.get("agencies") or {}).items())))

    @property
    def wording(self) -> Wording:
        return Wording(self.numbers, dict(self.agencies))


@dataclass(frozen=True)
class SiteNotify:
    """The hall's ``[site.notify]``: the channel that carries its messages, and their rules."""

    channel: str = "none"  # "none", "modem", "webhook"
    rules: NotifyRules = field(default_factory=NotifyRules)
    retention_days: int = 7
    settings: tuple[tuple[str, Any], ...] = ()  # the channel's own (port, url, …)

    @classmethod
    def of(cls, stored: dict[str, Any]) -> SiteNotify:
        return cls(channel=str(stored.get("channel") or "none"),
                   rules=NotifyRules(ahead=int(stored.get("ahead", 3)),
                                     ahead_per_service=dict(stored.get("ahead_per_service") or {}),
                                     texts=dict(stored.get("texts") or {}),
                                     rate=RateLimit(per_hour=int(stored.get("per_hour", 10)))),
                   retention_days=int(stored.get("retention_days", 7)),
                   settings=tuple(sorted((k, v) for k, v in stored.items() if k.startswith(
                       ("modem_", "webhook_")))))

    @property
    def enabled(self) -> bool:
        return self.channel != "none"

    def setting(self, name: str, default: Any = None) -> Any:
        return dict(self.settings).get(name, default)


@dataclass(frozen=True)
class SiteOnline:
    """The hall's ``[site.online]`` (see docs/online.md)."""

    check_in_before_minutes: int = 30
    check_in_after_minutes: int = 15
    remote_grace_minutes: int = 15
    retention_days: int = 30

    @classmethod
    def of(cls, stored: dict[str, Any]) -> SiteOnline:
        return cls(**{k: int(v) for k, v in stored.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ServiceOnline:
    """A service's ``[service.online]``: how it is taken from a phone."""

    remote: bool = False
    booking: bool = False
    online_share: float = 0.0
    slot_minutes: int = 30
    slot_capacity: int | None = None
    booking_days_ahead: int = 7
    nik_required: bool = False
    active_per_person: int = 1

    @classmethod
    def of(cls, stored: dict[str, Any]) -> ServiceOnline:
        return cls(**{k: v for k, v in stored.items() if k in cls.__dataclass_fields__})

    @property
    def enabled(self) -> bool:
        return self.remote or self.booking


@dataclass(frozen=True)
class SiteInfo:
    id: int
    code: str
    name: str
    name_en: str | None
    timezone: str
    public_base_url: str
    running_text: str
    policy: Policy
    reservation_seconds: int
    opening: OpeningHours
    voice: SiteVoice = field(default_factory=SiteVoice)
    notify: SiteNotify = field(default_factory=SiteNotify)
    online: SiteOnline = field(default_factory=SiteOnline)
    visit_rules: VisitRules = field(default_factory=VisitRules)


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    site_id: int
    code: str
    name: str
    name_en: str | None
    color: str
    icon: str
    position: int = 0  # in the hall's file

    def out(self) -> AgencyOut:
        return AgencyOut(code=self.code, name=self.name, name_en=self.name_en,
                         color=self.color, icon=self.icon)


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    site_id: int
    agency_id: int
    code: str
    prefix: str
    name: str
    name_en: str | None
    requirements: tuple[str, ...]
    requirements_en: tuple[str, ...]
    fee: int
    fee_note: str
    fee_note_en: str
    sla_minutes: int
    service_minutes: float
    daily_quota: int | None
    opening: OpeningHours
    position: int = 0  # in the hall's file
    online: ServiceOnline = field(default_factory=ServiceOnline)


@dataclass(frozen=True)
class CounterInfo:
    id: int
    site_id: int
    agency_id: int
    number: int
    name: str
    bus_address: int | None
    weights: MappingProxyType[int, int]  # service id → weight


@dataclass(frozen=True)
class ZoneInfo:
    site_id: int
    code: str
    name: str
    agency_codes: frozenset[str]


@dataclass
class Catalog:
    sites: dict[int, SiteInfo] = field(default_factory=dict)
    agencies: dict[int, AgencyInfo] = field(default_factory=dict)
    services: dict[int, ServiceInfo] = field(default_factory=dict)
    counters: dict[int, CounterInfo] = field(default_factory=dict)
    zones: dict[tuple[int, str], ZoneInfo] = field(default_factory=dict)
    _site_by_code: dict[str, int] = field(default_factory=dict)
    _service_by_code: dict[tuple[int, str], int] = field(default_factory=dict)
    _counters_by_service: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    async def load(cls, session: AsyncSession, public_base_url: str = "") -> Catalog:
        """The catalogue as stored; ``public_base_url`` stands in for a site whose hall file
        names no address of its own (the server's, see ``server.public_address``)."""
        catalog = cls()
        for site in (await session.scalars(select(m.Site))).all():
            catalog.sites[site.id] = SiteInfo(
                id=site.id, code=site.code, name=site.name, name_en=site.name_en,
                timezone=site.timezone, public_base_url=(site.public_base_url or public_base_url).rstrip("/"),
                running_text=site.running_text, policy=_policy(site.dispatch),
                reservation_seconds=site.reservation_seconds,
                opening=OpeningHours.build(site.timezone, site.hours,
                                           [date.fromisoformat(d) for d in site.holidays],
                                           site.always_open),
                voice=SiteVoice.of(site.voice or {}),
                notify=SiteNotify.of(site.notify or {}),
                online=SiteOnline.of(site.online or {}),
                visit_rules=_visit_rules(site.dispatch.get("visits") or {}),
            )
            catalog._site_by_code[site.code] = site.id
        for agency in (await session.scalars(select(m.Agency).where(m.Agency.active))).all():
            catalog.agencies[agency.id] = AgencyInfo(
                agency.id, agency.site_id, agency.code, agency.name, agency.name_en,
                agency.color, agency.icon, agency.position)
        site_rows = {s.id: s for s in (await session.scalars(select(m.Site))).all()}
        for service in (await session.scalars(select(m.Service).where(m.Service.active))).all():
            site_row = site_rows[service.site_id]
            catalog.services[service.id] = ServiceInfo(
                id=service.id, site_id=service.site_id, agency_id=service.agency_id,
                code=service.code, prefix=service.prefix, name=service.name,
                name_en=service.name_en, requirements=tuple(service.requirements),
                requirements_en=tuple(service.requirements_en), fee=service.fee,
                fee_note=service.fee_note, fee_note_en=service.fee_note_en,
                sla_minutes=service.sla_minutes, position=service.position,
                service_minutes=service.service_minutes, daily_quota=service.daily_quota,
                opening=OpeningHours.build(site_row.timezone, site_row.hours,
                                           [date.fromisoformat(d) for d in site_row.holidays],
                                           site_row.always_open, service.hours),
                online=ServiceOnline.of(service.online or {}),
            )
            catalog._service_by_code[(service.site_id, service.code)] = service.id
        weights: dict[int, dict[int, int]] = defaultdict(dict)
        for link in (await session.scalars(select(m.CounterService))).all():
            if link.service_id in catalog.services:
                weights[link.counter_id][link.service_id] = link.weight
        for counter in (await session.scalars(select(m.Counter).where(m.Counter.active))).all():
            catalog.counters[counter.id] = CounterInfo(
                counter.id, counter.site_id, counter.agency_id, counter.number, counter.name,
                counter.bus_address, MappingProxyType(weights.get(counter.id, {})))
            for service_id in weights.get(counter.id, {}):
                catalog._counters_by_service.setdefault(service_id, []).append(counter.id)
        for zone in (await session.scalars(select(m.Zone))).all():
            catalog.zones[(zone.site_id, zone.code)] = ZoneInfo(
                zone.site_id, zone.code, zone.name, frozenset(zone.agency_codes))
        return catalog

    def site(self, code: str) -> SiteInfo:
        site_id = self._site_by_code.get(code)
        if site_id is None:
            raise NotFound(f"Gedung '{code}' tidak dikenal.", f"No site has the code '{code}'.",
                           code="unknown_site")
        return self.sites[site_id]

    def service(self, site_id: int, code: str) -> ServiceInfo:
        service_id = self._service_by_code.get((site_id, code))
        if service_id is None:
            raise NotFound(f"Layanan '{code}' tidak ditemukan.",
                           f"No service has the code '{code}' at this site.",
                           code="unknown_service")
        return self.services[service_id]

    def counter(self, counter_id: int) -> CounterInfo:
        counter = self.counters.get(counter_id)
        if counter is None:
            raise NotFound(f"Loket {counter_id} tidak ditemukan.",
                           f"No counter has the id {counter_id}.", code="unknown_counter")
        return counter

    def counters_for(self, service_id: int) -> list[int]:
        return self._counters_by_service.get(service_id, [])

    def site_services(self, site_id: int) -> list[ServiceInfo]:
        """The site's services agency by agency, both in the order of the hall's file."""
        def order(service: ServiceInfo) -> tuple[int, str, int, str]:
            agency = self.agencies[service.agency_id]
            return agency.position, agency.code, service.position, service.code

        return sorted((s for s in self.services.values() if s.site_id == site_id), key=order)

    def site_agencies(self, site_id: int) -> list[AgencyInfo]:
        """The site's agencies in the order of the hall's file."""
        return sorted((a for a in self.agencies.values() if a.site_id == site_id),
                      key=lambda a: (a.position, a.code))

    def site_counters(self, site_id: int) -> list[CounterInfo]:
        return sorted((c for c in self.counters.values() if c.site_id == site_id),
                      key=lambda c: c.number)


def _policy(raw: dict[str, Any]) -> Policy:
    return Policy(
        mode=raw.get("priority_policy", "interleave"),
        regular_per_priority=int(raw.get("regular_per_priority", 2)),
        max_consecutive_priority=int(raw.get("max_consecutive_priority", 3)),
        sla_ageing=float(raw.get("sla_ageing", 1.0)),
        max_consecutive_booked=int(raw.get("max_consecutive_booked", 2)),
    )


def _visit_rules(raw: dict[str, Any]) -> VisitRules:
    return VisitRules(
        max_stops=int(raw.get("max_stops", DEFAULT_MAX_STOPS)),
        order="shortest" if raw.get("order") == "shortest" else "plan",
        grace=timedelta(minutes=int(raw.get("grace_minutes", 15))),
        needs={code: frozenset(wanted) for code, wanted in (raw.get("needs") or {}).items()},
    )
