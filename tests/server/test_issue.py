"""Issuing tickets over the API: numbering, priority, reservations, idempotency, refusals."""

from __future__ import annotations

import asyncio

import pytest
from conftest import DISPLAY, KIOSK, KIOSK_2, Hall


async def test_numbers_count_up_per_service_and_day(hall: Hall) -> None:
    first = await hall.issue("KTP")
    second = await hall.issue("KTP")
    other = await hall.issue("KK")
    assert (first["number"], second["number"], other["number"]) == ("A-001", "A-002", "B-001")
    assert first["status"] == "waiting"
    assert first["people_ahead"] == 0 and second["people_ahead"] == 1
    assert first["tracking_code"] != second["tracking_code"]
    assert second["tracking_url"].endswith("/t/" + second["tracking_code"])


async def test_numbering_restarts_on_the_next_service_day(hall: Hall) -> None:
    await hall.issue("KTP")
    await hall.issue("KTP")
    hall.clock.advance(days=1)
    assert (await hall.issue("KTP"))["number"] == "A-001"


async def test_numbers_past_999_grow_as_stored(hall: Hall) -> None:
    # PostgreSQL formats the number in the statement that takes it, SQLite in Python: the
    # answer and the stored ticket must agree either way, reserved or waiting.
    from sqlalchemy import update

    from server.store import models as m

    first = await hall.issue("KTP")
    async with hall.context.db.write() as session:
        await session.execute(update(m.DailySequence).values(last_sequence=998))
    issued = [await hall.issue("KTP"), await hall.issue("KTP", reserve=True),
              await hall.issue("KTP", priority_reason="elderly")]
    assert [t["number"] for t in (first, *issued)] == ["A-001", "A-999", "A-1000", "A-1001"]
    for ticket in issued:
        stored = await hall.client.get(f"/api/v1/tickets/{ticket['tracking_code']}")
        assert stored.json()["number"] == ticket["number"]
    assert (issued[0]["people_ahead"], issued[2]["people_ahead"]) == (1, 0)


def test_tracking_codes_draw_every_letter_alike() -> None:
    from collections import Counter

    from server.services.tickets import TRACKING_ALPHABET, TRACKING_LENGTH, new_tracking_code

    assert 256 % len(TRACKING_ALPHABET) == 0  # what makes a byte per letter fair
    codes = [new_tracking_code() for _ in range(3200)]
    assert all(len(code) == TRACKING_LENGTH for code in codes) and len(set(codes)) == 3200
    letters = Counter("".join(codes))
    assert set(letters) == set(TRACKING_ALPHABET)
    assert all(800 < count < 1200 for count in letters.values()), letters  # 1,000 each expected


async def test_priority_ticket_is_ahead_of_regular_ones(hall: Hall) -> None:
    await hall.issue("KTP")
    await hall.issue("KTP")
    priority = await hall.issue("KTP", priority_reason="elderly")
    assert priority["priority"] is True and priority["priority_reason"] == "elderly"
    assert priority["people_ahead"] == 0
    regular = await hall.issue("KTP")
    assert regular["people_ahead"] == 3  # two earlier regulars and the priority ticket


@pytest.mark.parametrize(("typed", "stored"), [
    ("lansia", "elderly"), ("Lansia", "elderly"), ("disabilitas", "disability"),
    ("ibu hamil", "pregnant"), ("hamil", "pregnant"), ("anak", "child"), ("anak-anak", "child"),
    ("korban bencana", "disaster_victim"), ("ELDERLY", "elderly")])
async def test_priority_reason_in_the_words_an_indonesian_types(hall: Hall, typed: str,
                                                                stored: str) -> None:
    ticket = await hall.issue("KTP", priority_reason=typed)
    assert ticket["priority"] is True and ticket["priority_reason"] == stored  # canonical
    tracked = await hall.client.get(f"/api/v1/tickets/{ticket['tracking_code']}")
    assert tracked.json()["priority_reason"] == stored


async def test_an_unknown_priority_reason_lists_the_words_that_work(hall: Hall) -> None:
    refused = await hall.client.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                                     json={"service": "KTP", "priority_reason": "lanjut"})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert "'lanjut' bukan kelompok prioritas" in error["message"]
    assert "'lanjut' is not a priority group" in error["message_en"]
    for words in ("elderly (lansia)", "pregnant (ibu hamil)", "disaster_victim (korban bencana)"):
        assert words in error["message"] and words in error["message_en"]
    schema = (await hall.client.get("/openapi.json")).json()
    field = schema["components"]["schemas"]["IssueTicketRequest"]["properties"]["priority_reason"]
    listed = next(option["enum"] for option in field["anyOf"] if "enum" in option)
    assert {"elderly", "lansia", "ibu hamil", "korban bencana"} <= set(listed)
    assert "lansia" in field["description"]


async def test_refusals_are_4xx_with_words_for_people(hall: Hall) -> None:
    unknown = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "NOPE"},
                                     headers=KIOSK)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_service"
    assert "tidak ditemukan" in unknown.json()["error"]["message"]

    for _ in range(3):
        await hall.issue("AKTA")  # its daily quota is 3
    full = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "AKTA"},
                                  headers=KIOSK)
    assert full.status_code == 409 and full.json()["error"]["code"] == "quota_reached"
    services = {s["code"]: s for s in (await hall.client.get("/api/v1/sites/TEST/services")).json()}
    assert services["AKTA"]["quota_left"] == 0
    assert services["AKTA"]["closed_reason"] == "quota_reached"
    assert services["KTP"]["closed_reason"] is None

    no_token = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"})
    assert no_token.status_code == 401
    display = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                     headers=DISPLAY)
    assert display.status_code == 403
    wrong_type = await hall.client.post("/api/v1/sites/TEST/tickets",
                                        json={"service": 12, "reserve": "maybe"}, headers=KIOSK)
    assert wrong_type.status_code == 422
    assert wrong_type.json()["error"]["code"] == "invalid_request"


async def test_the_quota_refusal_does_not_burn_a_number(hall: Hall) -> None:
    for _ in range(3):
        await hall.issue("AKTA")
    for _ in range(2):
        await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "AKTA"},
                               headers=KIOSK)
    hall.clock.advance(days=1)
    assert (await hall.issue("AKTA"))["number"] == "C-001"


async def test_same_idempotency_key_returns_the_first_ticket(hall: Hall) -> None:
    headers = {**KIOSK, "Idempotency-Key": "kiosk-1-req-42"}
    first = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                   headers=headers)
    again = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                   headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (await hall.issue("KTP"))["number"] == "A-002"  # nothing was issued twice

    reused = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KK"},
                                    headers=headers)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    # The key belongs to its device: another kiosk's same key is its own request.
    other = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                   headers={**KIOSK_2, "Idempotency-Key": "kiosk-1-req-42"})
    assert other.status_code == 201 and other.json()["number"] == "A-003"


async def test_one_key_sent_at_once_from_several_connections_issues_one_ticket(hall: Hall) -> None:
    """A kiosk retrying over a flaky network may have its first attempt still running: on
    PostgreSQL both run, the second meets the first's key at its insert and answers as the
    first did."""
    headers = {**KIOSK, "Idempotency-Key": "kiosk-1-req-race"}
    answers = await asyncio.gather(*(
        hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"}, headers=headers)
        for _ in range(4)))
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert (await hall.issue("KTP"))["number"] == "A-002"  # nothing was issued twice


async def test_reservation_joins_the_line_only_when_confirmed(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    reserved = await hall.issue("KTP", reserve=True)
    assert reserved["status"] == "reserved"
    call = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    assert call.status_code == 204  # a reservation never reaches a counter

    confirmed = await hall.client.post(f"/api/v1/tickets/{reserved['id']}/confirm",
                                       headers=KIOSK)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "waiting"
    call = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    assert call.status_code == 200 and call.json()["number"] == reserved["number"]


async def test_only_the_reserving_kiosk_confirms(hall: Hall) -> None:
    reserved = await hall.issue("KTP", reserve=True)
    other = await hall.client.post(f"/api/v1/tickets/{reserved['id']}/confirm", headers=KIOSK_2)
    assert other.status_code == 403


async def test_unconfirmed_reservation_expires_and_keeps_its_number(hall: Hall) -> None:
    from server.services import tickets
    from server.services.actor import SYSTEM

    reserved = await hall.issue("KTP", reserve=True)
    hall.clock.advance(seconds=121)
    late = await hall.client.post(f"/api/v1/tickets/{reserved['id']}/confirm", headers=KIOSK)
    assert late.status_code == 409 and late.json()["error"]["code"] == "reservation_expired"
    assert await hall.context.runner.maintain(SYSTEM, tickets.expire_reservations) == 1
    tracked = await hall.client.get(f"/api/v1/tickets/{reserved['tracking_code']}")
    assert tracked.json()["status"] == "expired"
    assert (await hall.issue("KTP"))["number"] == "A-002"  # the expired number is not reused


async def test_tracking_page_data_is_public(hall: Hall) -> None:
    ticket = await hall.issue("KK")
    tracked = await hall.client.get(f"/api/v1/tickets/{ticket['tracking_code'].lower()}")
    assert tracked.status_code == 200
    assert tracked.json()["number"] == "B-001" and tracked.json()["people_ahead"] == 0
    missing = await hall.client.get("/api/v1/tickets/ZZZZZZZZZZ")
    assert missing.status_code == 404


async def test_a_closed_service_says_when_it_opens(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from conftest import SMALL_HALL, FakeClock, running_hall

    office_hours = SMALL_HALL.read_text(encoding="utf-8").replace(
        "always_open = true",
        'always_open = false\nhours = { mon = "08:00-15:00", tue = "08:00-15:00" }')
    config = tmp_path / "hours.toml"
    config.write_text(office_hours, encoding="utf-8")
    monday_evening = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 19:00 in Jakarta
    async with running_hall(database_url, tmp_path / "data", config,
                            FakeClock(monday_evening)) as hall:
        refused = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                         headers=KIOSK)
        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["code"] == "service_closed"
        assert "Selasa 24/11 pukul 08.00" in error["message"]
        assert error["details"]["next_opening"].startswith("2026-11-24T01:00")
        services = (await hall.client.get("/api/v1/sites/TEST/services")).json()
        assert all(s["closed_reason"] == "closed" and not s["open_now"] for s in services)


async def test_cancel_by_kiosk_and_officer(hall: Hall) -> None:
    reserved = await hall.issue("KTP", reserve=True)
    withdrawn = await hall.client.post(f"/api/v1/tickets/{reserved['id']}/cancel", headers=KIOSK,
                                       json={"reason": "warga batal"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "cancelled"
    waiting = await hall.issue("KTP")
    by_kiosk = await hall.client.post(f"/api/v1/tickets/{waiting['id']}/cancel", headers=KIOSK,
                                      json={})
    assert by_kiosk.status_code == 403  # a kiosk may only withdraw its own reservation
    siti = await hall.login("siti")
    by_officer = await hall.client.post(f"/api/v1/tickets/{waiting['id']}/cancel", headers=siti,
                                        json={"reason": "berkas tidak lengkap"})
    assert by_officer.status_code == 200 and by_officer.json()["status"] == "cancelled"
    services = {s["code"]: s for s in (await hall.client.get("/api/v1/sites/TEST/services")).json()}
    assert services["KTP"]["waiting"] == 0


async def test_an_issued_ticket_and_its_queue_summary_agree_on_the_line(hall: Hall) -> None:
    # The issue reads its place and its line's counts in one statement and hands the counts
    # to the queue summary: both must be the line as it stands with the new ticket in it.
    from server.realtime import log as event_log

    await hall.issue("KTP")
    await hall.issue("KTP", priority_reason="elderly")
    await hall.issue("KK")
    newest = await hall.issue("KTP")
    priority = await hall.issue("KTP", priority_reason="pregnant")
    assert (newest["people_ahead"], priority["people_ahead"]) == (2, 1)
    async with hall.context.db.read() as session:
        events = await event_log.events_between(session, 1, 0)
    summaries = [e for e in events if e.type == "queue.summary"]
    [ktp] = summaries[-1].queues  # type: ignore[attr-defined]
    assert (ktp.service, ktp.waiting, ktp.waiting_priority) == ("KTP", 4, 2)
    services = {s["code"]: s for s in (await hall.client.get("/api/v1/sites/TEST/services")).json()}
    assert services["KTP"]["waiting"] == 4
    assert services["KTP"]["estimated_wait_minutes"] == ktp.estimated_wait_minutes
    assert priority["estimated_wait_minutes"] is not None


async def test_text_with_a_nul_character_is_refused_before_the_database(hall: Hall) -> None:
    refused = await hall.client.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                                     json={"service": "KTP\u0000"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_request"
    assert "NUL" in refused.json()["error"]["message_en"]
    siti = await hall.login("siti")
    waiting = await hall.issue("KTP")
    reason = await hall.client.post(f"/api/v1/tickets/{waiting['id']}/cancel", headers=siti,
                                    json={"reason": "berkas\u0000"})
    assert reason.status_code == 422
    tracked = await hall.client.get(f"/api/v1/tickets/{waiting['tracking_code']}")
    assert tracked.json()["status"] == "waiting"
