"""The outbox in the running app (real ASGI, real SQLite file and PostgreSQL): messages written
with the change that causes them, delivered by the sender to a real local HTTP gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Hall, running_hall
from outbox_support import SECRET, Gateway, notifying_hall, serve_gateway
from sqlalchemy import func, select

from server.store import models as m


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    yield from serve_gateway(Gateway())


@pytest.fixture
async def hall(database_url: str, tmp_path: Path, gateway: Gateway,
               monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hall]:
    monkeypatch.setenv("ANTREAN_WEBHOOK_SECRET", SECRET)
    config = notifying_hall(tmp_path / "hall.toml", f'channel = "webhook"\n'
                            f'webhook_url = "{gateway.url}"\nahead = 2\n'
                            f'ahead_per_service = {{ KK = 0 }}\n')
    async with running_hall(database_url, tmp_path / "data", config) as running:
        yield running


async def post(hall: Hall, path: str, headers: dict[str, str] | None = None,
               **body: object) -> dict[str, object]:
    response = await hall.client.post(path, json=body or None, headers=headers or {})
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def wait_delivered(gateway: Gateway, count: int) -> list[dict[str, object]]:
    for _ in range(300):
        if len(gateway.keys()) >= count:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # nothing more should come
    with gateway.lock:
        return list(gateway.delivered)


async def test_a_tickets_whole_life_sends_the_expected_messages_in_order(
        hall: Hall, gateway: Gateway) -> None:
    tickets = [await hall.issue("KTP") for _ in range(4)]
    mine = tickets[3]
    subscription = await post(hall, f"/api/v1/tickets/{mine['tracking_code']}/notify",
                              {"Idempotency-Key": "sub-1"}, phone="0812-3456-7890")
    assert subscription["phone_masked"] == "+62********890"
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    for _ in range(3):  # three ahead: two ahead after the first call ("N = 2")
        called = await post(hall, f"/api/v1/counters/{counter}/call-next", siti)
        await post(hall, f"/api/v1/tickets/{called['id']}/start", siti)
        await post(hall, f"/api/v1/tickets/{called['id']}/finish", siti)
    called = await post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    assert called["id"] == mine["id"]
    await post(hall, f"/api/v1/tickets/{mine['id']}/recall", siti)
    await post(hall, f"/api/v1/tickets/{mine['id']}/start", siti)
    await post(hall, f"/api/v1/tickets/{mine['id']}/finish", siti)

    delivered = await wait_delivered(gateway, 5)
    assert [(item["kind"], item["id"]) for item in delivered] == [
        ("subscribed", f"TEST:ticket-{mine['id']}-subscribed-" + str(delivered[0]["id"])[-12:]),
        ("ahead", f"TEST:ticket-{mine['id']}-ahead-{delivered[1]['id'].split('-')[-1]}"),  # type: ignore[union-attr]
        ("called", f"TEST:ticket-{mine['id']}-called-1"),
        ("called", f"TEST:ticket-{mine['id']}-called-2"),
        ("finished", f"TEST:ticket-{mine['id']}-finished"),
    ]
    assert all(item["to"] == "+6281234567890" for item in delivered)
    assert "tinggal 2 orang di depan Anda" in str(delivered[1]["text"])
    assert "dipanggil ke Loket 1" in str(delivered[2]["text"])
    assert str(delivered[4]["text"]).endswith(f"/t/{mine['tracking_code']}#survei")
    assert len(gateway.requests) == 5  # each once
    async with hall.context.db.read() as session:
        statuses = (await session.scalars(select(m.NotifyMessage.status))).all()
    assert sorted(statuses) == ["sent"] * 5

    manager = await hall.login("manajer")
    view = (await hall.client.get("/api/v1/sites/TEST/outbox", headers=manager)).json()
    assert {(c["channel"], c["status"]): c["messages"] for c in view["counts"]} == {
        ("webhook", "sent"): 5}
    assert all(row["to"] == "+62********890" for row in view["recent"])
    assert "6281234567890" not in str(view)


async def test_nothing_for_tickets_nobody_subscribed_and_nothing_after_stop(
        hall: Hall, gateway: Gateway) -> None:
    other = await hall.issue("KTP")
    mine = await hall.issue("KTP")
    await post(hall, f"/api/v1/tickets/{mine['tracking_code']}/notify", phone="+6281111111222",
               language="en")
    delivered = await wait_delivered(gateway, 2)  # one ahead, within N = 2: told at once
    assert [item["kind"] for item in delivered] == ["subscribed", "ahead"]
    first = delivered[0]
    assert str(first["text"]).startswith("Queue A-002")
    assert "1 people ahead of you" in str(delivered[1]["text"])
    stop_link = str(first["text"]).rsplit(" ", 1)[-1]
    token = stop_link.rsplit("/", 1)[-1]
    stopped = await post(hall, f"/api/v1/notify/{token}/stop")
    assert stopped["active"] is False
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    await post(hall, f"/api/v1/counters/{counter}/call-next", siti)  # other: one ahead
    await post(hall, f"/api/v1/tickets/{other['id']}/no-show", siti)
    await post(hall, f"/api/v1/counters/{counter}/call-next", siti)  # mine
    await asyncio.sleep(1.0)
    assert len(gateway.delivered) == 2  # nothing after the stop; nothing for the other
    async with hall.context.db.read() as session:
        count = (await session.execute(select(func.count()).select_from(m.NotifyMessage))
                 ).scalar_one()
    assert count == 2


async def test_a_retried_command_and_a_repeated_subscription_write_one_message(
        hall: Hall, gateway: Gateway) -> None:
    mine = await hall.issue("KK")  # KK: N = 0, told when nobody is ahead: at once
    for _ in range(2):
        await post(hall, f"/api/v1/tickets/{mine['tracking_code']}/notify",
                   {"Idempotency-Key": "same"}, phone="081234567890")
    await post(hall, f"/api/v1/tickets/{mine['tracking_code']}/notify", phone="081234567890")
    siti = await hall.login("siti")
    counter = await hall.open_counter(2, siti)
    key = {**siti, "Idempotency-Key": "call-1"}
    for _ in range(2):
        await post(hall, f"/api/v1/counters/{counter}/call-next", key)
    delivered = await wait_delivered(gateway, 3)
    assert [item["kind"] for item in delivered] == ["subscribed", "ahead", "called"]
    assert len(gateway.requests) == 3


async def test_bad_phone_and_over_ticket_are_clear_4xx(hall: Hall) -> None:
    mine = await hall.issue("KTP")
    response = await hall.client.post(f"/api/v1/tickets/{mine['tracking_code']}/notify",
                                      json={"phone": "021-555-1234"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bad_phone"
    assert "Nomor HP" in response.json()["error"]["message"]
    response = await hall.client.post("/api/v1/tickets/ZZZZZZZZZZ/notify",
                                      json={"phone": "081234567890"})
    assert response.status_code == 404
    response = await hall.client.post("/api/v1/notify/not-a-known-token/stop")
    assert response.status_code == 404
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    called = await post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    await post(hall, f"/api/v1/tickets/{called['id']}/cancel", siti, reason="left")
    response = await hall.client.post(f"/api/v1/tickets/{mine['tracking_code']}/notify",
                                      json={"phone": "081234567890"})
    assert response.status_code in (409, 422), response.text


async def test_the_tracking_page_offers_the_opt_in_and_the_link_stops_it(
        hall: Hall, gateway: Gateway) -> None:
    mine = await hall.issue("KTP")
    page = await hall.client.get(f"/t/{mine['tracking_code']}")
    assert page.status_code == 200 and 'action="/t/' in page.text and "Kabari saya" in page.text
    bad = await hall.client.post(f"/t/{mine['tracking_code']}/notify", data={"phone": "12"})
    assert bad.status_code == 422 and "Nomor HP tidak dapat dibaca" in bad.text
    sent = await hall.client.post(f"/t/{mine['tracking_code']}/notify",
                                  data={"phone": "0812 3456 7890"})
    assert sent.status_code == 303
    page = await hall.client.get(f"/t/{mine['tracking_code']}")
    assert "+62********890" in page.text and "81234567890" not in page.text
    delivered = await wait_delivered(gateway, 2)
    link = str(delivered[0]["text"]).rsplit(" ", 1)[-1]
    path = "/n/" + link.rsplit("/n/", 1)[-1]
    asked = await hall.client.get(path)
    assert asked.status_code == 200 and "Hentikan" in asked.text
    async with hall.context.db.read() as session:  # a GET (a link preview) stops nothing
        stopped_at = await session.scalar(select(m.NotifySubscription.opted_out_at))
    assert stopped_at is None
    done = await hall.client.post(path)
    assert done.status_code == 200 and "Pemberitahuan dihentikan" in done.text
    page = await hall.client.get(f"/t/{mine['tracking_code']}")
    assert 'action="/t/' in page.text  # offered again: the citizen may subscribe anew


async def test_numbers_are_erased_after_the_halls_retention(hall: Hall, gateway: Gateway) -> None:
    from server.services import outbox

    mine = await hall.issue("KTP")
    await post(hall, f"/api/v1/tickets/{mine['tracking_code']}/notify", phone="081234567890")
    await wait_delivered(gateway, 2)
    async with hall.context.db.write() as session:
        assert await outbox.erase_old_phones(session, hall.context.catalog,
                                             hall.clock.now + timedelta(days=6)) == 0
    async with hall.context.db.write() as session:
        assert await outbox.erase_old_phones(session, hall.context.catalog,
                                             hall.clock.now + timedelta(days=8)) == 1
    async with hall.context.db.read() as session:
        phones = (await session.scalars(select(m.NotifySubscription.phone))).all()
        recipients = (await session.scalars(select(m.NotifyMessage.recipient))).all()
        masked = (await session.scalars(select(m.NotifyMessage.recipient_masked))).all()
    assert phones == [None] and set(recipients) == {None}
    assert set(masked) == {"+62********890"}


async def test_the_dashboard_shows_the_outbox_masked(hall: Hall, gateway: Gateway) -> None:
    mine = await hall.issue("KTP")
    await post(hall, f"/api/v1/tickets/{mine['tracking_code']}/notify", phone="081234567890")
    await wait_delivered(gateway, 2)
    await post(hall, "/api/v1/auth/token", username="manajer", password="rahasia-manajer")
    login = await hall.client.post("/dashboard/login", data={"username": "manajer",
                                                             "password": "rahasia-manajer"})
    assert login.status_code == 303
    page = await hall.client.get("/dashboard")
    assert page.status_code == 200 and 'id="outbox"' in page.text
    assert 'data-outbox="sent">2<' in page.text
    assert "+62********890" in page.text and "81234567890" not in page.text


async def test_a_number_gets_at_most_per_hour_messages(hall: Hall, gateway: Gateway) -> None:
    mine = await hall.issue("KTP")  # first in line: subscribed and "0 ahead" at once
    await post(hall, f"/api/v1/tickets/{mine['tracking_code']}/notify", phone="081234567890")
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    await post(hall, f"/api/v1/counters/{counter}/call-next", siti)
    for _ in range(9):  # calls 2 … 10: messages 4 … 12 of the hour
        await post(hall, f"/api/v1/tickets/{mine['id']}/recall", siti)
    delivered = await wait_delivered(gateway, 10)
    assert len(delivered) == 10
    async with hall.context.db.read() as session:
        rows = (await session.execute(select(m.NotifyMessage.cause, m.NotifyMessage.status)
                                      .order_by(m.NotifyMessage.id))).all()
    assert [status for _, status in rows] == ["sent"] * 10 + ["limited"] * 2
    assert rows[-1][0] == f"ticket {mine['id']} called 10"
