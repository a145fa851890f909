"""A site's uplink and its centre's routes, in-process over real ASGI: the token opens only its
own hall, the wire is compressed and bounded, answers lost or stores restored from old copies
lose and double nothing, and the region's managers read the hall's figures."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FakeClock, Hall, fresh_database, running_hall
from regionsupport import batch_from, drop_mirrors, edited, records
from sqlalchemy import select, text

from common.protocol.region import HallFile
from server.config.hall import HallConfig
from server.region import capture, registry, wire
from server.region.uplink import LinkState, Uplink, UplinkSettings
from server.region.view import require_region_manager
from server.services.auth import add_officer
from server.services.errors import DomainError, Forbidden
from server.store import models as m
from tests.stats.scenario import DAY, MORNING, a_morning


@dataclass
class Link:
    centre: Hall
    site: Hall
    token: str
    uplink: Uplink
    halls_taken: list[int]

    async def catch_up(self) -> None:
        for _ in range(1000):
            if await self.uplink.step():
                return
        raise AssertionError("the uplink never caught up")

    def post(self, body: bytes, token: str | None = None, **headers: str) -> Any:
        return self.centre.client.post("/api/v1/region/uplink", content=body, headers={
            "Authorization": f"Bearer {token or self.token}", "Content-Encoding": "gzip",
            **headers})

    async def mirror_rows(self, table: str) -> list[dict[str, Any]]:
        assert self.centre.context.region is not None
        mirror = await self.centre.context.region.mirrors.get("TEST")
        return (await records(mirror.db, table))[table]

    async def site_rows(self, table: str) -> list[dict[str, Any]]:
        return (await records(self.site.context.db, table))[table]


@pytest.fixture(params=["sqlite"])
def centre_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The centre's store: SQLite, or (where a test asks for it) a new PostgreSQL database,
    dropped after with the mirrors made beside it."""
    with fresh_database(request.param, tmp_path / "centre", before_drop=drop_mirrors) as url:
        yield url


BOTH_STORES = pytest.mark.parametrize("centre_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
async def link(centre_url: str, tmp_path: Path) -> AsyncIterator[Link]:
    """A centre (no hall of its own) with the site TEST registered, and the site (SQLite)
    whose uplink reaches the centre's app directly."""
    clock = FakeClock(MORNING)
    async with running_hall(centre_url, tmp_path / "centre", config=None,  # type: ignore[arg-type]
                            clock=clock) as centre:
        async with centre.context.db.write() as session:
            token = await registry.add_site(session, "TEST", "Hall of tests", clock())
            await add_officer(session, centre.context.catalog, "wilayah", "Manajer Wilayah",
                              "manager", "rahasia-wilayah", clock())
        site_dir = tmp_path / "site"
        async with running_hall(f"sqlite:///{site_dir / 'antrean.db'}", site_dir,
                                clock=clock) as site:
            async with site.context.db.write(background=True) as session:
                await capture.ensure(session)
            taken: list[int] = []

            async def take(hall: HallConfig, hall_file: HallFile) -> None:
                taken.append(hall_file.version)

            uplink = Uplink(site.context.db,
                            UplinkSettings(url="http://centre", token=token, batch_changes=9),
                            clock, take, lambda: "TEST",
                            transport=httpx.ASGITransport(app=centre.app))  # type: ignore[arg-type]
            await uplink.start()
            assert uplink._task is not None
            uplink._task.cancel()  # the test steps the uplink itself
            try:
                yield Link(centre, site, token, uplink, taken)
            finally:
                await uplink.stop()


async def _region_manager(centre: Hall) -> dict[str, str]:
    response = await centre.client.post("/api/v1/auth/token", json={
        "username": "wilayah", "password": "rahasia-wilayah"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _site_stats(site: Hall, **params: str) -> dict[str, Any]:
    manager = await site.login("manajer")
    response = await site.client.get("/api/v1/sites/TEST/stats", headers=manager,
                                     params={"date_from": DAY, "date_to": DAY, **params})
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k != "generated_at"}


async def _centre_stats(link: Link, **params: str) -> dict[str, Any]:
    response = await link.centre.client.get(
        "/api/v1/region/sites/TEST/stats", headers=await _region_manager(link.centre),
        params={"date_from": DAY, "date_to": DAY, **params})
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k != "generated_at"}


@BOTH_STORES
async def test_the_site_catches_up_and_the_region_reads_the_same_figures(link: Link) -> None:
    await a_morning(link.site)
    await link.catch_up()
    assert link.uplink.state is LinkState.CAUGHT_UP and link.uplink.backlog == 0
    for table in ("tickets", "surveys", "audit_log", "events"):
        assert await link.mirror_rows(table) == await link.site_rows(table), table
    async with link.site.context.db.read() as session:  # the acknowledged are forgotten
        assert await capture.oldest(session) is None
    for group_by in ("service", "counter", "officer", "hour"):
        assert await _centre_stats(link, group_by=group_by) == await _site_stats(
            link.site, group_by=group_by)
    region = await link.centre.client.get("/api/v1/region",
                                          headers=await _region_manager(link.centre))
    [hall] = region.json()["halls"]
    assert hall["link"]["freshness"] == "live" and hall["now"]["waiting"] == 1  # P-001
    assert hall["totals"] == (await _site_stats(link.site))["totals"]
    exported = await link.centre.client.get(
        "/api/v1/region/sites/TEST/export/kpi.csv", headers=await _region_manager(link.centre),
        params={"date_from": DAY, "date_to": DAY})
    at_site = await link.site.client.get(
        "/api/v1/sites/TEST/export/kpi.csv", headers=await link.site.login("manajer"),
        params={"date_from": DAY, "date_to": DAY})
    assert exported.status_code == 200 and exported.text == at_site.text
    region_csv = await link.centre.client.get("/api/v1/region/export/kpi.csv",
                                              headers=await _region_manager(link.centre),
                                              params={"date_from": DAY, "date_to": DAY})
    assert region_csv.text.splitlines()[1].startswith("TEST,Mal Pelayanan Publik Uji,live,")


async def test_a_silent_hall_s_queue_is_not_shown_as_live(link: Link) -> None:
    await link.site.issue("KTP")
    await link.catch_up()
    link.centre.clock.advance(minutes=5)  # nothing heard for five minutes
    region = await link.centre.client.get("/api/v1/region",
                                          headers=await _region_manager(link.centre))
    [hall] = region.json()["halls"]
    assert hall["link"]["freshness"] == "silent" and hall["now"] is None
    assert hall["link"]["heard_words"] == "5 menit lalu"
    assert hall["totals"]["issued"] == 1  # the records held are still shown, as history


async def test_a_lost_answer_means_the_batch_comes_again_and_changes_nothing(link: Link) -> None:
    await a_morning(link.site)
    await link.uplink.step()
    held = link.uplink.acked
    link.uplink.acked = 0  # as if the answer had been lost on the way
    await link.catch_up()
    assert link.uplink.acked > held
    for table in ("tickets", "events"):
        assert await link.mirror_rows(table) == await link.site_rows(table)


async def test_a_centre_restored_from_an_old_copy_gets_everything_again(link: Link) -> None:
    await a_morning(link.site)
    await link.catch_up()
    assert link.centre.context.region is not None
    mirror = await link.centre.context.region.mirrors.get("TEST")
    async with mirror.db.write() as session:  # the mirror as it was before the morning
        for name in ("events", "audit_log", "surveys", "tickets"):
            await session.execute(text(f"DELETE FROM {name}"))
        await session.execute(text("UPDATE mirror_state SET acked = 3"))
    await mirror.reload()
    await link.site.issue("PKB")
    await link.catch_up()  # 409 gap: the site sends every record it holds once more
    for table in ("tickets", "surveys", "audit_log", "events"):
        assert await link.mirror_rows(table) == await link.site_rows(table), table


async def test_a_site_restored_from_an_old_copy_does_not_reuse_positions(link: Link) -> None:
    await a_morning(link.site)
    await link.catch_up()
    held = link.uplink.acked
    async with link.site.context.db.write() as session:  # the outbox as an old copy had it
        await session.execute(text("UPDATE sqlite_sequence SET seq = 10 WHERE name = "
                                   "'sync_outbox'"))
        await session.execute(text("UPDATE sync_state SET acked = 10"))
    link.uplink.acked = 10
    await link.site.issue("PKB")  # noted at positions the centre already holds
    await link.catch_up()
    async with link.site.context.db.read() as session:
        assert await capture.last_position(session) > held
    assert await link.mirror_rows("tickets") == await link.site_rows("tickets")


@BOTH_STORES
async def test_a_site_token_opens_only_its_own_hall(link: Link) -> None:
    await a_morning(link.site)
    batch = await batch_from(link.site.context.db, 0, 50_000)
    body = batch.model_dump_json().encode()
    unknown = await link.post(gzip.compress(body), token="site_not-a-token")
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "bad_token"
    async with link.centre.context.db.write() as session:
        other = await registry.add_site(session, "OTHER", "Another hall", link.centre.clock())
    claimed = batch.model_copy(update={"site": "OTHER"}).model_dump_json().encode()
    refused = await link.post(gzip.compress(claimed))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "wrong_site"
    # OTHER's token with TEST's records: refused whole, OTHER's mirror stays empty
    disguised = batch.model_copy(update={"site": None}).model_dump_json().encode()
    refused = await link.post(gzip.compress(disguised), token=other)
    assert refused.status_code == 403, refused.text
    renamed = edited(batch, "sites", code="OTHER").model_copy(update={"site": "OTHER"})
    refused = await link.post(gzip.compress(renamed.model_dump_json().encode()))
    assert refused.status_code == 403
    assert link.centre.context.region is not None
    mirror = await link.centre.context.region.mirrors.get("OTHER")
    async with mirror.db.read() as session:
        assert (await session.scalars(select(m.Ticket.id))).all() == []
    # the site's own hall file only
    async with link.centre.context.db.write() as session:
        await registry.publish_hall(session, "OTHER", (Path(__file__).parents[1] / "fixtures"
                                    / "small_hall.toml").read_text().replace(
                                        'code = "TEST"', 'code = "OTHER"'), link.centre.clock())
    mine = await link.centre.client.get("/api/v1/region/hall",
                                        headers={"Authorization": f"Bearer {link.token}"})
    assert mine.status_code == 404  # TEST has none published; OTHER's is not handed out
    theirs = await link.centre.client.get("/api/v1/region/hall",
                                          headers={"Authorization": f"Bearer {other}"})
    assert theirs.status_code == 200 and theirs.json()["site"] == "OTHER"


async def test_bad_wire_gets_clear_refusals(link: Link) -> None:
    batch = await batch_from(link.site.context.db, 0, 50)
    good = batch.model_dump_json().encode()
    cut = await link.post(gzip.compress(good)[:-20])
    assert cut.status_code == 422 and cut.json()["error"]["code"] == "bad_batch"
    plain = await link.post(good, **{"Content-Encoding": "identity"})
    assert plain.status_code == 200  # uncompressed is accepted too
    assert (await link.post(b"\x1f\x8b not gzip")).status_code == 422
    disordered = batch.model_copy(update={"changes": list(reversed(batch.changes))})
    response = await link.post(gzip.compress(disordered.model_dump_json().encode()))
    assert response.status_code == 422 and "out of order" in response.json()["error"]["message_en"]
    # A small body that expands past the limit (a "zip bomb") is refused, not expanded.
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1 << 20)
    bomb = b"".join(packer.compress(zeros) for _ in range(wire.MAX_EXPANDED // len(zeros) + 2))
    bomb += packer.flush()
    assert len(bomb) < 2 * 1024 * 1024
    response = await link.post(bomb)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


async def test_the_region_s_pages_are_for_the_region_s_managers(link: Link) -> None:
    site_manager = await link.site.login("manajer")  # a hall's session means nothing here
    for headers in (site_manager, {}, {"Authorization": f"Bearer {link.token}"}):
        assert (await link.centre.client.get("/api/v1/region", headers=headers)
                ).status_code == 401
    require_region_manager("officer", "manager", None)
    require_region_manager("officer", "admin", None)
    for kind, role, site_id in (("officer", "manager", 1), ("officer", "officer", None),
                                ("device", "display", None)):
        with pytest.raises(Forbidden):
            require_region_manager(kind, role, site_id)


async def test_the_newest_hall_file_is_taken_once(link: Link) -> None:
    hall = (Path(__file__).parents[1] / "fixtures" / "small_hall.toml").read_text()
    async with link.centre.context.db.write() as session:
        assert await registry.publish_hall(session, "TEST", hall, link.centre.clock()) == 1
        assert await registry.publish_hall(session, "TEST", hall, link.centre.clock()) == 1
    await link.catch_up()
    await link.catch_up()
    assert link.halls_taken == [1]
    async with link.centre.context.db.write() as session:
        assert await registry.publish_hall(session, "TEST", hall.replace("KTP-el", "KTP"),
                                           link.centre.clock()) == 2
    await link.catch_up()
    assert link.halls_taken == [1, 2] and link.uplink.hall_version == 2
    async with link.centre.context.db.write() as session:  # another hall's file: refused
        with pytest.raises(DomainError, match="describes the site 'X'"):
            await registry.publish_hall(session, "TEST", hall.replace(
                'code = "TEST"', 'code = "X"'), link.centre.clock())
