"""The sender: delivers the outbox's pending messages through the hall's channel, afterwards.

One sender at a time across every server process on one store: the process holding the lease
row (``notify_sender``) sends, renewing it every third of ``lease_seconds``; another takes over
once a lease lapses (its holder died, or its loop stalled). The leader sends in id order, one
message at a time, so a ticket's messages arrive in the order of their causes.

Each message is marked before it is tried (``attempts`` + 1, its holder and since when), and
its outcome written after: ``sent``; ``failed`` with the channel's reason; or, for a reason that
may pass, tried again after the channel's ``after`` or the outbox's own backoff. A crash between
a channel taking a message and the outcome being written sends it again when the next leader
starts: the same ``Message.id`` (the site and the cause), so a webhook receiver drops the repeat
by its ``Idempotency-Key``; a modem cannot, and the citizen may get that one SMS twice. Nothing
is lost: a message leaves ``pending`` only with an outcome written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from common.delivery import Channel, DeliveryResult, Message, backoff_delay
from server.services.catalog import Catalog, SiteInfo
from server.store import models as m
from server.store.db import Database

log = logging.getLogger(__name__)

M = m.NotifyMessage
SENDER = "sender"
MAX_ATTEMPTS = 20  # about a day of backoff: then failed, for staff to see
RETRY_INITIAL, RETRY_MAX = 30.0, 3600.0


def message_id(site_code: str, cause: str) -> str:
    """The same on every try of one message: the gateway's key to drop a repeat."""
    return f"{site_code}:{cause.replace(' ', '-')}"


def channel_for(site: SiteInfo, environ: dict[str, str] | None = None) -> Channel | None:
    """The channel a site's ``[site.notify]`` names, opened; None for none (or unusable)."""
    environ = dict(os.environ) if environ is None else environ
    notify = site.notify
    if notify.channel == "webhook":
        from server.notify.webhook import WebhookChannel

        secret_env = notify.setting("webhook_secret_env", "ANTREAN_WEBHOOK_SECRET")
        secret = environ.get(secret_env, "")
        if not secret:
            log.error("site %s: the webhook needs its secret in the environment variable %s; "
                      "no message is sent until it is set", site.code, secret_env)
            return None
        return WebhookChannel(notify.setting("webhook_url"), secret)
    if notify.channel == "modem":
        from hardware.modem import GsmModem, SmsChannel

        pin_env = notify.setting("modem_pin_env")
        modem = GsmModem(notify.setting("modem_port"),
                         baudrate=int(notify.setting("modem_baudrate", 115200)),
                         pin=environ.get(pin_env) if pin_env else None)
        modem.start()
        return SmsChannel(modem)
    return None


def close_channel(channel: Channel) -> None:
    modem = getattr(channel, "modem", None)
    if modem is not None:
        modem.stop()
    close = getattr(channel, "close", None)
    if callable(close):
        close()


@dataclass
class OutboxSender:
    db: Database
    catalog: Callable[[], Catalog]
    clock: Callable[[], datetime]
    channels: Callable[[SiteInfo], Channel | None] = channel_for
    lease_seconds: float = 10.0
    poll_seconds: float = 0.5
    status_seconds: float = 30.0
    on_status: Callable[[SiteInfo, Any], Any] | None = None  # a modem's status, when it changes
    owner: str = field(default_factory=lambda: f"{os.getpid()}-{uuid.uuid4().hex[:12]}")
    _open: dict[int, Channel | None] = field(default_factory=dict)
    _leading_until: float = 0.0
    _last_status: dict[int, tuple[float, str]] = field(default_factory=dict)
    sent: int = 0

    # -- the lease -------------------------------------------------------------------------
    async def hold_lease(self) -> bool:
        """Take or renew the lease; whether this process is the sender now."""
        now = self.clock()
        until = now + timedelta(seconds=self.lease_seconds)
        table = m.NotifySender.core_table()
        async with self.db.write(background=True) as session:
            taken = await session.execute(update(table).where(
                table.c.name == SENDER,
                or_(table.c.owner == self.owner, table.c.until < now)).values(
                owner=self.owner, until=until))
            if not taken.rowcount:  # type: ignore[attr-defined]
                dialect = session.get_bind().dialect.name
                make = postgresql.insert if dialect == "postgresql" else sqlite.insert
                taken = await session.execute(make(table).values(
                    name=SENDER, owner=self.owner, until=until, channel_state="",
                    channel_detail="").on_conflict_do_nothing(index_elements=["name"]))
        leading = bool(taken.rowcount)  # type: ignore[attr-defined]
        loop_now = asyncio.get_running_loop().time()
        if leading and self._leading_until < loop_now:
            log.info("notifications: this process (%s) sends the outbox now", self.owner)
        # Count the lease as ours for a little less than it lasts: a clock step or a slow
        # renewal must not let two processes believe it at once.
        self._leading_until = loop_now + self.lease_seconds * 0.6 if leading else 0.0
        return leading

    def leading(self) -> bool:
        return asyncio.get_running_loop().time() < self._leading_until

    async def release(self) -> None:
        table = m.NotifySender.core_table()
        with contextlib.suppress(Exception):
            async with self.db.write(background=True) as session:
                await session.execute(update(table).where(
                    table.c.name == SENDER, table.c.owner == self.owner).values(
                    until=self.clock() - timedelta(seconds=1)))

    # -- sending ---------------------------------------------------------------------------
    def _channel(self, site: SiteInfo) -> Channel | None:
        if site.id not in self._open:
            self._open[site.id] = self.channels(site)
        return self._open[site.id]

    async def _claim(self, limit: int) -> list[Any]:
        now = self.clock()
        async with self.db.read() as session:
            due = (await session.scalars(select(M.id).where(
                M.status == "pending", M.next_attempt_at <= now).order_by(M.id).limit(limit)
            )).all()
        if not due:
            return []
        async with self.db.write(background=True) as session:
            pick = select(M).where(M.id.in_(due), M.status == "pending").order_by(M.id)
            if session.get_bind().dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            rows = list((await session.scalars(pick)).all())
            for row in rows:  # marked before it is tried: a crash leaves a trace, not a loss
                row.attempts += 1
                row.lease_owner = self.owner
                row.lease_until = now + timedelta(seconds=self.lease_seconds)
            claimed = [_Claimed(row.id, row.site_id, row.cause, row.kind, row.recipient or "",
                                row.text, row.language, dict(row.data), row.attempts)
                       for row in rows]
        return claimed

    async def round(self, limit: int = 20) -> int:
        """Send what is due, in order, while still the sender; how many were tried."""
        tried = 0
        for claimed in await self._claim(limit):
            if not self.leading():
                break  # the rest go with the next round (or the next sender)
            site = self.catalog().sites.get(claimed.site_id)
            channel = self._channel(site) if site is not None else None
            if site is None or channel is None:
                await self._record(claimed, DeliveryResult.retry_later(
                    "Saluran pemberitahuan tidak tersedia (no notification channel is set up)",
                    RETRY_INITIAL))
                continue
            message = Message(id=message_id(site.code, claimed.cause), to=claimed.recipient,
                              text=claimed.text, kind=claimed.kind, language=claimed.language,
                              data=claimed.data)
            result = await asyncio.to_thread(channel.send, message)
            await self._record(claimed, result)
            tried += 1
        return tried

    async def _record(self, claimed: _Claimed, result: DeliveryResult) -> None:
        now = self.clock()
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None,
                                  "reason": result.reason[:2000]}
        if result.status == "sent":
            values.update(status="sent", sent_at=now, reference=result.reference[:120])
            self.sent += 1
        elif result.status == "failed" or claimed.attempts >= MAX_ATTEMPTS:
            values.update(status="failed")
        else:
            wait = max(result.after or 0.0, backoff_delay(
                claimed.attempts, initial=RETRY_INITIAL, maximum=RETRY_MAX,
                random=random.random))
            values.update(next_attempt_at=now + timedelta(seconds=wait))
        async with self.db.write(background=True) as session:
            # Only the holder of the message writes its outcome: one whose lease was taken
            # over (a stalled loop) leaves it to the new sender.
            await session.execute(update(M).where(
                M.id == claimed.id, M.lease_owner == self.owner).values(**values))
        level = logging.INFO if result.status == "sent" else logging.WARNING
        log.log(level, "notification %s (%s): %s %s", claimed.cause, claimed.kind,
                result.status, result.reason)

    # -- the channel's own state -----------------------------------------------------------
    async def report_status(self) -> None:
        loop_now = asyncio.get_running_loop().time()
        for site in self.catalog().sites.values():
            channel = self._channel(site) if site.notify.channel == "modem" else None
            modem = getattr(channel, "modem", None)
            if modem is None:
                continue
            last = self._last_status.get(site.id)
            if last is not None and loop_now - last[0] < self.status_seconds:
                continue
            status = await asyncio.to_thread(modem.status)
            described = f"{status.state}:{status.describe()}"
            changed = last is None or last[1] != described
            self._last_status[site.id] = (loop_now, described)
            async with self.db.write(background=True) as session:
                await session.execute(update(m.NotifySender).where(
                    m.NotifySender.name == SENDER).values(
                    channel_state=status.state, channel_detail=status.describe()[:500]))
            if changed and self.on_status is not None:
                await self.on_status(site, status)

    async def _keep_lease(self) -> None:
        """Renew the lease on its own, so a long send (a modem waits up to a minute for the
        network) does not let it lapse while this process is alive."""
        while True:
            try:
                await self.hold_lease()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notification sender: the lease could not be renewed")
                self._leading_until = 0.0
            await asyncio.sleep(self.lease_seconds / 3)

    async def run(self) -> None:
        """Forever: hold the lease; while holding it, send and report the modem."""
        keeper = asyncio.create_task(self._keep_lease())
        try:
            while True:
                tried = 0
                try:
                    if self.leading():
                        tried = await self.round()
                        await self.report_status()
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bad moment of the database must not end the sender
                    log.exception("notification sender: a round failed; trying again")
                await asyncio.sleep(0 if tried else self.poll_seconds)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            for channel in self._open.values():
                if channel is not None:
                    await asyncio.to_thread(close_channel, channel)
            self._open.clear()


@dataclass(frozen=True)
class _Claimed:
    id: int
    site_id: int
    cause: str
    kind: str
    recipient: str
    text: str
    language: str
    data: dict[str, str]
    attempts: int
