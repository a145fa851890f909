"""Two commands on one counter at once (an officer's finish and the keypad's call-next) wait for
each other in turn; they never deadlock, and each answers as the ticket stands after the other."""

from __future__ import annotations

import asyncio

from conftest import Hall


async def test_finish_and_call_next_at_once_at_one_counter(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    for _ in range(6):
        await hall.issue("KTP")
        await hall.issue("KTP")
        called = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
        assert called.status_code == 200, called.text
        ticket = called.json()["id"]
        finish, call_next = await asyncio.gather(
            hall.client.post(f"/api/v1/tickets/{ticket}/finish", headers=siti),
            hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti))
        assert call_next.status_code == 200, call_next.text
        assert call_next.json()["id"] != ticket
        if finish.status_code != 200:  # call-next came first and finished it on the way
            assert finish.status_code == 409, finish.text
            assert finish.json()["error"]["code"] == "not_at_counter"
        tracked = await hall.client.get(f"/api/v1/tickets/{called.json()['tracking_code']}")
        assert tracked.json()["status"] == "finished"


async def test_cancel_and_call_next_at_once_at_one_counter(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    for _ in range(6):
        await hall.issue("KTP")
        await hall.issue("KTP")
        called = await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
        ticket = called.json()["id"]
        cancel, call_next = await asyncio.gather(
            hall.client.post(f"/api/v1/tickets/{ticket}/cancel", headers=siti,
                             json={"reason": "salah layanan"}),
            hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti))
        assert call_next.status_code == 200, call_next.text
        assert cancel.status_code in (200, 409), cancel.text
        tracked = await hall.client.get(f"/api/v1/tickets/{called.json()['tracking_code']}")
        assert tracked.json()["status"] == ("cancelled" if cancel.status_code == 200
                                            else "finished")
