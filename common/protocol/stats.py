"""The contract of managers' statistics and of the citizen's satisfaction survey (IKM)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from common.protocol.models import _Model, _Request

GroupBy = Literal["site", "agency", "service", "counter", "officer", "hour"]
Score = Literal[1, 2, 3, 4]
Band = Literal["A", "B", "C", "D"]


class SurveyRequest(_Request):
    """The nine elements of PermenPANRB 14/2017, each 1 (not good) … 4 (very good)."""

    requirements: Score = Field(description="U1 persyaratan")
    procedure: Score = Field(description="U2 sistem, mekanisme, dan prosedur")
    time: Score = Field(description="U3 waktu penyelesaian")
    cost: Score = Field(description="U4 biaya/tarif")
    product: Score = Field(description="U5 produk spesifikasi jenis pelayanan")
    competence: Score = Field(description="U6 kompetensi pelaksana")
    behaviour: Score = Field(description="U7 perilaku pelaksana")
    complaints: Score = Field(description="U8 penanganan pengaduan, saran dan masukan")
    facilities: Score = Field(description="U9 sarana dan prasarana")
    comment: str = Field(default="", max_length=1000, description="free text, optional")


class SurveyOut(_Model):
    ticket_number: str
    service: str
    answers: dict[str, int]
    comment: str
    index: float = Field(description="this respondent's index, 25–100")
    created_at: datetime


class Durations(_Model):
    """Seconds. Median and p90 by the nearest-rank method (an actual observed value)."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None


class Satisfaction(_Model):
    respondents: int = Field(description="full nine-element surveys")
    index: float | None = Field(description="IKM, 25–100 (element means, weighted 1/9, ×25)")
    band: Band | None = Field(description="A ≥ 88.31, B ≥ 76.61, C ≥ 65.00, D below")
    elements: dict[str, float] = Field(description="element → mean score 1–4")
    ratings: int = Field(description="quick 1–4 ratings from keypads and counter clients")
    rating_mean: float | None


class StatsRow(_Model):
    key: str = Field(description="the group: agency or service code, counter number, "
                                 "officer username, hour 0–23, or the site's code")
    label: str
    issued: int
    served: int
    no_shows: int
    cancelled: int
    expired: int = Field(description="still waiting when the service day ended")
    transferred: int
    priority: int
    wait: Durations = Field(description="issued → first call")
    walk: Durations = Field(description="call → start of service")
    service: Durations = Field(description="start → finish")
    called: int
    called_within_sla: int
    sla_share: float | None = Field(description="share of called tickets called within the "
                                                "service's target; null when none was called")
    out_of_order: int = Field(description="tickets called out of order (with a reason)")
    satisfaction: Satisfaction


class HourLoad(_Model):
    hour: int = Field(ge=0, le=23, description="local hour of issue")
    issued: int
    wait_mean: float | None = Field(description="seconds")


class CounterUse(_Model):
    counter: int = Field(description="counter number")
    name: str
    agency: str
    open_seconds: float
    serving_seconds: float
    utilisation: float | None = Field(description="serving time over open time")
    served: int


class OfficerUse(_Model):
    username: str
    name: str
    open_seconds: float = Field(description="time at an open counter, from the audit trail")
    served: int
    tickets_per_hour: float | None
    satisfaction: Satisfaction


class OutOfOrderCall(_Model):
    at: datetime
    number: str | None
    counter: int | None
    officer: str
    reason: str


class OnlineRow(_Model):
    """One service's Antrean online over the period (docs/online.md)."""

    service: str
    label: str
    walk_in: int = Field(description="numbers taken at the hall")
    online: int = Field(description="numbers from a booking or a remote request")
    online_share: float | None = Field(description="online over all numbers")
    bookings: int = Field(description="bookings and remote numbers made, not cancelled")
    checked_in: int
    lapsed: int = Field(description="never checked in (a booking's no-show)")
    no_show_rate: float | None = Field(description="lapsed over checked in and lapsed")
    punctuality_mean_seconds: float | None = Field(
        description="first call − slot time, over the called bookings (negative: early)")
    punctuality_median_seconds: float | None
    quota: int | None = Field(description="the daily quota over the period's open days")
    quota_used: int
    quota_use: float | None


class VisitTally(_Model):
    key: str = Field(description="a day (YYYY-MM-DD), a combination (\"BPJS + KTP\") or all")
    visits: int
    finished: int
    lapsed: int
    mean_visit_seconds: float | None = Field(description="arrival to the last stop's finish")


class VisitStatsOut(_Model):
    """Visits of several services (single-service tickets are not counted here)."""

    totals: VisitTally
    days: list[VisitTally]
    combinations: list[VisitTally] = Field(description="the commonest first, at most 20")


class StatsOut(_Model):
    site: str
    date_from: date
    date_to: date
    group_by: GroupBy
    filters: dict[str, str] = Field(description="the filters applied")
    generated_at: datetime
    totals: StatsRow
    rows: list[StatsRow]
    hours: list[HourLoad]
    peak_hours: list[int] = Field(description="the busiest hours of issue, busiest first")
    counters: list[CounterUse]
    officers: list[OfficerUse]
    out_of_order_calls: list[OutOfOrderCall] = Field(description="the latest 50, newest first")
    online: list[OnlineRow] = Field(default_factory=list,
                                    description="per service taking online numbers or bookings")
    visits: VisitStatsOut | None = Field(default=None, description="visits of several services")


class ServiceNow(_Model):
    service: str
    name: str
    agency: str
    waiting: int
    longest_wait_seconds: float | None = Field(description="the oldest waiting ticket's wait")


class HallNow(_Model):
    """The hall at this moment, for the manager's dashboard."""

    site: str
    at: datetime
    waiting: int
    longest_wait_seconds: float | None
    counters_open: int
    counters_paused: int
    counters_closed: int
    services: list[ServiceNow]
