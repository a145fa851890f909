"""Sample server answers for the counter client's pure tests, built with the protocol's models."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from common.protocol import events as ev
from common.protocol.models import (
    AgencyOut,
    CounterOut,
    CounterSnapshot,
    ServiceOut,
    ServiceQueue,
    SiteOut,
    Snapshot,
    TicketOut,
)

NOW = datetime(2025, 3, 3, 2, 30, tzinfo=UTC)  # 09:30 in Jakarta
DUKCAPIL = AgencyOut(code="DUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil",
                     name_en="Civil Registry", color="#0056b3", icon="id-card")
SAMSAT = AgencyOut(code="SAMSAT", name="Samsat", name_en=None, color="#b91c1c", icon="car")


def service(code: str, prefix: str, name: str, agency: AgencyOut = DUKCAPIL,
            name_en: str | None = None) -> ServiceOut:
    return ServiceOut(code=code, prefix=prefix, agency=agency, name=name, name_en=name_en,
                      requirements=[], requirements_en=[], fee=0, fee_note="", sla_minutes=30,
                      open_now=True, next_opening=None, closed_reason=None, waiting=0,
                      estimated_wait_minutes=0, daily_quota=None, quota_left=None)


SERVICES = (
    service("KTP", "A", "KTP-el", name_en="Electronic ID card"),
    service("KK", "B", "Kartu Keluarga", name_en="Family card"),
    service("AKTA", "C", "Akta Kelahiran", name_en="Birth certificate"),
    service("PKB", "P", "Pajak Kendaraan Tahunan", SAMSAT),
)


def counter(state: str = "open", pause_reason: str | None = None) -> CounterOut:
    return CounterOut(id=11, number=1, name="Loket 1", agency=DUKCAPIL,
                      services={"KTP": 2, "KK": 1, "AKTA": 1}, state=state,  # type: ignore[arg-type]
                      pause_reason=pause_reason, officer="Siti Aminah", bus_address=1)


def ticket(id: int = 101, number: str = "A-013", status: str = "called", service: str = "KTP",
           started: bool = False, call_count: int = 1) -> TicketOut:
    return TicketOut(
        id=id, number=number, tracking_code="ABCD1234", tracking_url="http://hall/t/ABCD1234",
        site="TEST", service=service, service_name="KTP-el", service_name_en="Electronic ID card",
        agency="DUKCAPIL", agency_name="Dinas Kependudukan dan Pencatatan Sipil",
        status=status,  # type: ignore[arg-type]
        priority=False, priority_reason=None, channel="kiosk", service_day=date(2025, 3, 3),
        issued_at=NOW - timedelta(minutes=23), reserve_expires_at=None, people_ahead=None,
        estimated_wait_minutes=None, counter_id=11, counter_number=1, counter_name="Loket 1",
        call_count=call_count, called_at=NOW - timedelta(minutes=4),
        started_at=NOW - timedelta(minutes=3) if started else None, finished_at=None)


def body(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json")  # type: ignore[no-any-return]


def snapshot(current: TicketOut | None = None, state: str = "open", seq: int = 40,
             waiting: dict[str, int] | None = None, day: date = date(2025, 3, 3)) -> Snapshot:
    site = SiteOut(code="TEST", name="MPP Uji", name_en=None, timezone="Asia/Jakarta",
                   service_day=day, open_now=True, running_text="", public_base_url="http://hall")
    waiting = waiting if waiting is not None else {"KTP": 5, "KK": 2, "AKTA": 0, "PKB": 7}
    queues = [ServiceQueue(service=code, agency="SAMSAT" if code == "PKB" else "DUKCAPIL",
                           waiting=n, waiting_priority=0, estimated_wait_minutes=n * 4)
              for code, n in waiting.items()]
    return Snapshot(site=site, seq=seq,
                    counters=[CounterSnapshot(counter=counter(state), ticket=current)],
                    queues=queues, recent_calls=[])


def ref(id: int = 101, number: str = "A-013", status: str = "called",
        service: str = "KTP") -> ev.TicketRef:
    return ev.TicketRef(id=id, number=number, service=service, service_name="KTP-el",
                        service_name_en=None, agency="DUKCAPIL", agency_name="Dukcapil",
                        priority=False, status=status)  # type: ignore[arg-type]


COUNTER_REF = ev.CounterRef(id=11, number=1, name="Loket 1", agency="DUKCAPIL")
OTHER_COUNTER = ev.CounterRef(id=12, number=2, name="Loket 2", agency="DUKCAPIL")
