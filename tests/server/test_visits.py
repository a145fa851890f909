"""Visits through the API on both stores: one number, three agencies' counters, in plan order;
an officer adds and drops stops; a no-show holds the visit, then it lapses; many visits at
once never reach two counters and every stop is served once."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FIXTURES, KIOSK, Hall, running_hall

VISIT_HALL = FIXTURES / "visit_hall.toml"
PASSWORDS = {"siti": "rahasia-siti", "rina": "rahasia-rina", "joko": "rahasia-joko",
             "manajer": "rahasia-manajer"}


@pytest.fixture
async def hall(database_url: str, tmp_path: Path) -> AsyncIterator[Hall]:
    async with running_hall(database_url, tmp_path / "data", VISIT_HALL) as running:
        yield running


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", json={
        "username": username, "password": PASSWORDS[username]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def open_counter(client: httpx.AsyncClient, number: int, headers: dict[str, str]) -> int:
    counters = (await client.get("/api/v1/sites/TEST/counters")).json()
    counter = next(c["id"] for c in counters if c["number"] == number)
    response = await client.post(f"/api/v1/counters/{counter}/open", headers=headers)
    assert response.status_code == 200, response.text
    return int(counter)


async def issue_visit(client: httpx.AsyncClient, services: list[str], **extra: object
                      ) -> dict[str, Any]:
    response = await client.post("/api/v1/sites/TEST/visits",
                                 json={"services": services, **extra}, headers=KIOSK)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_visit_passes_three_agencies_on_one_number(hall: Hall) -> None:
    client = hall.client
    siti, rina, joko = [await login(client, name) for name in ("siti", "rina", "joko")]
    ktp_desk = await open_counter(client, 1, siti)
    bpjs_desk = await open_counter(client, 5, rina)
    tax_desk = await open_counter(client, 8, joko)
    # NPWP needs KTP: chosen first, it is moved behind it
    visit = await issue_visit(client, ["NPWP", "KTP", "BPJS"])
    assert [stop["service"] for stop in visit["visit"]["stops"]] == ["KTP", "NPWP", "BPJS"]
    assert visit["service"] == "KTP" and visit["number"] == "A-001"
    assert visit["visit"]["current"] == 1 and visit["visit"]["next_service"] == "NPWP"
    # someone already in BPJS's line stays ahead of the visit when it gets there
    hall.clock.advance(minutes=1)
    earlier = await client.post("/api/v1/sites/TEST/tickets", json={"service": "BPJS"},
                                headers=KIOSK)
    assert earlier.status_code == 201

    for desk, headers, service in ((ktp_desk, siti, "KTP"), (tax_desk, joko, "NPWP"),
                                   (bpjs_desk, rina, "BPJS")):
        hall.clock.advance(minutes=3)
        called = await client.post(f"/api/v1/counters/{desk}/call-next", headers=headers)
        assert called.status_code == 200, called.text
        if service == "BPJS":  # the earlier BPJS ticket first
            assert called.json()["number"] == earlier.json()["number"]
            await client.post(f"/api/v1/tickets/{called.json()['id']}/finish",
                              headers=headers)
            called = await client.post(f"/api/v1/counters/{desk}/call-next",
                                       headers=headers)
        assert called.json()["number"] == "A-001" and called.json()["service"] == service
        hall.clock.advance(minutes=2)
        finished = await client.post(f"/api/v1/tickets/{visit['id']}/finish",
                                     headers=headers)
        assert finished.status_code == 200, finished.text
    body = finished.json()
    assert body["status"] == "finished"
    assert body["visit"]["status"] == "finished"
    assert [stop["status"] for stop in body["visit"]["stops"]] == ["done"] * 3
    # each stop waited from when it joined its own line
    stops = body["visit"]["stops"]
    assert stops[1]["joined_at"] == stops[0]["finished_at"]
    assert stops[2]["joined_at"] == stops[1]["finished_at"]


async def test_an_officer_adds_and_drops_stops_and_the_change_is_audited(hall: Hall) -> None:
    client = hall.client
    siti = await login(client, "siti")
    desk = await open_counter(client, 1, siti)
    single = await client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                               headers=KIOSK)
    ticket = single.json()
    assert ticket["visit"] is None  # an ordinary ticket, as before
    await client.post(f"/api/v1/counters/{desk}/call-next", headers=siti)
    added = await client.post(f"/api/v1/tickets/{ticket['id']}/stops",
                              json={"service": "NPWP", "reason": "juga perlu NPWP"},
                              headers=siti)
    assert added.status_code == 200, added.text
    assert [s["service"] for s in added.json()["visit"]["stops"]] == ["KTP", "NPWP"]
    added = await client.post(f"/api/v1/tickets/{ticket['id']}/stops",
                              json={"service": "BPJS"}, headers=siti)
    twice = await client.post(f"/api/v1/tickets/{ticket['id']}/stops",
                              json={"service": "BPJS"}, headers=siti)
    assert twice.status_code == 422 and twice.json()["error"]["code"] == "duplicate_stop"
    assert twice.json()["error"]["message"] and twice.json()["error"]["message_en"]
    dropped = await client.post(f"/api/v1/tickets/{ticket['id']}/stops/drop",
                                json={"service": "BPJS", "reason": "sudah punya"}, headers=siti)
    assert dropped.status_code == 200, dropped.text
    assert [s["service"] for s in dropped.json()["visit"]["stops"]] == ["KTP", "NPWP"]
    served = await client.post(f"/api/v1/tickets/{ticket['id']}/stops/drop",
                               json={"service": "KTP"}, headers=siti)
    assert served.status_code == 409 and served.json()["error"]["code"] == "stop_not_droppable"
    finished = await client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=siti)
    assert finished.json()["status"] == "waiting" and finished.json()["service"] == "NPWP"
    manager = await login(client, "manajer")
    audit = await client.get("/api/v1/sites/TEST/audit", headers=manager)
    if audit.status_code == 200:
        actions = [entry["action"] for entry in audit.json()]
        assert "visit.add_stop" in actions and "visit.drop_stop" in actions
    else:  # the trail as stored
        from sqlalchemy import select

        from server.store import models as m

        async with hall.context.db.read() as session:
            rows = (await session.scalars(select(m.AuditEntry.action).where(
                m.AuditEntry.ticket_id == ticket["id"]))).all()
        assert "visit.add_stop" in rows and "visit.drop_stop" in rows and "visit.route" in rows


async def test_a_no_show_holds_the_visit_then_it_lapses(hall: Hall) -> None:
    client = hall.client
    siti = await login(client, "siti")
    desk = await open_counter(client, 1, siti)
    visit = await issue_visit(client, ["KTP", "BPJS"])
    await client.post(f"/api/v1/counters/{desk}/call-next", headers=siti)
    missed = await client.post(f"/api/v1/tickets/{visit['id']}/no-show", headers=siti)
    assert missed.json()["visit"]["status"] == "held"
    # back within the grace: in the same line again
    hall.clock.advance(minutes=5)
    back = await client.post(f"/api/v1/tickets/{visit['id']}/return", json={}, headers=siti)
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "waiting" and back.json()["visit"]["status"] == "active"
    await client.post(f"/api/v1/counters/{desk}/call-next", headers=siti)
    await client.post(f"/api/v1/tickets/{visit['id']}/no-show", headers=siti)
    hall.clock.advance(minutes=11)
    from server.services import visits
    from server.services.actor import SYSTEM

    assert await hall.context.runner.maintain(SYSTEM, visits.lapse_held) == 1
    late = await client.post(f"/api/v1/tickets/{visit['id']}/return", json={}, headers=siti)
    assert late.status_code == 409 and late.json()["error"]["code"] == "visit_lapsed"
    seen = (await client.get(f"/api/v1/tickets/{visit['tracking_code']}")).json()
    assert seen["visit"]["status"] == "lapsed"
    assert [s["status"] for s in seen["visit"]["stops"]] == ["lapsed", "lapsed"]


async def test_bad_visits_are_refused_in_both_languages(hall: Hall) -> None:
    client = hall.client
    for services, code, status in ((["KTP", "KTP"], "duplicate_stop", 422),
                                   (["KTP", "KK", "BPJS", "NPWP"], "too_many_stops", 422),
                                   (["KTP", "NOPE"], "unknown_service", 404)):
        response = await client.post("/api/v1/sites/TEST/visits", json={"services": services},
                                     headers=KIOSK)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code, error
        assert error["message"] and error["message_en"]


@pytest.mark.slow
async def test_thirty_visits_ten_counters_every_stop_served_once(hall: Hall) -> None:
    client = hall.client
    officers = {name: await login(client, name) for name in ("siti", "rina", "joko")}
    agency_of = {1: "siti", 2: "siti", 3: "siti", 4: "siti", 5: "rina", 6: "rina", 7: "rina",
                 8: "joko", 9: "joko", 10: "joko"}
    desks = {number: await open_counter(client, number, officers[name])
             for number, name in agency_of.items()}
    mixes = [["KTP", "BPJS", "NPWP"], ["KK", "BPJS"], ["BPJS", "NPWP", "KTP"], ["KK", "KTP"],
             ["NPWP", "KK"]]
    issued = await asyncio.gather(*(issue_visit(client, mixes[i % len(mixes)], **(
        {"priority_reason": "elderly"} if i % 7 == 0 else {})) for i in range(30)))
    planned = {v["id"]: [s["service"] for s in v["visit"]["stops"]] for v in issued}
    served: dict[int, list[str]] = defaultdict(list)
    holders: Counter[tuple[int, str]] = Counter()

    stops = sum(len(plan) for plan in planned.values())

    async def work(number: int) -> None:
        headers = officers[agency_of[number]]
        while sum(holders.values()) < stops:
            called = await client.post(f"/api/v1/counters/{desks[number]}/call-next",
                                       headers=headers)
            if called.status_code == 204:
                await asyncio.sleep(0.02)
                continue
            assert called.status_code == 200, called.text
            ticket = called.json()
            holders[(ticket["id"], ticket["service"])] += 1
            served[ticket["id"]].append(ticket["service"])
            done = await client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=headers)
            assert done.status_code == 200, done.text

    await asyncio.wait_for(asyncio.gather(*(work(number) for number in desks)), 120)
    # every stop served once, in the plan's order, and no ticket held by two counters
    assert all(count == 1 for count in holders.values()), holders
    assert dict(served) == planned


async def test_an_unconfirmed_visit_expires_with_its_plan(hall: Hall) -> None:
    client = hall.client
    visit = await issue_visit(client, ["KTP", "BPJS"], reserve=True)
    assert visit["status"] == "reserved" and visit["visit"]["status"] == "active"
    hall.clock.advance(minutes=3)
    from server.services import tickets
    from server.services.actor import SYSTEM

    assert await hall.context.runner.maintain(SYSTEM, tickets.expire_reservations) == 1
    seen = (await client.get(f"/api/v1/tickets/{visit['tracking_code']}")).json()
    assert seen["status"] == "expired" and seen["visit"]["status"] == "lapsed"
