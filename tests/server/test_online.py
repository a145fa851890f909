"""Antrean online over the API, on SQLite and PostgreSQL: bookings, remote numbers, the quota
and slot counts under concurrency, check-in at the kiosk, dispatch of checked-in bookings,
lapsing and erasing personal data."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, KIOSK, FakeClock, Hall, running_hall
from sqlalchemy import select

from server.services import online
from server.services.actor import SYSTEM
from server.store import models as m

ONLINE_HALL = FIXTURES / "online_hall.toml"
MONDAY_8 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
GOOD_NIK = "3174011203850001"


@pytest.fixture
async def hall(database_url: str, tmp_path: Path) -> AsyncIterator[Hall]:
    async with running_hall(database_url, tmp_path / "data", ONLINE_HALL,
                            FakeClock(MONDAY_8)) as running:
        yield running


def person(n: int = 0) -> dict[str, str]:
    return {"name": f"Warga {n}", "phone": f"0812{n:08d}"}


async def book(hall: Hall, slot: str = "10:00", service: str = "KTP", n: int = 0,
               day: str = "2026-03-02", **extra: object) -> dict[str, object]:
    response = await hall.client.post("/api/v1/sites/TEST/bookings", json={
        "service": service, "day": day, "slot": slot, **person(n), **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def check_in(hall: Hall, code: str, headers: dict[str, str] = KIOSK):  # type: ignore[no-untyped-def]
    return await hall.client.post("/api/v1/sites/TEST/check-in", json={"code": code},
                                  headers=headers)


async def test_a_booking_has_a_code_a_page_and_the_requirements(hall: Hall) -> None:
    booking = await book(hall, phone="+62 812-3456-7890")
    assert booking["status"] == "booked" and booking["kind"] == "slot"
    assert booking["slot"] == "10:00" and booking["check_in_from"] == "09:30"
    assert booking["requirements"] == ["Fotokopi Kartu Keluarga"]
    assert booking["phone_masked"] == "0812****7890"  # stored as 081234567890, never shown whole
    read = await hall.client.get(f"/api/v1/bookings/{booking['code']}")
    assert read.status_code == 200 and read.json()["code"] == booking["code"]
    missing = await hall.client.get("/api/v1/bookings/NOSUCHCODE")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_booking"
    slots = (await hall.client.get("/api/v1/sites/TEST/services/KTP/slots",
                                   params={"day": "2026-03-02"})).json()
    free = {s["start"]: s["free"] for s in slots["slots"]}
    assert free["10:00"] == 9 and free["10:30"] == 10 and free["15:30"] == 10
    assert min(free) == "08:30" and "16:00" not in free  # begun slots are not offered


async def test_a_wrong_nik_is_refused_with_what_is_wrong(hall: Hall) -> None:
    response = await hall.client.post("/api/v1/sites/TEST/bookings", json={
        "service": "KK", "day": "2026-03-02", "slot": "10:00", **person(),
        "nik": "3174013203850001"})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid_nik" and "Tanggal lahir" in body["message"]
    assert "birth date" in body["message_en"]
    required = await hall.client.post("/api/v1/sites/TEST/bookings", json={
        "service": "KK", "day": "2026-03-02", "slot": "10:00", **person()})
    assert required.status_code == 422 and required.json()["error"]["code"] == "nik_required"
    booking = await book(hall, service="KK", nik=GOOD_NIK)
    async with hall.context.db.read() as session:
        stored = await session.scalar(select(m.Booking).where(m.Booking.code == booking["code"]))
    assert stored is not None and stored.nik_hash and GOOD_NIK not in stored.nik_hash
    # The same NIK from another phone: one active booking per person and day.
    again = await hall.client.post("/api/v1/sites/TEST/bookings", json={
        "service": "KK", "day": "2026-03-02", "slot": "11:00", **person(7), "nik": GOOD_NIK})
    assert again.status_code == 409 and again.json()["error"]["code"] == "booking_limit"


async def test_fifty_concurrent_bookings_for_ten_places_give_exactly_ten(hall: Hall) -> None:
    async def one(n: int) -> tuple[int, str]:
        response = await hall.client.post("/api/v1/sites/TEST/bookings", json={
            "service": "KTP", "day": "2026-03-03", "slot": "09:00", **person(n)})
        return response.status_code, response.json().get("error", {}).get("code", "")

    results = await asyncio.gather(*(one(n) for n in range(50)))
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 10, 409: 40}, statuses
    assert {code for status, code in results if status == 409} == {"slot_full"}
    async with hall.context.db.read() as session:
        booked = await session.scalar(select(m.OnlineCount.taken).where(
            m.OnlineCount.slot == "09:00"))
        rows = (await session.scalars(select(m.Booking))).all()
    assert booked == 10 and len(rows) == 10


async def test_the_quota_holds_under_concurrent_kiosk_and_online_issue(hall: Hall) -> None:
    # KTP: 40 a day, half online: 20 walk-in numbers and 20 online ones, whoever comes first.
    async def walk_in() -> tuple[str, int, str]:
        response = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                          headers=KIOSK)
        return "kiosk", response.status_code, response.json().get("error", {}).get("code", "")

    async def remote(n: int) -> tuple[str, int, str]:
        response = await hall.client.post("/api/v1/sites/TEST/remote-tickets", json={
            "service": "KTP", **person(n)})
        return "online", response.status_code, response.json().get("error", {}).get("code", "")

    results = await asyncio.gather(*[walk_in() for _ in range(30)],
                                   *[remote(n) for n in range(30)])
    tally = Counter((kind, status) for kind, status, _ in results)
    assert tally == {("kiosk", 201): 20, ("kiosk", 409): 10, ("online", 201): 20,
                     ("online", 409): 10}, tally
    assert {code for _, status, code in results if status == 409} == {"quota_reached"}
    services = (await hall.client.get("/api/v1/sites/TEST/services")).json()
    ktp = next(s for s in services if s["code"] == "KTP")
    assert ktp["quota_left"] == 0 and ktp["online_left"] == 0
    async with hall.context.db.read() as session:
        numbers = (await session.scalars(select(m.Ticket.number))).all()
    assert len(numbers) == len(set(numbers)) == 40


async def test_a_remote_number_is_never_called_before_check_in(hall: Hall) -> None:
    taken = (await hall.client.post("/api/v1/sites/TEST/remote-tickets", json={
        "service": "KTP", **person()})).json()
    ticket = taken["ticket"]
    assert ticket["status"] == "remote" and ticket["channel"] == "web"
    for _ in range(3):
        await hall.issue("KTP")
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    called = []
    for _ in range(4):
        response = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
        called.append(response.json()["number"] if response.status_code == 200 else None)
    assert ticket["number"] not in called and called[-1] is None  # the line is empty
    # Its turn has passed: checked in within the grace, it is the head again, in its place.
    await hall.context.runner.maintain(SYSTEM, online.lapse_and_erase)
    checked = await check_in(hall, str(taken["code"]))
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "waiting" and checked.json()["people_ahead"] == 0
    await hall.issue("KTP")
    response = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    assert response.json()["number"] == ticket["number"]


async def test_a_remote_number_lapses_after_the_grace(hall: Hall) -> None:
    taken = (await hall.client.post("/api/v1/sites/TEST/remote-tickets", json={
        "service": "KTP", **person()})).json()
    await hall.context.runner.maintain(SYSTEM, online.lapse_and_erase)  # nobody ahead: its turn
    hall.clock.advance(minutes=11)
    await hall.context.runner.maintain(SYSTEM, online.lapse_and_erase)
    read = (await hall.client.get(f"/api/v1/bookings/{taken['code']}")).json()
    assert read["status"] == "lapsed" and read["ticket"]["status"] == "lapsed"
    late = await check_in(hall, str(taken["code"]))
    assert late.status_code == 409 and late.json()["error"]["code"] == "too_late"


async def test_check_in_inside_and_outside_its_window(hall: Hall) -> None:
    booking = await book(hall, slot="10:00")
    code = str(booking["code"])
    hall.clock.advance(hours=1, minutes=20)  # 09:20, the window opens at 09:30
    early = await check_in(hall, code)
    assert early.status_code == 409 and early.json()["error"]["code"] == "too_early"
    refusal = early.json()["error"]
    assert refusal["details"]["opens_at"] == "09:30" and "09.30" in refusal["message"]
    hall.clock.advance(minutes=15)
    # As scanned: the QR holds the booking page's address.
    scanned = await check_in(hall, f"http://hall/online/{code.lower()}")
    assert scanned.status_code == 200, scanned.text
    ticket = scanned.json()
    assert ticket["channel"] == "appointment" and ticket["slot_at"].startswith("2026-03-02T03:00")
    again = await check_in(hall, code)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_checked_in"
    unknown = await check_in(hall, "ZZZZZZZZ")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_booking"
    late = await book(hall, slot="11:00", n=2)
    hall.clock.advance(hours=1, minutes=45)  # 11:20: five minutes past the window's end
    refused = await check_in(hall, str(late["code"]))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "too_late"
    display = {"Authorization": "Bearer test-display-token-1"}
    assert (await check_in(hall, code, display)).status_code == 403


async def test_a_due_booking_goes_ahead_of_walk_ins_within_the_cap(hall: Hall) -> None:
    walk_ins = [await hall.issue("KTP") for _ in range(3)]
    bookings = [await book(hall, slot="09:00", n=n) for n in range(3)]
    hall.clock.advance(minutes=45)  # 08:45: inside the window
    for b in bookings:
        assert (await check_in(hall, str(b["code"]))).status_code == 200
    hall.clock.advance(minutes=20)  # 09:05: the slot has come
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    channels = []
    for _ in range(6):
        response = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
        channels.append(response.json()["channel"])
    # Two bookings (the cap), a walk-in, the last booking, then the walk-ins in issue order.
    assert channels == ["appointment", "appointment", "kiosk", "appointment", "kiosk", "kiosk"]
    async with hall.context.db.read() as session:
        reasons = (await session.scalars(select(m.AuditEntry.reason).where(
            m.AuditEntry.action == "ticket.call"))).all()
    assert reasons.count("booking_slot_due") == 3
    assert walk_ins[0]["number"] == "A-001"


async def test_cancel_and_reschedule_give_the_place_back(hall: Hall) -> None:
    codes = [str((await book(hall, slot="13:00", n=n))["code"]) for n in range(10)]
    full = await hall.client.post("/api/v1/sites/TEST/bookings", json={
        "service": "KTP", "day": "2026-03-02", "slot": "13:00", **person(99)})
    assert full.status_code == 409 and full.json()["error"]["code"] == "slot_full"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    cancelled = await hall.client.post(f"/api/v1/bookings/{codes[0]}/cancel", headers=key)
    assert cancelled.json()["status"] == "cancelled"
    replay = await hall.client.post(f"/api/v1/bookings/{codes[0]}/cancel", headers=key)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    moved = await hall.client.post(f"/api/v1/bookings/{codes[1]}/reschedule",
                                   json={"day": "2026-03-03", "slot": "08:00"})
    assert moved.status_code == 200 and moved.json()["slot"] == "08:00"
    assert moved.json()["code"] == codes[1]
    slots = (await hall.client.get("/api/v1/sites/TEST/services/KTP/slots",
                                   params={"day": "2026-03-02"})).json()
    assert next(s["free"] for s in slots["slots"] if s["start"] == "13:00") == 2


async def test_a_retried_booking_is_one_booking(hall: Hall) -> None:
    body = {"service": "KTP", "day": "2026-03-02", "slot": "14:00", **person()}
    key = {"Idempotency-Key": "form-" + uuid.uuid4().hex}
    first = await hall.client.post("/api/v1/sites/TEST/bookings", json=body, headers=key)
    second = await hall.client.post("/api/v1/sites/TEST/bookings", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] == second.json()["code"]
    async with hall.context.db.read() as session:
        assert len((await session.scalars(select(m.Booking))).all()) == 1


async def test_personal_data_is_erased_after_the_retention_days(hall: Hall) -> None:
    booking = await book(hall, service="KK", nik=GOOD_NIK)
    hall.clock.advance(days=31)
    await hall.context.runner.maintain(SYSTEM, online.lapse_and_erase)
    async with hall.context.db.read() as session:
        stored = await session.scalar(select(m.Booking).where(m.Booking.code == booking["code"]))
    assert stored is not None and stored.erased_at is not None
    assert (stored.name, stored.phone, stored.nik_hash) == ("", "", None)
    assert stored.status == "lapsed"  # never checked in: counted as a no-show


async def test_the_statistics_say_the_online_share_no_shows_and_punctuality(hall: Hall) -> None:
    for _ in range(3):
        await hall.issue("KTP")
    came = await book(hall, slot="09:00", n=1)
    await book(hall, slot="09:00", n=2)  # never comes
    hall.clock.advance(minutes=45)  # 08:45
    assert (await check_in(hall, str(came["code"]))).status_code == 200
    hall.clock.advance(minutes=20)  # 09:05
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    first = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    assert first.json()["channel"] == "appointment"
    hall.clock.advance(minutes=30)  # 09:35: the other booking's window has closed
    await hall.context.runner.maintain(SYSTEM, online.lapse_and_erase)
    manager = await hall.login("manajer")
    answer = await hall.client.get("/api/v1/sites/TEST/stats", headers=manager, params={
        "date_from": "2026-03-02", "date_to": "2026-03-02"})
    assert answer.status_code == 200, answer.text
    [ktp] = [row for row in answer.json()["online"] if row["service"] == "KTP"]
    assert (ktp["walk_in"], ktp["online"], ktp["online_share"]) == (3, 1, 0.25)
    assert (ktp["bookings"], ktp["checked_in"], ktp["lapsed"]) == (2, 1, 1)
    assert ktp["no_show_rate"] == 0.5
    assert ktp["punctuality_median_seconds"] == 300  # called at 09:05 for the 09:00 slot
    assert (ktp["quota"], ktp["quota_used"], ktp["quota_use"]) == (40, 4, 0.1)
    export = await hall.client.get("/api/v1/sites/TEST/export/kpi.xlsx", headers=manager,
                                   params={"date_from": "2026-03-02", "date_to": "2026-03-02"})
    assert export.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content))["online"]
    header = [c.value for c in sheet[1]]
    ktp_row = next([c.value for c in row] for row in sheet.iter_rows(min_row=2)
                   if row[0].value == "KTP")
    assert dict(zip(header, ktp_row, strict=True))["no_show_rate"] == 0.5


async def test_a_code_checked_in_from_two_kiosks_at_once_makes_one_ticket(hall: Hall) -> None:
    booking = await book(hall, slot="08:30")
    remote = (await hall.client.post("/api/v1/sites/TEST/remote-tickets", json={
        "service": "KTP", **person(5)})).json()
    for code in (str(booking["code"]), str(remote["code"])):
        answers = await asyncio.gather(*(check_in(hall, code) for _ in range(8)))
        assert sorted(a.status_code for a in answers) == [200] + [409] * 7
        assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
            "already_checked_in"}
    async with hall.context.db.read() as session:
        waiting = (await session.scalars(select(m.Ticket.number).where(
            m.Ticket.status == "waiting"))).all()
    assert len(waiting) == 2


async def test_staff_list_the_days_bookings_with_phones_masked(hall: Hall) -> None:
    await book(hall, slot="10:00", phone="081234567890")
    await book(hall, slot="11:00", service="KK", n=3, nik=GOOD_NIK)
    siti = await hall.login("siti")  # Dukcapil: KTP and KK are hers
    listed = await hall.client.get("/api/v1/sites/TEST/bookings", headers=siti,
                                   params={"day": "2026-03-02"})
    assert listed.status_code == 200
    rows = listed.json()
    assert [r["slot"] for r in rows] == ["10:00", "11:00"]
    assert rows[0]["phone_masked"] == "0812****7890" and "081234567890" not in listed.text
    assert GOOD_NIK not in listed.text
    budi = await hall.login("budi")  # Samsat: none of these
    assert (await hall.client.get("/api/v1/sites/TEST/bookings", headers=budi,
                                  params={"day": "2026-03-02"})).json() == []
    kiosk = await hall.client.get("/api/v1/sites/TEST/bookings", headers=KIOSK,
                                  params={"day": "2026-03-02"})
    assert kiosk.status_code == 403
    anyone = await hall.client.get("/api/v1/sites/TEST/bookings", params={"day": "2026-03-02"})
    assert anyone.status_code == 401


async def test_staff_cancelling_a_remote_number_ends_its_booking(hall: Hall) -> None:
    taken = (await hall.client.post("/api/v1/sites/TEST/remote-tickets", json={
        "service": "KTP", **person(8)})).json()
    siti = await hall.login("siti")
    ticket_id = taken["ticket"]["id"]
    cancelled = await hall.client.post(f"/api/v1/tickets/{ticket_id}/cancel",
                                       json={"reason": "warga minta batal lewat telepon"},
                                       headers=siti)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    read = (await hall.client.get(f"/api/v1/bookings/{taken['code']}")).json()
    assert read["status"] == "cancelled"
    services = (await hall.client.get("/api/v1/sites/TEST/services")).json()
    assert next(s for s in services if s["code"] == "KTP")["online_left"] == 20  # back
