"""A visit's plan as stored (``visits.plan``) and as clients see it (``VisitOut``).

Apart from the visit commands so that the ticket's answer (``queries.ticket_out``) can show the
plan without importing the commands.
"""

from __future__ import annotations

from datetime import datetime

from common.protocol.models import VisitOut, VisitStopOut
from server.domain import visits as route
from server.services.catalog import Catalog
from server.store import models as m

# ---------------------------------------------------------------- the plan as stored

def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def stored_visit(row: m.Visit) -> route.Visit:
    return route.Visit(
        stops=tuple(route.Stop(service=stop["service"], status=route.StopStatus(stop["status"]),
                               joined_at=_time(stop.get("joined_at")),
                               called_at=_time(stop.get("called_at")),
                               finished_at=_time(stop.get("finished_at")))
                    for stop in row.plan),
        status=route.VisitStatus(row.status), held_until=row.held_until)


def store_visit(row: m.Visit, visit: route.Visit) -> None:
    row.plan = [{"service": stop.service, "status": stop.status.value,
                 "joined_at": _iso(stop.joined_at), "called_at": _iso(stop.called_at),
                 "finished_at": _iso(stop.finished_at)} for stop in visit.stops]
    row.status = visit.status.value
    row.held_until = visit.held_until
    row.combination = combination_of(visit)
    if visit.status is route.VisitStatus.FINISHED:
        ends = [stop.finished_at for stop in visit.stops if stop.finished_at is not None]
        row.finished_at = max(ends) if ends else None
        row.visit_seconds = route.visit_seconds(visit, row.arrived_at)


def combination_of(visit: route.Visit) -> str:
    """The services the visit kept, sorted: the same trip however it was ordered."""
    return " + ".join(sorted(stop.service for stop in visit.stops
                             if stop.status is not route.StopStatus.DROPPED))


def live_services(visit: route.Visit) -> list[str]:
    return [stop.service for stop in visit.stops if stop.status is not route.StopStatus.DROPPED]


def visit_out(catalog: Catalog, site_id: int, row: m.Visit) -> VisitOut:
    visit = stored_visit(row)
    rules = catalog.sites[site_id].visit_rules
    stops = []
    position = 0
    for stop in visit.stops:
        if stop.status is route.StopStatus.DROPPED:
            continue
        position += 1
        service = catalog.service(site_id, stop.service)
        agency = catalog.agencies[service.agency_id]
        stops.append(VisitStopOut(
            position=position, service=service.code, service_name=service.name,
            service_name_en=service.name_en, agency=agency.code, agency_name=agency.name,
            agency_name_en=agency.name_en, requirements=list(service.requirements),
            requirements_en=list(service.requirements_en), status=stop.status.value,  # type: ignore[arg-type]
            joined_at=stop.joined_at, called_at=stop.called_at, finished_at=stop.finished_at))
    current = next((s.position for s in stops if s.status in ("waiting", "at_counter",
                                                                "missed")), None)
    alive = visit.status in (route.VisitStatus.ACTIVE, route.VisitStatus.HELD)
    return VisitOut(status=visit.status.value, held_until=visit.held_until, stops=stops,
                    current=current,
                    next_service=route.following(visit, rules) if alive else None)


