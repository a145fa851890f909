"""Logging in, resolving a bearer token to an actor, and provisioning officers and devices."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.models import LockoutOut, OfficerOut, TokenOut
from server.domain.throttle import PER_ADDRESS, PER_USERNAME
from server.services.actor import Actor
from server.services.catalog import Catalog
from server.services.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from server.services.security import hash_password, new_token, token_hash, verify_password
from server.store import models as m
from server.store.db import Database

log = logging.getLogger(__name__)

SESSION_HOURS = 12
_BAD_LOGIN = Unauthorized("Nama pengguna atau kata sandi salah.",
                          "Wrong username or password.", code="bad_credentials")


def officer_out(catalog: Catalog, officer: m.Officer) -> OfficerOut:
    site = catalog.sites.get(officer.site_id) if officer.site_id else None
    agency = catalog.agencies.get(officer.agency_id) if officer.agency_id else None
    return OfficerOut(id=officer.id, username=officer.username, name=officer.name,
                      role=officer.role,  # type: ignore[arg-type]
                      site=site.code if site else None, agency=agency.code if agency else None)


# Checked when the username is unknown, so that a wrong username costs the time a wrong
# password does: the answer's delay told which usernames exist (57 ms against 6 ms).
_NOBODY_HASH = hash_password(new_token("nobody"))
# The longest a username may be; a key of the login_failures table holds it.
_KEY_ROOM = 60


class _Failures:
    """The login failures of one attempt's username and address (see domain.throttle)."""

    def __init__(self, username: str, address: str | None) -> None:
        self.keys = {f"user:{username[:_KEY_ROOM]}": PER_USERNAME}
        if address:
            self.keys[f"addr:{address[:_KEY_ROOM]}"] = PER_ADDRESS

    async def refuse_if_locked(self, db: Database, now: datetime) -> None:
        async with db.read() as session:
            rows = (await session.scalars(select(m.LoginFailure).where(
                m.LoginFailure.key.in_(list(self.keys))))).all()
        until = max((row.locked_until for row in rows
                     if row.locked_until is not None and row.locked_until > now), default=None)
        if until is not None:
            seconds = max(1, math.ceil((until - now).total_seconds()))
            raise TooManyRequests(
                f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {seconds} detik.",
                f"Too many failed logins. Try again in {seconds} seconds.",
                code="login_locked", retry_after=seconds)

    async def record(self, session: AsyncSession, now: datetime, officer: m.Officer | None
                     ) -> None:
        rows = {row.key: row for row in (await session.scalars(
            select(m.LoginFailure).where(m.LoginFailure.key.in_(list(self.keys)))
            .with_for_update())).all()}
        for key, throttle in self.keys.items():
            row = rows.get(key)
            failures = throttle.failures_after(row.failures if row else 0,
                                               row.last_failure_at if row else None, now)
            locked = throttle.lockout(failures)
            if row is None:
                row = m.LoginFailure(key=key, failures=failures, last_failure_at=now)
                session.add(row)
            row.failures, row.last_failure_at = failures, now
            row.locked_until = now + timedelta(seconds=locked) if locked else None
            if locked:
                log.warning("login locked for %s for %.0f s after %d failures", key, locked,
                            failures)
                session.add(m.AuditEntry(
                    site_id=officer.site_id if officer else None, at=now, actor_type="system",
                    actor_id=None, actor_name="login", action="login.locked_out",
                    details={"key": key, "failures": failures, "seconds": locked,
                             "until": row.locked_until.isoformat() if row.locked_until
                             else None}))

    async def forget_username(self, session: AsyncSession) -> None:
        await session.execute(delete(m.LoginFailure).where(
            m.LoginFailure.key == next(iter(self.keys))))


async def login(db: Database, catalog: Catalog, username: str, password: str,
                now: datetime, address: str | None = None) -> TokenOut:
    """Check the password outside any transaction and off the loop (scrypt takes tens of
    milliseconds by design), then record the session; failures count towards a lockout of
    the username and of the caller's ``address`` (429 while it lasts)."""
    failures = _Failures(username, address)
    await failures.refuse_if_locked(db, now)
    by_name = select(m.Officer).where(m.Officer.username == username)
    async with db.read() as session:
        known = await session.scalar(by_name)
    stored = known.password_hash if known is not None and known.active else None
    if not await asyncio.to_thread(verify_password, password, stored or _NOBODY_HASH) or (
            stored is None):
        log.info("failed login for %r", username)
        async with db.write() as session:
            await failures.record(session, now, known)
        raise _BAD_LOGIN
    async with db.write() as session:
        officer = await session.scalar(by_name)
        # Disabled, or given a new password, while the check ran: the check no longer holds.
        if officer is None or not officer.active or officer.password_hash != stored:
            log.info("failed login for %r", username)
            raise _BAD_LOGIN
        await failures.forget_username(session)
        token = new_token("ofc")
        expires = now + timedelta(hours=SESSION_HOURS)
        session.add(m.AuthSession(token_hash=token_hash(token), officer_id=officer.id,
                                  created_at=now, expires_at=expires))
        session.add(m.AuditEntry(site_id=officer.site_id, at=now, actor_type="officer",
                                 actor_id=officer.id, actor_name=officer.username,
                                 action="officer.login", details={}))
        return TokenOut(access_token=token, expires_at=expires,
                        officer=officer_out(catalog, officer))


async def lockouts(session: AsyncSession, now: datetime) -> list[LockoutOut]:
    """Usernames and addresses locked out now, for admins."""
    rows = (await session.scalars(select(m.LoginFailure).where(
        m.LoginFailure.locked_until > now).order_by(m.LoginFailure.locked_until.desc()))).all()
    return [LockoutOut(key=row.key, failures=row.failures, last_failure_at=row.last_failure_at,
                       locked_until=row.locked_until) for row in rows
            if row.locked_until is not None]


async def logout(session: AsyncSession, token: str) -> None:
    row = await session.scalar(select(m.AuthSession).where(
        m.AuthSession.token_hash == token_hash(token)))
    if row is not None:
        row.revoked = True


# Built once, columns rather than objects: a token is looked up on most requests.
_OFFICER_BY_TOKEN = (
    select(m.Officer.id, m.Officer.username, m.Officer.role, m.Officer.site_id,
           m.Officer.agency_id, m.Officer.active, m.AuthSession.revoked,
           m.AuthSession.expires_at)
    .select_from(m.AuthSession).join(m.Officer, m.Officer.id == m.AuthSession.officer_id)
    .where(m.AuthSession.token_hash == bindparam("digest")))
_DEVICE_BY_TOKEN = select(
    m.Device.id, m.Device.name, m.Device.kind, m.Device.site_id, m.Device.counter_id,
    m.Device.zone_code, m.Device.active).where(m.Device.token_hash == bindparam("digest"))


async def resolve(session: AsyncSession, token: str, now: datetime) -> Actor:
    return (await _resolve(session, token, now))[0]


async def _resolve(session: AsyncSession, token: str, now: datetime
                   ) -> tuple[Actor, datetime | None]:
    """The token's actor, and until when its session holds (None: a device, no end)."""
    digest = token_hash(token)
    if token.startswith("ofc_"):
        officer = (await session.execute(_OFFICER_BY_TOKEN, {"digest": digest})).first()
        if officer is None:
            raise Unauthorized("Sesi tidak dikenal; silakan masuk lagi.",
                               "Unknown session; please log in again.", code="bad_token")
        if officer.revoked or officer.expires_at <= now or not officer.active:
            raise _expired()
        return Actor(kind="officer", id=officer.id, name=officer.username, role=officer.role,
                     site_id=officer.site_id, agency_id=officer.agency_id), officer.expires_at
    device = (await session.execute(_DEVICE_BY_TOKEN, {"digest": digest})).first()
    if device is None or not device.active:
        raise Unauthorized("Token perangkat tidak dikenal atau dinonaktifkan.",
                           "Unknown or disabled device token.", code="bad_token")
    return Actor(kind="device", id=device.id, name=device.name, role=device.kind,
                 site_id=device.site_id, counter_id=device.counter_id,
                 zone_code=device.zone_code), None


def _expired() -> Unauthorized:
    return Unauthorized("Sesi Anda sudah berakhir; silakan masuk lagi.",
                        "Your session has expired; please log in again.", code="session_expired")


@dataclass
class _Resolved:
    actor: Actor
    until: datetime | None  # the session's end
    fresh_until: float  # monotonic: when to ask the store again


class ActorCache:
    """Tokens resolved within the last second, so a burst of requests and sockets with one
    token (a hall's displays reconnecting after a restart share theirs) reads the store once;
    lookups of one token at the same moment wait for a single read. Logging out here, and
    reloading the hall, forget at once; a session revoked or a device disabled by another
    process (another server, the command line) is honoured here for at most ``ttl`` seconds
    more."""

    def __init__(self, ttl: float = 1.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, _Resolved] = {}
        self._loading: dict[str, asyncio.Future[_Resolved]] = {}

    async def resolve(self, db: Database, token: str, now: datetime) -> Actor:
        digest = token_hash(token)
        entry = self._entries.get(digest)
        if entry is None or entry.fresh_until < time.monotonic():
            entry = await self._load(db, digest, token, now)
        if entry.until is not None and entry.until <= now:
            self._entries.pop(digest, None)
            raise _expired()
        return entry.actor

    async def _load(self, db: Database, digest: str, token: str, now: datetime) -> _Resolved:
        if (loading := self._loading.get(digest)) is not None:  # the same token, at once
            return await asyncio.shield(loading)
        future: asyncio.Future[_Resolved] = asyncio.get_running_loop().create_future()
        self._loading[digest] = future
        try:
            async with db.lookup() as session:
                actor, until = await _resolve(session, token, now)
            entry = _Resolved(actor, until, time.monotonic() + self.ttl)
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[digest] = entry
            future.set_result(entry)
            return entry
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._loading[digest]

    def forget(self, token: str | None = None) -> None:
        """Forget one token (logged out), or all of them (the hall was reloaded)."""
        if token is None:
            self._entries.clear()
        else:
            self._entries.pop(token_hash(token), None)


# ---------------------------------------------------------------- provisioning (CLI and sync)

async def add_officer(session: AsyncSession, catalog: Catalog, username: str, name: str,
                      role: str, password: str, now: datetime, site_code: str | None = None,
                      agency_code: str | None = None) -> m.Officer:
    if len(password) < 8:
        raise Invalid("Kata sandi minimal 8 karakter.", "A password needs at least 8 characters.")
    if await session.scalar(select(m.Officer.id).where(m.Officer.username == username)):
        raise Conflict(f"Nama pengguna '{username}' sudah dipakai.",
                       f"The username '{username}' is taken.", code="username_taken")
    site_id, agency_id = _site_and_agency(catalog, site_code, agency_code)
    if role == "officer" and agency_id is None:
        raise Invalid("Petugas harus punya instansi (--agency).",
                      "An officer needs an agency (--agency).")
    officer = m.Officer(username=username, name=name, role=role, site_id=site_id,
                        agency_id=agency_id, password_hash=hash_password(password), active=True,
                        created_at=now)
    session.add(officer)
    await session.flush()
    return officer


def _site_and_agency(catalog: Catalog, site_code: str | None,
                     agency_code: str | None) -> tuple[int | None, int | None]:
    if site_code is None and len(catalog.sites) == 1:
        site_code = next(iter(catalog.sites.values())).code
    site_id = catalog.site(site_code).id if site_code else None
    if agency_code is None:
        return site_id, None
    for agency in catalog.agencies.values():
        if agency.code == agency_code and (site_id is None or agency.site_id == site_id):
            return agency.site_id, agency.id
    raise NotFound(f"Instansi '{agency_code}' tidak ditemukan.",
                   f"No agency has the code '{agency_code}'.", code="unknown_agency")


async def add_device(session: AsyncSession, catalog: Catalog, kind: str, name: str,
                     now: datetime, site_code: str | None = None, zone: str | None = None,
                     counter_number: int | None = None) -> tuple[m.Device, str]:
    site_id, _ = _site_and_agency(catalog, site_code, None)
    if site_id is None:
        raise Invalid("Sebutkan gedungnya (--site).", "Name the site (--site).")
    if await session.scalar(select(m.Device.id).where(m.Device.site_id == site_id,
                                                      m.Device.name == name)):
        raise Conflict(f"Perangkat '{name}' sudah ada.", f"A device named '{name}' exists.",
                       code="device_exists")
    counter_id = None
    if counter_number is not None:
        counter_id = next((c.id for c in catalog.site_counters(site_id)
                           if c.number == counter_number), None)
        if counter_id is None:
            raise NotFound(f"Loket {counter_number} tidak ada.",
                           f"No counter has the number {counter_number}.")
    token = new_token(kind[:3])
    device = m.Device(site_id=site_id, kind=kind, name=name, token_hash=token_hash(token),
                      zone_code=zone, counter_id=counter_id, active=True, created_at=now)
    session.add(device)
    await session.flush()
    return device, token
