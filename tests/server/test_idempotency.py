"""A repeated request with the same Idempotency-Key gets the first answer, whatever the repeat
would have met: a command that now has nothing to do, or one that would now be refused; and
nothing of the repeat stays behind, in the store or in the figures kept in memory."""

from __future__ import annotations

from conftest import Hall

from server.services.queries import SERVICE_TIMES


async def _post(hall: Hall, path: str, headers: dict[str, str], key: str):  # type: ignore[no-untyped-def]
    return await hall.client.post(path, headers={**headers, "Idempotency-Key": key})


async def test_a_repeated_finish_gets_the_first_answer(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    ticket = await hall.issue("KTP")
    await _post(hall, f"/api/v1/counters/{counter}/call-next", siti, "call-1")
    finished = await _post(hall, f"/api/v1/tickets/{ticket['id']}/finish", siti, "finish-1")
    again = await _post(hall, f"/api/v1/tickets/{ticket['id']}/finish", siti, "finish-1")
    assert finished.status_code == again.status_code == 200
    assert again.json() == finished.json() and again.headers["Idempotent-Replayed"] == "true"

    other_key = await _post(hall, f"/api/v1/tickets/{ticket['id']}/finish", siti, "finish-2")
    assert other_key.status_code == 409  # a new request: the ticket is finished already


async def test_a_repeated_call_next_calls_nobody_else_and_times_one_service(hall: Hall) -> None:
    """The repeat of a call-next would finish the ticket the first one called and call the
    one behind it; it is undone, and the service time it took stays out of the estimates."""
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    first, second, third = [await hall.issue("KTP") for _ in range(3)]
    service_id = next(s.id for s in hall.context.catalog.services.values() if s.code == "KTP")
    SERVICE_TIMES._minutes.pop(service_id, None)  # the process's figures, from other tests

    await _post(hall, f"/api/v1/counters/{counter}/call-next", siti, "call-1")
    await _post(hall, f"/api/v1/tickets/{first['id']}/start", siti, "start-1")
    hall.clock.advance(minutes=6)
    called = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti, "call-2")
    hall.clock.advance(minutes=1)
    again = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti, "call-2")
    assert called.json()["id"] == again.json()["id"] == second["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert list(SERVICE_TIMES._minutes[service_id]) == [6.0]
    waiting = await hall.client.get(f"/api/v1/tickets/{third['tracking_code']}")
    assert waiting.json()["status"] == "waiting" and waiting.json()["people_ahead"] == 0
    following = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti, "call-3")
    assert following.json()["id"] == third["id"]


async def test_a_refused_request_leaves_its_key_free(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.counter_id(1)
    ticket = await hall.issue("KTP")
    refused = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti, "call-1")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "counter_not_open"
    await hall.open_counter(1, siti)
    called = await _post(hall, f"/api/v1/counters/{counter}/call-next", siti, "call-1")
    assert called.status_code == 200 and called.json()["id"] == ticket["id"]
    assert "Idempotent-Replayed" not in called.headers
