"""The event stream over a real socket: order after commit, topics, resume, snapshots."""

from __future__ import annotations

from conftest import DISPLAY, KEYPAD, KIOSK
from live import ZONE_DISPLAY, LiveHall, live

__all__ = ["live"]

MANAGER = "manajer"


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def _manager_token(hall: LiveHall) -> str:
    return token(await hall.login(MANAGER))


async def test_events_arrive_in_seq_order_after_commit(live: LiveHall) -> None:
    stream = await live.stream(token=await _manager_token(live))
    welcome, snapshot, synced = await stream.until("synced")
    assert welcome["type"] == "welcome" and welcome["topics"] == ["site"]
    assert welcome["resume"] == "snapshot" and snapshot["type"] == "snapshot"
    start = synced["seq"]
    assert snapshot["seq"] == start == snapshot["snapshot"]["seq"]

    siti = await live.login("siti")
    counter = await live.open_counter(1, siti)
    first = await live.issue("KTP")
    await live.issue("KK")
    called = await live.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    assert called.status_code == 200

    events = await stream.events(7)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(start + 1, start + 8))
    kinds = [e["type"] for e in events]
    assert kinds.count("ticket.issued") == 2 and "ticket.called" in kinds
    call = next(e for e in events if e["type"] == "ticket.called")
    assert call["ticket"]["number"] == first["number"]
    assert call["counter"]["number"] == 1 and call["announce"] and call["announce_en"]
    # Published only after the commit: what the event reports is already readable.
    async with live.context.db.read() as session:
        from server.realtime import log as event_log

        assert await event_log.last_seq(session, 1) >= seqs[-1]
    await stream.close()


async def test_zone_display_sees_only_its_agencies(live: LiveHall) -> None:
    zone = await live.stream(token=ZONE_DISPLAY)  # default topic: its zone, LT1 = DUKCAPIL
    welcome = (await zone.until("synced"))[0]
    assert welcome["topics"] == ["zone:LT1"]
    samsat_zone = await live.stream(token=token(DISPLAY), topics="zone:LT2")
    await samsat_zone.until("synced")

    siti, budi = await live.login("siti"), await live.login("budi")
    ktp_counter = await live.open_counter(1, siti)
    pkb_counter = await live.open_counter(3, budi)
    await live.issue("KTP")
    await live.issue("PKB")
    for counter, officer in ((ktp_counter, siti), (pkb_counter, budi)):
        response = await live.client.post(f"/api/v1/counters/{counter}/call-next",
                                          headers=officer)
        assert response.status_code == 200

    lt1 = await zone.quiet()
    lt2 = await samsat_zone.quiet()
    lt1_calls = [e["ticket"]["number"] for e in lt1 if e["type"] == "ticket.called"]
    lt2_calls = [e["ticket"]["number"] for e in lt2 if e["type"] == "ticket.called"]
    assert lt1_calls == ["A-001"] and lt2_calls == ["P-001"]
    assert all(e.get("ticket", {}).get("agency", "DUKCAPIL") == "DUKCAPIL" for e in lt1)
    assert all(e.get("counter", {}).get("agency", "DUKCAPIL") == "DUKCAPIL" for e in lt1)
    assert [e["seq"] for e in lt1] == sorted({e["seq"] for e in lt1})
    await zone.close()
    await samsat_zone.close()


async def test_displays_sharing_a_subscription_each_get_every_event(live: LiveHall) -> None:
    # The hub sends to such displays as one group: each must still get the whole stream, and
    # one leaving must not take the others' events with it.
    first, second, leaving = [await live.stream(token=ZONE_DISPLAY) for _ in range(3)]
    other_zone = await live.stream(token=token(DISPLAY), topics="zone:LT2")
    for stream in (first, second, leaving, other_zone):
        await stream.until("synced")
    siti = await live.login("siti")
    counter = await live.open_counter(1, siti)
    await live.issue("KTP")
    await leaving.close()
    await live.issue("KK")
    await live.issue("PKB")
    response = await live.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    assert response.status_code == 200

    seen_first, seen_second = await first.quiet(), await second.quiet()
    assert seen_first == seen_second
    assert [e["ticket"]["number"] for e in seen_first if e["type"] == "ticket.issued"] == [
        "A-001", "B-001"]
    assert "ticket.called" in {e["type"] for e in seen_first}
    assert [e["ticket"]["number"] for e in await other_zone.quiet()
            if e["type"] == "ticket.issued"] == ["P-001"]
    for stream in (first, second, other_zone):
        await stream.close()


async def test_counter_topic_and_kiosk_feed(live: LiveHall) -> None:
    keypad = await live.stream(token=token(KEYPAD))
    assert (await keypad.until("synced"))[0]["topics"] == [f"counter:{await live.counter_id(1)}"]
    kiosk = await live.stream(token=token(KIOSK))
    assert (await kiosk.until("synced"))[0]["topics"] == ["kiosk"]

    siti, budi = await live.login("siti"), await live.login("budi")
    one = await live.open_counter(1, siti)
    three = await live.open_counter(3, budi)
    await live.issue("KTP")
    await live.issue("PKB")
    await live.client.post(f"/api/v1/counters/{one}/call-next", headers=siti)
    await live.client.post(f"/api/v1/counters/{three}/call-next", headers=budi)

    at_counter = await keypad.quiet()
    calls = [(e["counter"]["id"], e["ticket"]["number"]) for e in at_counter
             if e["type"] == "ticket.called"]
    assert calls == [(one, "A-001")]
    assert all(e.get("counter", {}).get("id", one) == one for e in at_counter)
    lines = {q["service"] for e in at_counter if e["type"] == "queue.summary" for q in e["queues"]}
    assert "KTP" in lines and "PKB" not in lines
    assert "ticket.issued" in {e["type"] for e in at_counter}

    feed = await kiosk.quiet()
    kinds = {e["type"] for e in feed}
    assert "queue.summary" in kinds and "counter.state" in kinds
    assert kinds <= {"queue.summary", "counter.state"}
    await keypad.close()
    await kiosk.close()


async def test_a_zone_display_gets_its_zone_of_the_hall_in_snapshots(live: LiveHall) -> None:
    siti, budi = await live.login("siti"), await live.login("budi")
    await live.open_counter(1, siti)
    await live.open_counter(3, budi)
    zone = await live.stream(token=ZONE_DISPLAY)
    snapshot = (await zone.until("synced"))[1]["snapshot"]
    assert {c["counter"]["agency"]["code"] for c in snapshot["counters"]} == {"DUKCAPIL"}
    assert {q["agency"] for q in snapshot["queues"]} == {"DUKCAPIL"}
    await zone.close()
    whole = await live.client.get("/api/v1/sites/TEST/snapshot", headers=DISPLAY)
    assert {c["counter"]["agency"]["code"] for c in whole.json()["counters"]} == {
        "DUKCAPIL", "SAMSAT"}
    part = await live.client.get("/api/v1/sites/TEST/snapshot", params={"zone": "LT2"},
                                 headers=DISPLAY)
    assert {q["agency"] for q in part.json()["queues"]} == {"SAMSAT"}
    unknown = await live.client.get("/api/v1/sites/TEST/snapshot", params={"zone": "XX"},
                                    headers=DISPLAY)
    assert unknown.status_code == 404
