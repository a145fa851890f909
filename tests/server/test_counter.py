"""An officer runs a counter: call, recall, start, finish, no-show, return, transfer, pause."""

from __future__ import annotations

from conftest import DISPLAY, KEYPAD, Hall
from sqlalchemy import select

from server.store import models as m


async def _post(hall: Hall, path: str, headers: dict[str, str], **body: object):  # type: ignore[no-untyped-def]
    return await hall.client.post(path, headers=headers, json=body or None)


async def test_a_ticket_from_call_to_finish(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    ticket = await hall.issue("KTP")

    called = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    assert called.status_code == 200
    assert called.json()["number"] == ticket["number"]
    assert called.json()["status"] == "called" and called.json()["counter_number"] == 1

    recalled = await _post(hall, f"/api/v1/tickets/{ticket['id']}/recall", siti)
    assert recalled.json()["call_count"] == 2
    hall.clock.advance(minutes=1)
    started = await _post(hall, f"/api/v1/tickets/{ticket['id']}/start", siti)
    assert started.json()["status"] == "serving"
    hall.clock.advance(minutes=7)
    finished = await _post(hall, f"/api/v1/tickets/{ticket['id']}/finish", siti)
    assert finished.json()["status"] == "finished"

    again = await _post(hall, f"/api/v1/tickets/{ticket['id']}/finish", siti)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_at_counter"
    empty = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    assert empty.status_code == 204


async def test_call_next_goes_in_issue_order(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(2, siti)  # serves KTP and KK, KK weighted higher
    issued = [(await hall.issue("KTP"))["number"] for _ in range(4)]
    called = []
    for _ in issued:
        response = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
        called.append(response.json()["number"])
    assert called == ["A-001", "A-002", "A-003", "A-004"]


async def test_priority_is_interleaved_one_per_two_regular(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    for _ in range(4):
        await hall.issue("KTP")
    for _ in range(3):
        await hall.issue("KTP", priority_reason="pregnant")
    order = []
    for _ in range(7):
        called = (await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)).json()
        order.append("P" if called["priority"] else "R")
    # A priority ticket first (none called yet), then two regular per priority.
    assert "".join(order) == "PRRPRRP"


async def test_no_show_then_return_to_the_back_of_the_line(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    late = await hall.issue("KTP")
    on_time = await hall.issue("KTP")
    hall.clock.advance(minutes=2)
    await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    hall.clock.advance(minutes=2)
    gone = await _post(hall, f"/api/v1/tickets/{late['id']}/no-show", siti)
    assert gone.json()["status"] == "no_show"
    hall.clock.advance(minutes=5)
    back = await _post(hall, f"/api/v1/tickets/{late['id']}/return", siti, reason="datang")
    assert back.json()["status"] == "waiting" and back.json()["people_ahead"] == 1
    nxt = (await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)).json()
    assert nxt["number"] == on_time["number"]
    nxt = (await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)).json()
    assert nxt["number"] == late["number"]


async def test_transfer_keeps_the_number_and_moves_the_line(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    ticket = await hall.issue("KTP")
    await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    moved = await _post(hall, f"/api/v1/tickets/{ticket['id']}/transfer", siti,
                        service="KK", reason="perlu ubah KK dulu")
    assert moved.status_code == 200
    assert moved.json()["number"] == "A-001" and moved.json()["service"] == "KK"
    assert moved.json()["status"] == "waiting"
    counter2 = await hall.open_counter(2, siti)
    called = (await _post(hall, f"/api/v1/counters/{counter2}/call-next", siti)).json()
    assert called["id"] == ticket["id"]
    unknown = await _post(hall, f"/api/v1/tickets/{ticket['id']}/transfer", siti, service="XX")
    assert unknown.status_code == 404


async def test_out_of_order_call_needs_a_reason_and_is_audited(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    await hall.issue("KTP")
    third = [await hall.issue("KTP") for _ in range(2)][-1]
    no_reason = await _post(hall, f"/api/v1/counters/{counter}/call", siti,
                            ticket_id=third["id"])
    assert no_reason.status_code == 422
    called = await _post(hall, f"/api/v1/counters/{counter}/call", siti,
                         ticket_id=third["id"], reason="lansia tidak terdaftar prioritas")
    assert called.status_code == 200 and called.json()["number"] == "A-003"
    async with hall.context.db.read() as session:
        entry = await session.scalar(select(m.AuditEntry).where(
            m.AuditEntry.action == "ticket.call_out_of_order"))
    assert entry is not None
    assert entry.reason == "lansia tidak terdaftar prioritas"
    assert entry.actor_name == "siti" and entry.ticket_id == third["id"]
    assert entry.counter_id == counter


async def test_an_out_of_order_call_by_the_number_as_printed(hall: Hall) -> None:
    """The citizen shows the paper; the officer types what it says, even on an app that was
    restarted and never saw that ticket issued."""
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    await hall.issue("KTP")
    second = await hall.issue("KTP")
    reason = "tiket dicetak ulang, lansia"
    called = await _post(hall, f"/api/v1/counters/{counter}/call", siti,
                         number=second["number"], reason=reason)
    assert called.status_code == 200, called.text
    assert called.json()["id"] == second["id"] and called.json()["status"] == "called"
    again = await _post(hall, f"/api/v1/counters/{counter}/call", siti,
                        number=second["number"], reason=reason)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_called"

    unknown = await _post(hall, f"/api/v1/counters/{counter}/call", siti, number="A-099",
                          reason=reason)
    assert unknown.status_code == 404 and "A-099" in unknown.json()["error"]["message"]
    other_agency = await hall.issue("PKB")
    not_served = await _post(hall, f"/api/v1/counters/{counter}/call", siti,
                             number=other_agency["number"], reason=reason)
    assert not_served.status_code == 422
    assert not_served.json()["error"]["code"] == "service_not_served"
    for body in ({"reason": reason}, {"number": "A-001", "ticket_id": second["id"],
                                      "reason": reason}, {"number": "a1", "reason": reason}):
        refused = await _post(hall, f"/api/v1/counters/{counter}/call", siti, **body)
        assert refused.status_code == 422, body

    hall.clock.advance(days=1)  # yesterday's A-001 is not today's
    siti = await hall.login("siti")
    stale = await _post(hall, f"/api/v1/counters/{counter}/call", siti, number="A-001",
                        reason=reason)
    assert stale.status_code == 404


async def test_pause_resume_close(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    paused = await _post(hall, f"/api/v1/counters/{counter}/pause", siti, reason="salat Jumat")
    assert paused.json()["state"] == "paused" and paused.json()["pause_reason"] == "salat Jumat"
    await hall.issue("KTP")
    refused = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "counter_not_open"
    resumed = await _post(hall, f"/api/v1/counters/{counter}/resume", siti)
    assert resumed.json()["state"] == "open"
    await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    busy = await _post(hall, f"/api/v1/counters/{counter}/close", siti)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "ticket_in_hand"


async def test_officers_act_only_at_their_own_agency(hall: Hall) -> None:
    budi = await hall.login("budi")  # Samsat
    dukcapil_counter = await hall.counter_id(1)
    refused = await _post(hall, f"/api/v1/counters/{dukcapil_counter}/open", budi)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "wrong_agency"
    display = await _post(hall, f"/api/v1/counters/{dukcapil_counter}/open", DISPLAY)
    assert display.status_code == 403
    manager = await hall.login("manajer")
    assert (await _post(hall, f"/api/v1/counters/{dukcapil_counter}/open", manager)
            ).status_code == 200


async def test_the_counter_read_says_whose_counter_it_is(hall: Hall) -> None:
    budi = await hall.login("budi")  # Samsat
    siti = await hall.login("siti")  # Dukcapil
    counter = await hall.counter_id(1)
    mine = await hall.client.get(f"/api/v1/counters/{counter}", headers=siti)
    assert mine.status_code == 200
    assert mine.json()["number"] == 1 and mine.json()["agency"]["code"] == "DUKCAPIL"
    refused = await hall.client.get(f"/api/v1/counters/{counter}", headers=budi)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "wrong_agency" and error["details"]["counter_agency"] == "DUKCAPIL"
    assert "Loket 1 adalah loket Dinas Kependudukan dan Pencatatan Sipil" in error["message"]
    assert "Anda petugas Samsat" in error["message"]
    assert "Loket 1 is a counter of" in error["message_en"]
    # the same words when a command is refused
    opened = await _post(hall, f"/api/v1/counters/{counter}/open", budi)
    assert opened.json()["error"]["message"] == error["message"]
    assert (await hall.client.get(f"/api/v1/counters/{counter}", headers=DISPLAY)).status_code == 403
    assert (await hall.client.get(f"/api/v1/counters/{counter}")).status_code == 401
    assert (await hall.client.get("/api/v1/counters/999", headers=siti)).status_code == 404


async def test_a_keypad_works_its_own_counter_only(hall: Hall) -> None:
    one, two = await hall.counter_id(1), await hall.counter_id(2)
    assert (await _post(hall, f"/api/v1/counters/{one}/open", KEYPAD)).status_code == 200
    assert (await _post(hall, f"/api/v1/counters/{two}/open", KEYPAD)).status_code == 403
    ticket = await hall.issue("KTP")
    called = await _post(hall, f"/api/v1/counters/{one}/call-next", KEYPAD)
    assert called.json()["id"] == ticket["id"]
    await _post(hall, f"/api/v1/tickets/{ticket['id']}/finish", KEYPAD)
    rated = await _post(hall, f"/api/v1/tickets/{ticket['id']}/rating", KEYPAD, rating=4)
    assert rated.status_code == 200
    twice = await _post(hall, f"/api/v1/tickets/{ticket['id']}/rating", KEYPAD, rating=1)
    assert twice.status_code == 409


async def test_expired_or_revoked_session_is_refused(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.counter_id(1)
    hall.clock.advance(hours=13)
    expired = await _post(hall, f"/api/v1/counters/{counter}/open", siti)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "session_expired"
    fresh = await hall.login("siti")
    assert (await _post(hall, "/api/v1/auth/logout", fresh)).status_code == 204
    assert (await _post(hall, f"/api/v1/counters/{counter}/open", fresh)).status_code == 401
    wrong = await hall.client.post("/api/v1/auth/token",
                                   json={"username": "siti", "password": "salah-sekali"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_credentials"


async def test_snapshot_shows_counters_and_lines(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    await hall.issue("KTP")
    await hall.issue("KK")
    await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    snap = await hall.client.get("/api/v1/sites/TEST/snapshot", headers=DISPLAY)
    assert snap.status_code == 200
    body = snap.json()
    one = next(c for c in body["counters"] if c["counter"]["number"] == 1)
    assert one["counter"]["state"] == "open" and one["ticket"]["number"] == "A-001"
    assert one["counter"]["officer"] == "Siti Aminah"
    queues = {q["service"]: q["waiting"] for q in body["queues"]}
    assert queues["KTP"] == 0 and queues["KK"] == 1
    assert [t["number"] for t in body["recent_calls"]] == ["A-001"]
    assert body["seq"] > 0
    assert (await hall.client.get("/api/v1/sites/TEST/snapshot")).status_code == 401


async def test_counters_say_how_many_they_finished_today(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    for _ in range(3):
        await hall.issue("KTP")
    for _ in range(3):  # each call-next finishes the ticket before
        await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    counters = {c["number"]: c for c in (await hall.client.get("/api/v1/sites/TEST/counters")).json()}
    assert counters[1]["served_today"] == 2 and counters[2]["served_today"] == 0
    snap = (await hall.client.get("/api/v1/sites/TEST/snapshot", headers=DISPLAY)).json()
    one = next(c for c in snap["counters"] if c["counter"]["number"] == 1)
    assert one["counter"]["served_today"] == 2
    hall.clock.advance(days=1)
    counters = {c["number"]: c for c in (await hall.client.get("/api/v1/sites/TEST/counters")).json()}
    assert counters[1]["served_today"] == 0


async def test_each_call_and_its_queue_summary_agree_on_the_line(hall: Hall) -> None:
    # A call reads its line's counts with the line heads, before the ticket leaves the line,
    # and hands them to the queue summary one less: it must be the line as it stands after.
    from server.realtime import log as event_log

    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    issued = [await hall.issue("KTP"), await hall.issue("KK"),
              await hall.issue("KTP", priority_reason="elderly"), await hall.issue("KTP"),
              await hall.issue("KK", priority_reason="pregnant"), await hall.issue("KTP")]
    waiting = {ticket["id"]: ticket for ticket in issued}
    for _ in issued:
        called = (await _post(hall, f"/api/v1/counters/{counter}/call-next", siti)).json()
        del waiting[called["id"]]
        async with hall.context.db.read() as session:
            events = await event_log.events_between(session, 1, 0)
        [line] = [e for e in events if e.type == "queue.summary"][-1].queues  # type: ignore[attr-defined]
        service = called["service"]
        in_line = [t for t in waiting.values() if t["service"] == service]
        assert (line.service, line.waiting, line.waiting_priority) == (
            service, len(in_line), sum(1 for t in in_line if t["priority"]))
        services = {s["code"]: s for s in
                    (await hall.client.get("/api/v1/sites/TEST/services")).json()}
        assert services[service]["waiting"] == len(in_line)
        assert services[service]["estimated_wait_minutes"] == line.estimated_wait_minutes
