"""The stored shape of a hall and its tickets. Times are UTC; service days are local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite, which keeps no zone of its own."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }

    @classmethod
    def core_table(cls) -> Table:
        """The plain table: rows inserted in bulk through it skip the ORM's bookkeeping."""
        return cast(Table, cls.__table__)


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    public_base_url: Mapped[str] = mapped_column(String(300))
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
    hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    holidays: Mapped[list[Any]] = mapped_column(JSON, default=list)
    running_text: Mapped[str] = mapped_column(Text, default="")
    dispatch: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reservation_seconds: Mapped[int] = mapped_column(Integer, default=120)
    voice: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    notify: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    online: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    last_event_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("site_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    icon: Mapped[str] = mapped_column(String(40), default="building")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # file order
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("site_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    code: Mapped[str] = mapped_column(String(40))
    prefix: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    requirements: Mapped[list[Any]] = mapped_column(JSON, default=list)
    requirements_en: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_note: Mapped[str] = mapped_column(Text, default="")
    fee_note_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # file order
    sla_minutes: Mapped[int] = mapped_column(Integer, default=30)
    service_minutes: Mapped[float] = mapped_column(Float, default=10.0)
    daily_quota: Mapped[int | None] = mapped_column(Integer)
    hours: Mapped[str | None] = mapped_column(String(200))
    online: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Zone(Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("site_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    agency_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Counter(Base):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("site_id", "number"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    bus_address: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="closed")
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    state_changed_at: Mapped[datetime | None] = mapped_column()
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    current_ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    consecutive_priority: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_booked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    regular_since_priority: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CounterService(Base):
    __tablename__ = "counter_services"
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)


class Officer(Base):
    __tablename__ = "officers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(10))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("site_id", "name"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    zone_code: Mapped[str | None] = mapped_column(String(40))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime | None] = mapped_column()


class DeviceStatus(Base):
    __tablename__ = "device_status"
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    component: Mapped[str] = mapped_column(String(20), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column()


class AuthSession(Base):
    __tablename__ = "auth_sessions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginFailure(Base):
    """Wrong passwords in a row for one username ("user:NAME") or one address ("addr:IP")."""

    __tablename__ = "login_failures"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()


class DailySequence(Base):
    """The last number issued per service and service day: survives restarts, never reused."""

    __tablename__ = "daily_sequences"
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


WAITING = text("status = 'waiting'")
BOOKED_WAITING = text("status = 'waiting' AND slot_at IS NOT NULL")
REMOTE = text("status = 'remote'")


class OnlineCount(Base):
    """Places taken per service and day: ``slot`` is a slot's local start (HH:MM), or
    ``online`` / ``walk_in`` for the two parts of the daily quota. Taken by one upsert that
    returns the new count, so the last place goes once under any concurrency (invariant 9)."""

    __tablename__ = "online_counts"
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    slot: Mapped[str] = mapped_column(String(8), primary_key=True)
    taken: Mapped[int] = mapped_column(Integer, default=0)


class Booking(Base):
    """A citizen's online booking (a slot) or remote number (``kind`` remote, its ticket made
    at once). Personal data is what the hall needs and no more: a name, a phone, the NIK only
    as a keyed hash; erased after the hall's retention days (``erased_at``)."""

    __tablename__ = "bookings"
    # The active bookings of one phone or NIK for a service and day, looked up at each booking.
    __table_args__ = (Index("ix_bookings_phone", "service_id", "service_day", "phone"),
                      Index("ix_bookings_nik", "service_id", "service_day", "nik_hash"),
                      Index("ix_bookings_open", "status", "slot_at"),
                      Index("ix_bookings_created", "created_at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    kind: Mapped[str] = mapped_column(String(8))  # slot | remote
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(12))  # booked checked_in cancelled lapsed
    service_day: Mapped[date] = mapped_column(Date)
    slot_at: Mapped[datetime | None] = mapped_column()
    slot: Mapped[str | None] = mapped_column(String(8))  # the slot's local HH:MM
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    nik_hash: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    checked_in_at: Mapped[datetime | None] = mapped_column()
    erased_at: Mapped[datetime | None] = mapped_column()


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("issued_service_id", "service_day", "sequence"),
        # The head of each line in one index seek: dispatch never scans the day's history.
        # The status too, though the index holds only the waiting: a line is counted from the
        # index alone, without reading each ticket's row to check what the query names.
        Index(
            "ix_tickets_line_head",
            "service_id", "service_day", "priority", "queued_at", "id", "status", "slot_at",
            sqlite_where=WAITING, postgresql_where=WAITING,
        ),
        Index(
            "ix_tickets_reserved", "reserve_expires_at",
            sqlite_where=text("status = 'reserved'"), postgresql_where=text("status = 'reserved'"),
        ),
        Index("ix_tickets_site_day", "site_id", "service_day", "status"),
        # Checked-in bookings wait in lines of their own, in slot order.
        Index("ix_tickets_booked_line", "service_id", "service_day", "priority", "slot_at", "id",
              sqlite_where=BOOKED_WAITING, postgresql_where=BOOKED_WAITING),
        Index("ix_tickets_remote", "site_id", "service_day",
              sqlite_where=REMOTE, postgresql_where=REMOTE),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    issued_service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    service_day: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(12))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_reason: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(12))
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    issued_at: Mapped[datetime] = mapped_column()
    queued_at: Mapped[datetime] = mapped_column()
    reserve_expires_at: Mapped[datetime | None] = mapped_column()
    first_called_at: Mapped[datetime | None] = mapped_column()
    last_called_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    called_out_of_order: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None] = mapped_column()
    # Whole seconds, written when they become known, so statistics add integers up:
    # wait = issued → first call, walk = first call → start, service = start → finish.
    # A booking's slot (a checked-in booking waits in its booked line); None for a walk-in.
    slot_at: Mapped[datetime | None] = mapped_column()
    turn_passed_at: Mapped[datetime | None] = mapped_column()  # a remote ticket's, see online
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    walk_seconds: Mapped[int | None] = mapped_column(Integer)
    service_seconds: Mapped[int | None] = mapped_column(Integer)
    # One number for several stops: the ticket's row of ``visits`` holds the plan. Kept on the
    # ticket so that a single-service ticket's commands never read that table.
    in_visit: Mapped[bool] = mapped_column(Boolean, server_default="0")


class Visit(Base):
    """A ticket that passes several agencies: its plan of stops, one a service, in order.

    ``plan`` is the domain's visit (``server.domain.visits``) as stored: each stop's service
    code, status and times. ``combination`` names the services it kept, sorted, for the table
    of the commonest combinations."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_site_day", "site_id", "service_day"),
                      Index("ix_visits_held", "held_until",
                            sqlite_where=text("status = 'held'"),
                            postgresql_where=text("status = 'held'")))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    held_until: Mapped[datetime | None] = mapped_column()
    plan: Mapped[list[Any]] = mapped_column(JSON)
    combination: Mapped[str] = mapped_column(String(400))
    arrived_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    visit_seconds: Mapped[int | None] = mapped_column(Integer)


class Survey(Base):
    """The nine-element IKM survey (PermenPANRB 14/2017), once per ticket."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column()


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_site_at", "site_id", "at"),
                      Index("ix_audit_site_action_at", "site_id", "action", "at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    at: Mapped[datetime] = mapped_column()
    actor_type: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    counter_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EventRecord(Base):
    """The durable event log: one row per event, numbered per site in commit order."""

    __tablename__ = "events"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    # Housekeeping deletes the keys past the retry window, oldest first.
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)
    principal: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column()


# ---------------------------------------------------------------- notifications (the outbox)

class NotifySubscription(Base):
    """A citizen's phone, given for one ticket on its tracking page (opt-in). The number is
    kept until the hall's retention days are over, then erased (``phone`` empty); its hash
    stays for the per-phone limit, and ``stop_token`` is the opt-out link's secret."""

    __tablename__ = "notify_subscriptions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="id")
    stop_token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    opted_out_at: Mapped[datetime | None] = mapped_column()
    ahead_service_id: Mapped[int | None] = mapped_column(BigInteger)  # told "N ahead" in it


class NotifyMessage(Base):
    """One message of the outbox, written in the transaction of its cause (unique: written
    once however often the cause's command runs), delivered afterwards by the sender."""

    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_due", "status", "next_attempt_at"),
                      Index("ix_notify_outbox_site_created", "site_id", "created_at"),
                      Index("ix_notify_outbox_phone", "phone_hash", "created_at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    subscription_id: Mapped[int | None] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    cause: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str | None] = mapped_column(String(20))  # erased with the subscription's
    phone_hash: Mapped[str] = mapped_column(String(64))
    recipient_masked: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="id")
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pending → sent | failed; limited (over the phone's hourly limit), cancelled (opted out)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(60))
    lease_until: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class NotifySender(Base):
    """Who sends (one row per sender role): one server process at a time holds the lease and
    renews it; another takes over once it lapses."""

    __tablename__ = "notify_sender"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    owner: Mapped[str] = mapped_column(String(60))
    until: Mapped[datetime] = mapped_column()
    channel_state: Mapped[str] = mapped_column(String(20), default="")
    channel_detail: Mapped[str] = mapped_column(Text, default="")


# ---------------------------------------------------------------- statistics roll-ups

BUCKET_COUNT = 30  # len(server.domain.stats.BUCKETS)
KINDS = ("wait", "walk", "service")
MEASURES: tuple[str, ...] = (
    "issued", "served", "no_shows", "cancelled", "expired", "transferred", "priority", "called",
    "called_within_sla", "out_of_order", "ratings", "rating_sum",
    *(f"{kind}_{part}" for kind in KINDS for part in ("n", "sum", "max")),
    "respondents",
    *(f"ikm_{element}" for element in (
        "requirements", "procedure", "time", "cost", "product",
        "competence", "behaviour", "complaints", "facilities")),
    *(f"{kind}_h{i:02d}" for kind in KINDS for i in range(BUCKET_COUNT)),
)
"""What a roll-up row adds up for its tickets: counts, sums, maxima (`*_max`), survey sums per
IKM element, and per duration the count of tickets in each bucket of ``BUCKETS``."""


def _measures(namespace: dict[str, Any]) -> None:
    for name in MEASURES:
        namespace[name] = mapped_column(BigInteger, default=0, nullable=False)


class StatsPeriod(Base):
    """A closed day (grain 'd') or month ('m') of a site whose roll-up rows are complete.
    Rows of a period without this marker are ignored; a late change deletes the marker."""

    __tablename__ = "stats_periods"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column()


class StatsDaily(Base):
    """Tickets of one period, per service, counter and officer (the counter and officer that
    last held them; none for tickets never called)."""

    __tablename__ = "stats_daily"
    __table_args__ = (Index("ix_stats_daily_period", "site_id", "grain", "period_start"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    grain: Mapped[str] = mapped_column(String(1))
    period_start: Mapped[date] = mapped_column(Date)
    service_id: Mapped[int] = mapped_column(BigInteger)
    counter_id: Mapped[int | None] = mapped_column(BigInteger)
    officer_id: Mapped[int | None] = mapped_column(BigInteger)
    _measures(locals())


class StatsHourly(Base):
    """Tickets of one period, per service and local hour of issue."""

    __tablename__ = "stats_hourly"
    __table_args__ = (Index("ix_stats_hourly_period", "site_id", "grain", "period_start"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    grain: Mapped[str] = mapped_column(String(1))
    period_start: Mapped[date] = mapped_column(Date)
    service_id: Mapped[int] = mapped_column(BigInteger)
    hour: Mapped[int] = mapped_column(Integer)
    _measures(locals())


class StatsOpen(Base):
    """Seconds counters were open in one period, per counter and the officer who opened or
    resumed them (none when it was not an officer), from the counters' audit rows."""

    __tablename__ = "stats_open"
    __table_args__ = (Index("ix_stats_open_period", "site_id", "grain", "period_start"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    grain: Mapped[str] = mapped_column(String(1))
    period_start: Mapped[date] = mapped_column(Date)
    counter_id: Mapped[int | None] = mapped_column(BigInteger)
    officer_id: Mapped[int | None] = mapped_column(BigInteger)
    open_seconds: Mapped[float] = mapped_column(Float)


# ---------------------------------------------------------------- the region (server/region)

class SyncOutbox(Base):
    """A site's changes to the records its centre keeps, in commit order, each with the row as
    it then stood (JSON text). Written by triggers (``server.region.capture``); deleted once the
    centre has acknowledged them. AUTOINCREMENT: a position is never handed out twice, even
    after the rows before it are gone."""

    __tablename__ = "sync_outbox"
    __table_args__ = ({"sqlite_autoincrement": True},)
    position: Mapped[int] = mapped_column(Id, primary_key=True)
    tbl: Mapped[str] = mapped_column(String(40))
    pk: Mapped[str] = mapped_column(String(80))
    op: Mapped[str] = mapped_column(String(1))  # U: the row as it stands; D: it was deleted
    image: Mapped[str] = mapped_column(Text)


class SyncState(Base):
    """A site server's end of its link to the centre (one row): what is captured, how far the
    centre has acknowledged, and the newest hall file the centre handed down."""

    __tablename__ = "sync_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    captured: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # table → trigger digest
    acked: Mapped[int] = mapped_column(BigInteger, default=0)
    acked_at: Mapped[datetime | None] = mapped_column()
    hall_version: Mapped[int] = mapped_column(Integer, default=0)
    hall_text: Mapped[str | None] = mapped_column(Text)
    hall_applied_at: Mapped[datetime | None] = mapped_column()
    hall_problem: Mapped[str | None] = mapped_column(Text)


class MirrorState(Base):
    """In a centre's mirror of one site (one row): how far the site's changes are applied."""

    __tablename__ = "mirror_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_code: Mapped[str] = mapped_column(String(40))
    acked: Mapped[int] = mapped_column(BigInteger, default=0)
    site_clock: Mapped[datetime | None] = mapped_column()  # the site's clock at its last batch
    site_schema: Mapped[str | None] = mapped_column(String(40))
    applied_at: Mapped[datetime | None] = mapped_column()
    batches: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)  # batches applied already
    changes: Mapped[int] = mapped_column(BigInteger, default=0)


class RegionSite(Base):
    """A hall of the region, as its centre knows it: its token, and what it last said."""

    __tablename__ = "region_sites"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()
    heard_at: Mapped[datetime | None] = mapped_column()  # the centre's clock
    site_clock: Mapped[datetime | None] = mapped_column()
    acked: Mapped[int] = mapped_column(BigInteger, default=0)
    backlog: Mapped[int] = mapped_column(BigInteger, default=0)
    hall_applied: Mapped[int] = mapped_column(Integer, default=0)
    hall_problem: Mapped[str | None] = mapped_column(Text)
    bytes_in: Mapped[int] = mapped_column(BigInteger, default=0)


class RegionHall(Base):
    """A version of a hall's configuration file, held by the centre, handed down to the site."""

    __tablename__ = "region_halls"
    site_code: Mapped[str] = mapped_column(ForeignKey("region_sites.code"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
