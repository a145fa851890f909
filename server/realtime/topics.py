"""What a connection may subscribe to, and which events each subscription receives.

Topics (several may be combined; a connection receives the union):

- ``site`` — every event of the site; ``device.status`` only reaches officers (managers, admins).
- ``zone:CODE`` — a display zone: calls, ticket changes and counter states of the zone's agencies,
  and queue summaries that mention them.
- ``agency:CODE`` — the same for one agency.
- ``counter:ID`` — one counter: its calls and state, and the line of the services it serves
  (issued, returned, transferred, cancelled tickets and queue summaries).
- ``kiosk`` — the kiosk feed: queue summaries and counter states.

Who may take which: a kiosk only ``kiosk``; a keypad its own counter and ``kiosk``; a display
any topic of its site (read-only: it never sees device reports); an officer their agency, its
counters, zones and ``kiosk``; managers and admins everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from common.protocol.events import Event
from server.services.actor import Actor
from server.services.catalog import Catalog, SiteInfo


class TopicError(Exception):
    """A topic the connection may not have; ``code`` is the close code to answer with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_LINE_EVENTS = frozenset({"ticket.issued", "ticket.returned", "ticket.transferred",
                          "ticket.routed", "ticket.cancelled"})
_KIOSK_EVENTS = frozenset({"queue.summary", "counter.state"})
_STAFF_EVENTS = frozenset({"device.status"})


@dataclass(frozen=True, slots=True)
class Routing:
    """What the hub needs to know about an event to route it, computed once per event."""

    type: str
    agencies: frozenset[str]
    counter_id: int | None
    services: frozenset[str]

    @classmethod
    def of(cls, event: Event) -> Routing:
        agencies: set[str] = set()
        services: set[str] = set()
        counter_id = None
        ticket = getattr(event, "ticket", None)
        if ticket is not None:
            agencies.add(ticket.agency)
            services.add(ticket.service)
        counter = getattr(event, "counter", None)
        if counter is not None:
            agencies.add(counter.agency)
            counter_id = counter.id
        for queue in getattr(event, "queues", ()):
            agencies.add(queue.agency)
            services.add(queue.service)
        return cls(event.type, frozenset(agencies), counter_id, frozenset(services))


@dataclass(frozen=True, slots=True)
class Subscription:
    """A connection's topics, resolved against the catalog into sets that match fast."""

    site_id: int
    topics: tuple[str, ...]
    everything: bool = False
    agencies: frozenset[str] = frozenset()
    counters: frozenset[int] = frozenset()
    counter_services: frozenset[str] = frozenset()
    kiosk: bool = False
    staff: bool = False  # may see device reports

    def matches(self, routing: Routing) -> bool:
        kind = routing.type
        if kind in _STAFF_EVENTS:
            return self.staff and self.everything
        if self.everything:
            return True
        if self.kiosk and kind in _KIOSK_EVENTS:
            return True
        if self.agencies and not self.agencies.isdisjoint(routing.agencies):
            return True
        if routing.counter_id is not None and routing.counter_id in self.counters:
            return True
        return bool(self.counter_services) and (
            kind == "queue.summary" or kind in _LINE_EVENTS
        ) and not self.counter_services.isdisjoint(routing.services)


def default_topics(actor: Actor, device_zone: str | None) -> list[str]:
    if actor.kind == "device":
        if actor.role == "kiosk":
            return ["kiosk"]
        if actor.role == "keypad" and actor.counter_id is not None:
            return [f"counter:{actor.counter_id}"]
        if actor.role == "display":
            return [f"zone:{device_zone}"] if device_zone else ["site"]
        return ["kiosk"]
    if actor.role in ("manager", "admin"):
        return ["site"]
    return ["kiosk"]


def subscribe(catalog: Catalog, site: SiteInfo, actor: Actor, topics: Iterable[str]
              ) -> Subscription:
    """Resolve and authorise the topics, or raise TopicError."""
    from common.protocol.stream import CLOSE_BAD_REQUEST, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND

    if actor.site_id is not None and actor.site_id != site.id:
        raise TopicError(CLOSE_FORBIDDEN, "this token belongs to another site")
    manager = actor.kind == "officer" and actor.role in ("manager", "admin")
    officer = actor.kind == "officer" and not manager
    display = actor.kind == "device" and actor.role == "display"
    own_agency = catalog.agencies.get(actor.agency_id) if actor.agency_id else None

    def forbid(topic: str) -> TopicError:
        return TopicError(CLOSE_FORBIDDEN, f"a {actor.role} may not subscribe to {topic}")

    everything = kiosk = False
    agencies: set[str] = set()
    counters: set[int] = set()
    services: set[str] = set()
    names: list[str] = []
    for topic in topics:
        kind, _, value = topic.partition(":")
        if kind == "site" and not value:
            if not (manager or display):
                raise forbid(topic)
            everything = True
        elif kind == "kiosk" and not value:
            kiosk = True
        elif kind == "zone" and value:
            zone = catalog.zones.get((site.id, value))
            if zone is None:
                raise TopicError(CLOSE_NOT_FOUND, f"no zone {value!r} at {site.code}")
            if not (manager or display or officer):
                raise forbid(topic)
            agencies |= zone.agency_codes
        elif kind == "agency" and value:
            if not any(a.code == value and a.site_id == site.id
                       for a in catalog.agencies.values()):
                raise TopicError(CLOSE_NOT_FOUND, f"no agency {value!r} at {site.code}")
            if not (manager or display or (officer and own_agency and own_agency.code == value)):
                raise forbid(topic)
            agencies.add(value)
        elif kind == "counter" and value:
            counter = catalog.counters.get(int(value)) if value.isdigit() else None
            if counter is None or counter.site_id != site.id:
                raise TopicError(CLOSE_NOT_FOUND, f"no counter {value!r} at {site.code}")
            allowed = (manager or display
                       or (officer and counter.agency_id == actor.agency_id)
                       or (actor.role == "keypad" and actor.counter_id == counter.id))
            if not allowed:
                raise forbid(topic)
            counters.add(counter.id)
            services |= {catalog.services[s].code for s in counter.weights
                         if s in catalog.services}
        else:
            raise TopicError(CLOSE_BAD_REQUEST, f"unknown topic {topic!r}: use site, kiosk, "
                             "zone:CODE, agency:CODE or counter:ID")
        if actor.role == "kiosk" and kind != "kiosk":
            raise forbid(topic)
        names.append(topic)
    if not names:
        raise TopicError(CLOSE_BAD_REQUEST, "no topic to subscribe to")
    return Subscription(site_id=site.id, topics=tuple(dict.fromkeys(names)),
                        everything=everything, agencies=frozenset(agencies),
                        counters=frozenset(counters), counter_services=frozenset(services),
                        kiosk=kiosk, staff=actor.kind == "officer")
