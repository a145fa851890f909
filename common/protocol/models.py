"""The HTTP contract: what clients send and what the server answers (documented in OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

PriorityReason = Literal["disability", "elderly", "pregnant", "child", "disaster_victim"]
# The words an Indonesian would type for each group; a request may use them, the ticket keeps
# the canonical value.
PRIORITY_WORDS: dict[str, PriorityReason] = {
    "lansia": "elderly", "lanjut usia": "elderly",
    "disabilitas": "disability", "penyandang disabilitas": "disability", "difabel": "disability",
    "ibu hamil": "pregnant", "hamil": "pregnant",
    "anak": "child", "anak-anak": "child",
    "korban bencana": "disaster_victim",
}
TicketStatus = Literal[
    "reserved", "waiting", "called", "serving", "finished", "no_show", "cancelled", "expired",
    "remote", "lapsed",
]
CounterState = Literal["open", "paused", "closed"]
Role = Literal["officer", "manager", "admin"]
# The largest id a request may name: every id column is a signed 64-bit integer, and a number
# past it would fail in the database instead of being refused as the bad input it is.
MAX_ID = 2**62


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Request(_Model):
    """What a client sends. Answers are built by the server from stored text, so only
    requests pay for this check."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: object) -> object:
        # No database stores NUL in text; refuse it here rather than fail deep in a commit.
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


def _priority_reason(value: object) -> object:
    """A canonical value or an Indonesian word (any case, spaces as typed) → the canonical value."""
    if not isinstance(value, str):
        return value
    word = " ".join(value.lower().replace("_", " ").split())
    canonical = PRIORITY_WORDS.get(word) or word.replace(" ", "_")
    if canonical in get_args(PriorityReason):
        return canonical
    choices = ", ".join(f"{reason} ({next(w for w, r in PRIORITY_WORDS.items() if r == reason)})"
                        for reason in get_args(PriorityReason))
    shown = value[:40]
    raise PydanticCustomError(
        "priority_reason", "'{value}' is not a priority group; use one of {choices}",
        {"value": shown, "choices": choices,
         "message_id": f"'{shown}' bukan kelompok prioritas; pakai salah satu dari {choices}"})


PriorityReasonIn = Annotated[
    PriorityReason, BeforeValidator(_priority_reason),
    WithJsonSchema({"type": "string", "enum": [*get_args(PriorityReason), *PRIORITY_WORDS]},
                   mode="validation"),
]


class ErrorDetail(_Model):
    code: str = Field(description="stable machine-readable code, e.g. service_closed")
    message: str = Field(description="Indonesian, ready to show to a citizen or officer")
    message_en: str
    details: dict[str, object] = Field(default_factory=dict)


class ErrorBody(_Model):
    error: ErrorDetail


class SiteVoiceOut(_Model):
    """How the hall's calls are worded (every display says them alike)."""

    numbers: Literal["digits", "words"] = Field(
        default="digits", description="A-012 read as 'A nol satu dua' (digits) or 'A dua belas'")
    agencies: dict[str, str] = Field(
        default_factory=dict, description="agency code → the name said after the counter")


class SiteOut(_Model):
    code: str
    name: str
    name_en: str | None
    timezone: str
    service_day: date
    open_now: bool
    running_text: str
    public_base_url: str
    voice: SiteVoiceOut = Field(default_factory=SiteVoiceOut)


class AgencyOut(_Model):
    code: str
    name: str
    name_en: str | None
    color: str
    icon: str


class ServiceOut(_Model):
    code: str
    prefix: str
    agency: AgencyOut
    name: str
    name_en: str | None
    requirements: list[str]
    requirements_en: list[str]
    fee: int
    fee_note: str
    fee_note_en: str = Field(default="", description="the fee note in English; empty: use fee_note")
    sla_minutes: int
    open_now: bool
    next_opening: datetime | None
    closed_reason: str | None = Field(
        description="why no ticket can be taken now (closed, quota reached); null when open"
    )
    waiting: int
    estimated_wait_minutes: int
    daily_quota: int | None
    quota_left: int | None = Field(description="walk-in numbers left today (the walk-in part "
                                   "when the quota is shared with online)")
    online_remote: bool = Field(default=False, description="today's number from a phone")
    online_booking: bool = Field(default=False, description="a slot booked ahead")
    online_left: int | None = Field(default=None, description="the online part's places left")
    nik_required: bool = False


#: The addresses of devices on a counter's serial bus, the same range in the hall's file, the
#: codec and the docs: 0 is the host, 255 all devices at once (broadcast, LED displays only).
BUS_ADDRESSES = range(1, 255)
BUS_BROADCAST = 255


class CounterOut(_Model):
    id: int
    number: int
    name: str
    agency: AgencyOut
    services: dict[str, int] = Field(description="service code → dispatch weight")
    state: CounterState
    pause_reason: str | None
    officer: str | None
    bus_address: int | None
    served_today: int = Field(default=0, description="tickets this counter finished today")


StopStatus = Literal["pending", "waiting", "at_counter", "missed", "done", "dropped", "lapsed"]
VisitStatus = Literal["active", "held", "finished", "lapsed"]


class VisitStopOut(_Model):
    """One stop of a visit: a service at its agency, and how far it has come."""

    position: int = Field(description="1 for the first stop, in the order they are served")
    service: str
    service_name: str
    service_name_en: str | None
    agency: str
    agency_name: str
    agency_name_en: str | None
    requirements: list[str]
    requirements_en: list[str]
    status: StopStatus
    joined_at: datetime | None = Field(description="when it joined that service's line")
    called_at: datetime | None
    finished_at: datetime | None


class VisitOut(_Model):
    """A ticket that passes several agencies: its plan, where it is, where it goes next."""

    status: VisitStatus
    held_until: datetime | None = Field(
        description="a no-show holds the rest of the visit until then; after it, it lapses")
    stops: list[VisitStopOut]
    current: int | None = Field(description="the position of the stop in a line or at a counter")
    next_service: str | None = Field(description="the service it goes to after the current one "
                                                 "(in the hall's order; may change with lines)")


class TicketOut(_Model):
    id: int
    number: str
    tracking_code: str
    tracking_url: str
    site: str
    service: str
    service_name: str
    service_name_en: str | None
    agency: str
    agency_name: str
    status: TicketStatus
    priority: bool
    priority_reason: PriorityReason | None
    channel: Literal["kiosk", "web", "appointment"]
    service_day: date
    issued_at: datetime
    reserve_expires_at: datetime | None
    people_ahead: int | None = Field(description="null once the ticket has left the line")
    estimated_wait_minutes: int | None
    counter_id: int | None
    counter_number: int | None
    counter_name: str | None
    call_count: int
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    slot_at: datetime | None = Field(default=None,
                                     description="a booking's slot (UTC); null for a walk-in")
    visit: VisitOut | None = Field(default=None,
                                   description="set when the ticket is a visit of several stops")


class IssueTicketRequest(_Request):
    service: str = Field(min_length=1, max_length=40, description="service code, e.g. KTP")
    priority_reason: PriorityReasonIn | None = Field(
        default=None,
        description="set for the groups UU 25/2009 entitles to priority: `elderly` (`lansia`), "
        "`disability` (`disabilitas`), `pregnant` (`ibu hamil`, `hamil`), `child` (`anak`), "
        "`disaster_victim` (`korban bencana`). The Indonesian words are accepted in any case; "
        "the ticket answers with the English value.",
    )
    channel: Literal["kiosk", "web"] = "kiosk"
    reserve: bool = Field(
        default=False,
        description="hold the number until /confirm (after a successful print); "
        "unconfirmed reservations expire and never reach a counter",
    )


class IssueVisitRequest(_Request):
    services: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=10,
        description="the service codes, in the order the citizen chose; at most the hall's "
        "`visits.max_stops`. A service that needs another is moved behind it.")
    priority_reason: PriorityReasonIn | None = Field(
        default=None, description="as for a single ticket; the class holds at every stop")
    channel: Literal["kiosk", "web"] = "kiosk"
    reserve: bool = Field(default=False, description="as for a single ticket")


class StopChangeRequest(_Request):
    service: str = Field(min_length=1, max_length=40, description="the service code of the stop")
    reason: str | None = Field(default=None, max_length=500, description="audited")


class CallTicketRequest(_Request):
    """Which ticket: its id, or its number as printed (today's ticket of that number at the
    counter's site), exactly one of the two."""

    ticket_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    number: str | None = Field(default=None, pattern=r"^[A-Z]{1,3}-[0-9]{3,6}$",
                               description="the number as printed, e.g. A-013")
    reason: str = Field(min_length=3, max_length=500, description="why out of order; audited")

    @model_validator(mode="after")
    def _one_ticket(self) -> CallTicketRequest:
        if (self.ticket_id is None) == (self.number is None):
            raise ValueError("give either ticket_id or number")
        return self

    @property
    def which(self) -> int | str:
        return self.ticket_id if self.ticket_id is not None else str(self.number)


class TransferRequest(_Request):
    service: str = Field(min_length=1, max_length=40)
    reason: str | None = Field(default=None, max_length=500)


class ReasonRequest(_Request):
    reason: str | None = Field(default=None, max_length=500)


class PauseRequest(_Request):
    reason: str = Field(min_length=2, max_length=200, description="break, Friday prayer, outage…")


class RatingRequest(_Request):
    rating: int = Field(ge=1, le=4, description="4 very satisfied … 1 not satisfied")


class LoginRequest(_Request):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class OfficerOut(_Model):
    id: int
    username: str
    name: str
    role: Role
    site: str | None
    agency: str | None


class TokenOut(_Model):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    officer: OfficerOut


class LockoutOut(_Model):
    key: str = Field(description="user:USERNAME or addr:ADDRESS")
    failures: int = Field(description="wrong passwords in a row")
    last_failure_at: datetime
    locked_until: datetime


class DeviceStatusRequest(_Request):
    component: Literal["printer", "display", "audio", "keypad", "network", "modem", "scanner"]
    state: Literal["ok", "paper_low", "paper_out", "cover_open", "offline", "error"]
    detail: str = Field(default="", max_length=500)


class DeviceOut(_Model):
    id: int
    kind: Literal["kiosk", "display", "keypad"]
    name: str
    site: str
    zone: str | None
    counter_id: int | None


class CounterSnapshot(_Model):
    counter: CounterOut
    ticket: TicketOut | None


class ServiceQueue(_Model):
    service: str
    agency: str
    waiting: int
    waiting_priority: int
    estimated_wait_minutes: int


class Snapshot(_Model):
    site: SiteOut
    seq: int = Field(description="the site's last event sequence this snapshot includes")
    counters: list[CounterSnapshot]
    queues: list[ServiceQueue]
    recent_calls: list[TicketOut]


class MediaItem(_Model):
    """One image or video of a hall's playlist, shown on the displays between calls."""

    name: str
    kind: Literal["image", "video"]
    url: str
    bytes: int


class Health(_Model):
    status: Literal["ok"]
    database: str
    version: str


class Liveness(_Model):
    status: Literal["alive"]
    pid: int


class Readiness(_Model):
    status: Literal["ready"]
    checks: dict[str, str] = Field(description="each check and what it found: database, "
                                   "schema, bus, hall")
