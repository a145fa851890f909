"""Events and snapshots for display tests, shaped like the server's: a small hall with DUKCAPIL
(counters 1 and 2) and SAMSAT (counter 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from common.announce import call_text
from common.protocol.events import (
    CounterRef,
    CounterStateChanged,
    TicketCalled,
    TicketFinished,
    TicketRecalled,
    TicketRef,
    TicketServing,
)
from common.protocol.models import (
    AgencyOut,
    CounterOut,
    CounterSnapshot,
    SiteOut,
    Snapshot,
    TicketOut,
)

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # Senin, 08.00 in Jakarta
AGENCIES = {
    "DUKCAPIL": ("Dinas Kependudukan dan Pencatatan Sipil", "#0056b3"),
    "SAMSAT": ("Samsat", "#b45309"),
}
COUNTERS = {1: ("DUKCAPIL", 11), 2: ("DUKCAPIL", 12), 3: ("SAMSAT", 13)}  # number → agency, id
SERVICES = {
    "KTP": ("A", "DUKCAPIL", "KTP-el", "Electronic ID card"),
    "KK": ("B", "DUKCAPIL", "Kartu Keluarga", "Family card"),
    "PKB": ("P", "SAMSAT", "Pajak Kendaraan Tahunan", "Annual vehicle tax"),
}


def counter_ref(number: int) -> CounterRef:
    agency, counter_id = COUNTERS[number]
    return CounterRef(id=counter_id, number=number, name=f"Loket {number}", agency=agency)


def ticket_ref(ticket_id: int, service: str = "KTP", *, status: str = "called",
               number: str | None = None, name: str | None = None) -> TicketRef:
    prefix, agency, service_name, service_en = SERVICES[service]
    return TicketRef(id=ticket_id, number=number or f"{prefix}-{ticket_id % 1000:03d}",
                     service=service, service_name=name or service_name,
                     service_name_en=service_en, agency=agency,
                     agency_name=AGENCIES[agency][0], priority=False,
                     status=status)  # type: ignore[arg-type]


def called(seq: int, ticket_id: int, counter: int, service: str = "KTP", **extra: Any
           ) -> TicketCalled:
    ticket = ticket_ref(ticket_id, service, **extra)
    spoken, spoken_en = call_text(ticket.number, counter)
    return TicketCalled(site="TEST", seq=seq, at=T0 + timedelta(seconds=seq), ticket=ticket,
                        counter=counter_ref(counter), announce=spoken, announce_en=spoken_en)


def recalled(seq: int, ticket_id: int, counter: int, service: str = "KTP", count: int = 2
             ) -> TicketRecalled:
    ticket = ticket_ref(ticket_id, service)
    spoken, spoken_en = call_text(ticket.number, counter)
    return TicketRecalled(site="TEST", seq=seq, at=T0 + timedelta(seconds=seq), ticket=ticket,
                          counter=counter_ref(counter), announce=spoken, announce_en=spoken_en,
                          call_count=count)


def serving(seq: int, ticket_id: int, counter: int, service: str = "KTP") -> TicketServing:
    return TicketServing(site="TEST", seq=seq, at=T0 + timedelta(seconds=seq),
                         ticket=ticket_ref(ticket_id, service, status="serving"),
                         counter=counter_ref(counter))


def finished(seq: int, ticket_id: int, counter: int, service: str = "KTP") -> TicketFinished:
    return TicketFinished(site="TEST", seq=seq, at=T0 + timedelta(seconds=seq),
                          ticket=ticket_ref(ticket_id, service, status="finished"),
                          counter=counter_ref(counter))


def counter_state(seq: int, counter: int, state: str) -> CounterStateChanged:
    return CounterStateChanged(site="TEST", seq=seq, at=T0 + timedelta(seconds=seq),
                               counter=counter_ref(counter), state=state,  # type: ignore[arg-type]
                               pause_reason=None, officer=None)


def counter_out(number: int, state: str = "open") -> CounterOut:
    agency, counter_id = COUNTERS[number]
    name, color = AGENCIES[agency]
    return CounterOut(id=counter_id, number=number, name=f"Loket {number}",
                      agency=AgencyOut(code=agency, name=name, name_en=None, color=color, icon=""),
                      services={}, state=state, pause_reason=None,  # type: ignore[arg-type]
                      officer=None, bus_address=None)


def ticket_out(ticket_id: int, counter: int, service: str = "KTP", status: str = "called",
               call_count: int = 1, called_at: datetime = T0) -> TicketOut:
    ref = ticket_ref(ticket_id, service)
    return TicketOut(id=ticket_id, number=ref.number, tracking_code="ABCD1234",
                     tracking_url="http://hall/t/ABCD1234", site="TEST", service=service,
                     service_name=ref.service_name, service_name_en=ref.service_name_en,
                     agency=ref.agency, agency_name=ref.agency_name,
                     status=status, priority=False, priority_reason=None,  # type: ignore[arg-type]
                     channel="kiosk", service_day=date(2025, 3, 3), issued_at=T0,
                     reserve_expires_at=None, people_ahead=None, estimated_wait_minutes=None,
                     counter_id=COUNTERS[counter][1], counter_number=counter,
                     counter_name=f"Loket {counter}", call_count=call_count, called_at=called_at,
                     started_at=None, finished_at=None)


def snapshot(seq: int, *, current: dict[int, TicketOut] | None = None,
             recent: list[TicketOut] | None = None, running_text: str = "Selamat datang",
             name: str = "Mal Pelayanan Publik Uji") -> Snapshot:
    current = current or {}
    site = SiteOut(code="TEST", name=name, name_en=None, timezone="Asia/Jakarta",
                   service_day=date(2025, 3, 3), open_now=True, running_text=running_text,
                   public_base_url="http://hall")
    return Snapshot(site=site, seq=seq, queues=[], recent_calls=recent or [],
                    counters=[CounterSnapshot(counter=counter_out(n), ticket=current.get(n))
                              for n in COUNTERS])
