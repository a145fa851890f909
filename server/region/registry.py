"""At the centre: the region's halls, their site tokens, their hall files, and what each
last said. Kept in the centre's own store; a hall's records are in its mirror.

Who owns what (docs/region.md): the centre owns each hall's configuration file, published
here as numbered versions; the site owns everything that happens in the hall. The centre never
writes a site's records, and a site never writes the centre's: nothing can conflict.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.region import UplinkBatch
from server.config.hall import parse_hall
from server.services.errors import Conflict, Invalid, NotFound, Unauthorized
from server.services.security import new_token, token_hash
from server.store import models as m


async def add_site(session: AsyncSession, code: str, name: str, now: datetime) -> str:
    """Register a hall; returns its site token (only its hash is kept)."""
    if not code or len(code) > 40:
        raise Invalid("Kode gedung harus 1–40 karakter.", "A site code has 1 to 40 characters.")
    if await session.get(m.RegionSite, code) is not None:
        raise Conflict(f"Gedung '{code}' sudah terdaftar.", f"The site '{code}' is registered.",
                       code="site_exists")
    token = new_token("site")
    session.add(m.RegionSite(code=code, name=name or code, token_hash=token_hash(token),
                             active=True, created_at=now, acked=0, backlog=0, hall_applied=0,
                             bytes_in=0))
    await session.flush()
    return token


async def new_token_for(session: AsyncSession, code: str) -> str:
    """A new token for a hall (the old one stops working), e.g. when a laptop is lost."""
    site = await _site(session, code)
    token = new_token("site")
    site.token_hash = token_hash(token)
    return token


async def _site(session: AsyncSession, code: str) -> m.RegionSite:
    site = await session.get(m.RegionSite, code)
    if site is None:
        raise NotFound(f"Gedung '{code}' tidak terdaftar di wilayah ini.",
                       f"No site '{code}' is registered in this region.", code="unknown_site")
    return site


async def publish_hall(session: AsyncSession, code: str, text: str, now: datetime) -> int:
    """Keep a new version of the hall's file (checked first; its site code must be the
    hall's). The same text as the newest version publishes nothing new."""
    await _site(session, code)
    hall = parse_hall(text, source=f"hall file of {code}")  # ConfigError says what is wrong
    if hall.site.code != code:
        raise Invalid(f"Berkas ini untuk gedung '{hall.site.code}', bukan '{code}'.",
                      f"This file describes the site '{hall.site.code}', not '{code}'.",
                      code="wrong_site")
    digest = hashlib.sha256(text.encode()).hexdigest()
    newest = await newest_hall(session, code)
    if newest is not None and newest.sha256 == digest:
        return newest.version
    version = (newest.version if newest is not None else 0) + 1
    session.add(m.RegionHall(site_code=code, version=version, text=text, sha256=digest,
                             created_at=now))
    await session.flush()
    return version


async def newest_hall(session: AsyncSession, code: str) -> m.RegionHall | None:
    return await session.scalar(select(m.RegionHall).where(m.RegionHall.site_code == code)
                                .order_by(m.RegionHall.version.desc()).limit(1))


async def newest_versions(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(m.RegionHall.site_code, func.max(m.RegionHall.version))
                                 .group_by(m.RegionHall.site_code))
    return {code: int(version) for code, version in rows.all()}


async def site_of_token(session: AsyncSession, token: str | None) -> m.RegionSite:
    if not token:
        raise Unauthorized("Kirim token gedung.", "Send the site's token (Authorization: "
                           "Bearer).", code="no_token")
    site = await session.scalar(select(m.RegionSite).where(
        m.RegionSite.token_hash == token_hash(token)))
    if site is None or not site.active:
        raise Unauthorized("Token gedung tidak dikenal atau dicabut.",
                           "Unknown or revoked site token.", code="bad_token")
    return site


async def heard(session: AsyncSession, code: str, batch: UplinkBatch, acked: int,
                received_bytes: int, now: datetime) -> None:
    site = await _site(session, code)
    site.heard_at, site.site_clock = now, batch.clock
    site.acked, site.backlog = acked, batch.backlog + max(0, batch.last - acked)
    site.hall_applied, site.hall_problem = batch.hall_version, batch.hall_problem
    site.bytes_in += received_bytes


async def sites(session: AsyncSession) -> list[m.RegionSite]:
    return list((await session.scalars(select(m.RegionSite).where(m.RegionSite.active)
                                       .order_by(m.RegionSite.code))).all())
