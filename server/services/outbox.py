"""The outbox: messages to citizens written in the transaction of the change that causes them.

A command never calls a channel. Its unit of work, when it seals, hands its events here
(``derive``): for the subscribed tickets they touch, the rules of ``server.domain.notify`` say
which message is due, and the message is inserted into ``notify_outbox`` in the same
transaction, unique by its cause. If the command rolls back, so does the message; if it runs
again (a retry, a second process), the cause is taken and nothing is added. The sender
(``server.notify.sender``) delivers what is pending, afterwards.

A hall whose ``[site.notify] channel`` is ``none`` pays nothing: no query is made; nor does an
issue anywhere. A command that calls, finishes, cancels or transfers costs one query over the
subscriptions (a small table: only tickets a citizen subscribed), and a line a ticket left
costs one count per subscribed waiting ticket of it not yet told "N ahead".
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.events import (
    Event,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketNoShow,
    TicketRecalled,
    TicketTransferred,
)
from server.domain import notify
from server.domain.notify import DueMessage, Happening, PhoneError, Subscription
from server.domain.tickets import TicketStatus
from server.services.catalog import Catalog, SiteInfo
from server.services.errors import Conflict, Invalid, NotFound, TooManyRequests
from server.store import models as m

if TYPE_CHECKING:
    from server.services.uow import UnitOfWork

log = logging.getLogger(__name__)

S, T, M = m.NotifySubscription, m.Ticket, m.NotifyMessage
LIVE = (TicketStatus.RESERVED, TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)
SUBSCRIPTIONS_PER_PHONE_PER_DAY = 5  # a phone typed in for many tickets is someone's victim
CHANNEL_OF = {"modem": "sms", "webhook": "webhook"}
LIMITED = "Batas pesan per jam untuk nomor ini tercapai (hourly limit for this number reached)"


def phone_hash(phone: str) -> str:
    """Equality only (the per-phone limits): the number itself is erased on schedule."""
    return hashlib.sha256(f"antrean-phone:{phone}".encode()).hexdigest()


def _values(site: SiteInfo, tracking_code: str, stop_token: str) -> dict[str, object]:
    base = site.public_base_url
    return {"site": site.name, "survey": f"{base}/t/{tracking_code}#survei",
            "stop": f"{base}/n/{stop_token}"}


def _insert_ignoring_taken_causes(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT (cause) DO NOTHING, in the store's own words."""
    dialect = session.get_bind().dialect.name
    table = M.core_table()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["cause"])
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=["cause"])


@dataclass(frozen=True)
class _Subscribed:
    id: int
    ticket_id: int
    phone: str
    phone_hash: str
    phone_masked: str
    language: str
    stop_token: str
    ahead_service_id: int | None
    status: str
    service_id: int
    service_day: Any
    priority: bool
    queued_at: datetime
    number: str
    tracking_code: str
    call_count: int
    site_id: int


@dataclass(frozen=True)
class _Place:
    """A ticket's place in its line, as ``queries.people_ahead_and_open`` reads it."""

    id: int
    priority: bool
    queued_at: datetime
    service_id: int
    service_day: Any
    site_id: int


_COLUMNS = (S.id, S.ticket_id, S.phone, S.phone_hash, S.phone_masked, S.language, S.stop_token,
            S.ahead_service_id, T.status, T.service_id, T.service_day, T.priority, T.queued_at,
            T.number, T.tracking_code, T.call_count, T.site_id)


async def enqueue(session: AsyncSession, site: SiteInfo, subscribed: _Subscribed,
                  message: DueMessage, now: datetime, data: dict[str, str]) -> bool:
    """Write ``message`` to the outbox unless its cause is taken; over the phone's hourly
    limit it is kept as ``limited`` (staff see it; it is not sent). Whether it was added."""
    # The hourly limit in the insert itself: one statement per message (see domain RateLimit).
    recent = (select(func.count()).select_from(M).where(
        M.phone_hash == subscribed.phone_hash, M.created_at > now - timedelta(hours=1),
        M.status.in_(("pending", "sent", "failed"))).scalar_subquery())
    allowed = recent < site.notify.rules.rate.per_hour
    result = await session.execute(_insert_ignoring_taken_causes(session).values(
        site_id=site.id, subscription_id=subscribed.id, ticket_id=subscribed.ticket_id,
        cause=message.cause, kind=message.kind, channel=CHANNEL_OF.get(site.notify.channel, "none"),
        recipient=subscribed.phone, phone_hash=subscribed.phone_hash,
        recipient_masked=subscribed.phone_masked, language=subscribed.language,
        text=message.text, data=data, status=case((allowed, "pending"), else_="limited"),
        attempts=0, next_attempt_at=now, reason=case((allowed, ""), else_=LIMITED),
        reference="", created_at=now))
    added = bool(result.rowcount)  # type: ignore[attr-defined]
    if added:
        log.info("outbox: %s to %s (%s)", message.cause, subscribed.phone_masked, message.kind)
    return added


def _happenings(catalog: Catalog, site: SiteInfo, events: list[Event]) -> dict[int, list[Happening]]:
    found: dict[int, list[Happening]] = defaultdict(list)
    spoken = dict(site.voice.agencies)
    for event in events:
        if not isinstance(event, TicketCalled | TicketRecalled | TicketNoShow | TicketFinished):
            continue
        ticket, counter = event.ticket, event.counter
        try:
            service_id = catalog.service(site.id, ticket.service).id
        except NotFound:  # removed from the hall's file since: its cause needs no line
            service_id = 0
        kind: Literal["called", "no_show", "finished"] = (
            "called" if isinstance(event, TicketCalled | TicketRecalled)
                else "no_show" if isinstance(event, TicketNoShow) else "finished")
        found[ticket.id].append(Happening(
            kind, ticket.id, ticket.number, ticket.service, service_id, ticket.service_name,
            call_count=event.call_count if isinstance(event, TicketRecalled) else 0,
            counter=counter.number, counter_name=counter.name,
            agency=spoken.get(counter.agency) or ticket.agency_name))
    return found


def _lines_moved(catalog: Catalog, site: SiteInfo, events: list[Event]) -> set[int]:
    """The lines a ticket left in these events (called, cancelled, transferred away): only
    there can anyone's number of people ahead have fallen. A ticket joining a line (issued,
    returned) moves nobody closer, so an issue costs the outbox nothing."""
    codes = set()
    for event in events:
        if isinstance(event, TicketCalled | TicketCancelled):
            codes.add(event.ticket.service)
        elif isinstance(event, TicketTransferred):
            codes.add(event.from_service)
    lines = set()
    for code in codes:
        try:
            lines.add(catalog.service(site.id, code).id)
        except NotFound:
            continue
    return lines


async def derive(uow: UnitOfWork, events: list[tuple[int, Event]]) -> None:
    """The messages this command's events make due, into the outbox with its transaction."""
    by_site: dict[int, list[Event]] = defaultdict(list)
    for site_id, event in events:
        by_site[site_id].append(event)
    for site_id in sorted(by_site):
        site = uow.catalog.sites.get(site_id)
        if site is None or not site.notify.enabled:
            continue
        happenings = _happenings(uow.catalog, site, by_site[site_id])
        lines = _lines_moved(uow.catalog, site, by_site[site_id])
        if happenings or lines:
            await _derive_site(uow, site, happenings, lines)


async def _derive_site(uow: UnitOfWork, site: SiteInfo, happenings: dict[int, list[Happening]],
                       services: set[int]) -> None:
    from server.services.queries import people_ahead_and_open  # local: queries imports uow

    session = uow.session
    live = (S.site_id == site.id, S.opted_out_at.is_(None), S.phone.is_not(None))
    rows: list[Any] = []
    if happenings:
        rows += (await session.execute(select(*_COLUMNS).join(T, T.id == S.ticket_id).where(
            *live, S.ticket_id.in_(sorted(happenings))).order_by(S.id))).all()
    for service_id in sorted(services):
        # Only the front of the line can be within N: the k-th subscribed ticket of a class
        # has at least k - 1 people ahead, and a regular one every waiting priority ticket
        # too; so the first N + 1 in the order (priority first, then by queue time) suffice.
        service = uow.catalog.services.get(service_id)
        if service is None:
            continue
        rows += (await session.execute(select(*_COLUMNS).join(T, T.id == S.ticket_id).where(
            *live, T.service_id == service_id, T.status == TicketStatus.WAITING,
            T.service_day == _day_of(uow, site),
            or_(S.ahead_service_id.is_(None), S.ahead_service_id != T.service_id)).order_by(
            T.priority.desc(), T.queued_at, T.id).limit(
            site.notify.rules.ahead_for(service.code) + 1))).all()
    candidates: list[_Subscribed] = []
    seen: set[int] = set()
    for row in rows:
        subscribed = _Subscribed(*row)
        subscription = Subscription(subscribed.ticket_id,
                                    "en" if subscribed.language == "en" else "id")
        values = _values(site, subscribed.tracking_code, subscribed.stop_token)
        for happening in happenings.get(subscribed.ticket_id, []) if subscribed.id not in seen \
                else []:
            if happening.kind == "called" and happening.call_count == 0:
                happening = _with(happening, call_count=subscribed.call_count)
            message = notify.due(happening, subscription, site.notify.rules, values)
            if message is not None:
                await enqueue(session, site, subscribed, message, uow.now, _data(happening))
        seen.add(subscribed.id)
        if (subscribed.status == TicketStatus.WAITING and subscribed.service_id in services
                and subscribed.ahead_service_id != subscribed.service_id
                and subscribed not in candidates):
            candidates.append(subscribed)
    # Within one line and class, people ahead grow with the place in it: counted from the
    # front, the first ticket still too far back ends the class (a line with hundreds of
    # subscribed tickets costs a few counts, not hundreds).
    candidates.sort(key=lambda c: (c.service_id, not c.priority, c.queued_at, c.ticket_id))
    too_far: set[tuple[int, bool]] = set()
    for subscribed in candidates:
        if (subscribed.service_id, subscribed.priority) in too_far:
            continue
        subscription = Subscription(subscribed.ticket_id,
                                    "en" if subscribed.language == "en" else "id")
        values = _values(site, subscribed.tracking_code, subscribed.stop_token)
        if not await _maybe_ahead(uow, site, subscribed, subscription, values,
                                  people_ahead_and_open):
            too_far.add((subscribed.service_id, subscribed.priority))


def _day_of(uow: UnitOfWork, site: SiteInfo) -> Any:
    from server.domain.numbering import service_day

    return service_day(uow.now, site.timezone)


def _with(happening: Happening, **changes: Any) -> Happening:
    from dataclasses import replace

    return replace(happening, **changes)


def _data(happening: Happening) -> dict[str, str]:
    data = {"ticket": happening.number, "service": happening.service}
    if happening.counter is not None:
        data["counter"] = str(happening.counter)
    if happening.people_ahead is not None:
        data["ahead"] = str(happening.people_ahead)
    return data


async def _maybe_ahead(uow: UnitOfWork, site: SiteInfo, subscribed: _Subscribed,
                       subscription: Subscription, values: dict[str, object],
                       people_ahead_and_open: Any) -> bool:
    """Tell ``subscribed`` "N ahead" if it is within N now; whether it was."""
    service = uow.catalog.services.get(subscribed.service_id)
    if service is None:
        return False
    # The count reads only what people_ahead_and_open names of a ticket: its line and place.
    place = _Place(subscribed.ticket_id, subscribed.priority, subscribed.queued_at,
                   subscribed.service_id, subscribed.service_day, subscribed.site_id)
    ahead, _ = await people_ahead_and_open(uow.session, cast(m.Ticket, place))
    happening = Happening("waiting", subscribed.ticket_id, subscribed.number, service.code,
                          service.id, service.name_en if subscription.language == "en"
                          and service.name_en else service.name, people_ahead=ahead)
    message = notify.due(happening, subscription, site.notify.rules, values)
    if message is None:
        return False
    await enqueue(uow.session, site, subscribed, message, uow.now, _data(happening))
    await uow.session.execute(update(S).where(S.id == subscribed.id)
                              .values(ahead_service_id=subscribed.service_id))
    return True


# ---------------------------------------------------------------- the citizen's subscription

@dataclass(frozen=True)
class Subscribed:
    ticket_number: str
    phone_masked: str
    language: str
    active: bool


async def subscribe(uow: UnitOfWork, tracking_code: str, phone_text: str,
                    language: str) -> Subscribed:
    """The citizen asks to be told of their ticket on this phone (opt-in). Again with the same
    phone: the same answer; with another: the new number replaces the old one."""
    ticket = await uow.session.scalar(
        select(T).where(T.tracking_code == tracking_code.upper()).with_for_update())
    if ticket is None or ticket.site_id not in uow.catalog.sites:
        raise NotFound("Tiket dengan kode itu tidak ditemukan.",
                       "No ticket has that tracking code.", code="unknown_ticket")
    site = uow.catalog.sites[ticket.site_id]
    if not site.notify.enabled:
        raise Conflict("Gedung ini belum mengirim pemberitahuan.",
                       "This hall does not send notifications.", code="notifications_off")
    if ticket.status not in LIVE:
        raise Conflict("Tiket ini sudah selesai; pemberitahuan tidak diperlukan lagi.",
                       "This ticket is over; there is nothing left to tell.",
                       code="ticket_over", status=ticket.status)
    try:
        phone = notify.normalise_phone(phone_text)
    except PhoneError:
        raise Invalid("Nomor HP tidak dapat dibaca; tulis mis. 0812 3456 7890.",
                      "The phone number cannot be read; write e.g. 0812 3456 7890.",
                      code="bad_phone") from None
    hashed = phone_hash(phone)
    existing = await uow.session.scalar(select(S).where(S.ticket_id == ticket.id))
    if existing is not None and existing.phone_hash == hashed and existing.opted_out_at is None:
        return Subscribed(ticket.number, existing.phone_masked, existing.language, True)
    today = (await uow.session.execute(select(func.count()).select_from(S).where(
        S.phone_hash == hashed, S.created_at > uow.now - timedelta(days=1)))).scalar_one()
    if today >= SUBSCRIPTIONS_PER_PHONE_PER_DAY:
        raise TooManyRequests("Nomor ini sudah didaftarkan untuk terlalu banyak tiket hari ini.",
                              "This number was given for too many tickets today.",
                              code="too_many_subscriptions", retry_after=3600)
    if existing is None:
        existing = S(site_id=site.id, ticket_id=ticket.id, stop_token=secrets.token_urlsafe(16))
        uow.session.add(existing)
    existing.phone, existing.phone_hash = phone, hashed
    existing.phone_masked = notify.mask_phone(phone)
    existing.language = "en" if language == "en" else "id"
    existing.created_at, existing.opted_out_at, existing.ahead_service_id = uow.now, None, None
    await uow.session.flush()
    uow.audit(site.id, "notify.subscribed", ticket_id=ticket.id, phone=existing.phone_masked)
    subscribed = _Subscribed(existing.id, ticket.id, phone, hashed, existing.phone_masked,
                             existing.language, existing.stop_token, None, ticket.status,
                             ticket.service_id, ticket.service_day, ticket.priority,
                             ticket.queued_at, ticket.number, ticket.tracking_code,
                             ticket.call_count, ticket.site_id)
    subscription = Subscription(ticket.id, "en" if existing.language == "en" else "id")
    values = _values(site, ticket.tracking_code, existing.stop_token)
    service = uow.catalog.services.get(ticket.service_id)
    service_name = service.name if service else ""
    if service is not None and subscription.language == "en" and service.name_en:
        service_name = service.name_en
    confirmation = notify.subscribed(subscription, ticket.number, service_name, site.notify.rules,
                                     values)
    # One confirmation per number given: a corrected number hears it too.
    confirmation = DueMessage(confirmation.kind, f"{confirmation.cause} {hashed[:12]}",
                              confirmation.text)
    await enqueue(uow.session, site, subscribed, confirmation, uow.now,
                  {"ticket": ticket.number})
    if ticket.status == TicketStatus.WAITING:  # already near the head: told at once
        from server.services.queries import people_ahead_and_open

        await _maybe_ahead(uow, site, subscribed, subscription, values, people_ahead_and_open)
    return Subscribed(ticket.number, existing.phone_masked, existing.language, True)


async def stop(uow: UnitOfWork, stop_token: str) -> Subscribed:
    """Opt out by the link in the messages: nothing more is sent, what is pending is dropped."""
    existing = await uow.session.scalar(select(S).where(S.stop_token == stop_token))
    if existing is None:
        raise NotFound("Tautan berhenti ini tidak dikenal.", "This opt-out link is unknown.",
                       code="unknown_subscription")
    ticket = await uow.session.get_one(T, existing.ticket_id)
    if existing.opted_out_at is None:
        existing.opted_out_at = uow.now
        await uow.session.execute(update(M).where(
            M.subscription_id == existing.id, M.status == "pending").values(
            status="cancelled", reason="Warga berhenti berlangganan (the citizen opted out)"))
        uow.audit(existing.site_id, "notify.stopped", ticket_id=existing.ticket_id)
    return Subscribed(ticket.number, existing.phone_masked, existing.language, False)


async def of_ticket(session: AsyncSession, ticket_id: int) -> Subscribed | None:
    """A ticket's subscription as its tracking page shows it (masked)."""
    row = (await session.execute(select(S.phone_masked, S.language, S.opted_out_at, T.number)
                                 .join(T, T.id == S.ticket_id)
                                 .where(S.ticket_id == ticket_id))).first()
    return None if row is None else Subscribed(row.number, row.phone_masked, row.language,
                                               row.opted_out_at is None)


async def of_stop_token(session: AsyncSession, stop_token: str) -> Subscribed | None:
    row = (await session.execute(select(S.phone_masked, S.language, S.opted_out_at, T.number)
                                 .join(T, T.id == S.ticket_id)
                                 .where(S.stop_token == stop_token))).first()
    return None if row is None else Subscribed(row.number, row.phone_masked, row.language,
                                               row.opted_out_at is None)


async def erase_old_phones(session: AsyncSession, catalog: Catalog, now: datetime) -> int:
    """Housekeeping: erase the numbers past their hall's retention days (the masked form and
    the hash stay, for the staff's view and the per-phone limit); how many."""
    erased = 0
    for site in catalog.sites.values():
        before = now - timedelta(days=site.notify.retention_days)
        old = select(S.id).where(S.site_id == site.id, S.created_at < before,
                                 S.phone.is_not(None))
        ids = list((await session.scalars(old)).all())
        if not ids:
            continue
        await session.execute(update(S).where(S.id.in_(ids)).values(phone=None))
        await session.execute(update(M).where(M.subscription_id.in_(ids)).values(
            recipient=None))
        await session.execute(update(M).where(M.subscription_id.in_(ids),
                                              M.status == "pending").values(
            status="failed", reason="Nomor sudah dihapus (the number was erased as the hall's "
            "retention requires)"))
        erased += len(ids)
    if erased:
        log.info("erased %d subscribed phone number(s) past their retention", erased)
    return erased


# ---------------------------------------------------------------- what staff see

@dataclass(frozen=True)
class OutboxRow:
    created_at: datetime
    kind: str
    channel: str
    recipient_masked: str
    status: str
    attempts: int
    reason: str
    ticket: str


@dataclass(frozen=True)
class OutboxView:
    counts: dict[tuple[str, str], int]  # (channel, status) → messages
    recent: list[OutboxRow]
    channel_state: str
    channel_detail: str

    def count(self, status: str) -> int:
        return sum(n for (_, s), n in self.counts.items() if s == status)


async def staff_view(session: AsyncSession, site: SiteInfo, since: datetime,
                     limit: int = 30) -> OutboxView:
    """The outbox of a site since ``since``: counts per channel and status, the newest rows
    (phones masked), and how the channel last reported itself."""
    counts = {(channel, status): int(n) for channel, status, n in (await session.execute(
        select(M.channel, M.status, func.count()).where(
            M.site_id == site.id, M.created_at >= since).group_by(M.channel, M.status))).all()}
    rows = (await session.execute(
        select(M.created_at, M.kind, M.channel, M.recipient_masked, M.status, M.attempts,
               M.reason, T.number).join(T, T.id == M.ticket_id, isouter=True).where(
            M.site_id == site.id).order_by(M.id.desc()).limit(limit))).all()
    sender = await session.get(m.NotifySender, "sender")
    return OutboxView(counts, [OutboxRow(*row[:7], ticket=row[7] or "") for row in rows],
                      sender.channel_state if sender else "",
                      sender.channel_detail if sender else "")
