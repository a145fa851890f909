"""A morning at counter 1 with known times, shared by the statistics and dashboard tests.

08.00 WIB siti opens counter 1; A-001…A-004 (KTP), B-001 (KK) and P-001 (PKB) are issued.
A-001: called +5, started +6, finished +16.  A-002: called +16, started +18, finished +22.
A-004: called out of order at +22 (with a reason), no-show at +24. Pause +24…+34.
A-003: called +35 (past the 30-minute target), started and finished +35…+45. B-001 cancelled.
Surveys: A-001 all fours, A-002 all threes; quick ratings 4 and 3.
"""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import KEYPAD, Hall

MORNING = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # Monday 08.00 in Asia/Jakarta
DAY = "2025-03-10"
ELEMENTS = ("requirements", "procedure", "time", "cost", "product", "competence", "behaviour",
            "complaints", "facilities")


async def post(hall: Hall, path: str, headers: dict[str, str], **body: object) -> dict[str, object]:
    response = await hall.client.post(path, headers=headers, json=body or None)
    assert response.status_code in (200, 201), response.text
    return response.json() if response.content else {}  # type: ignore[no-any-return]


async def a_morning(hall: Hall) -> dict[str, dict[str, object]]:
    """Play the morning; the clock ends at 08.45. Returns the tickets by number."""
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    tickets = {}
    for service in ("KTP", "KTP", "KTP", "KTP", "KK", "PKB"):
        ticket = await hall.issue(service)
        tickets[str(ticket["number"])] = ticket
    a1, a2, a3, a4 = (tickets[f"A-00{i}"] for i in range(1, 5))

    async def at(minute: int) -> None:
        hall.clock.now = MORNING.replace(minute=minute)

    await post(hall, f"/api/v1/tickets/{tickets['B-001']['id']}/cancel", siti, reason="salah pilih")
    await at(5)
    assert (await post(hall, f"/api/v1/counters/{counter}/call-next", siti))["number"] == "A-001"
    await at(6)
    await post(hall, f"/api/v1/tickets/{a1['id']}/start", siti)
    await at(16)
    await post(hall, f"/api/v1/tickets/{a1['id']}/finish", siti)
    assert (await post(hall, f"/api/v1/counters/{counter}/call-next", siti))["number"] == "A-002"
    await at(18)
    await post(hall, f"/api/v1/tickets/{a2['id']}/start", siti)
    await at(22)
    await post(hall, f"/api/v1/tickets/{a2['id']}/finish", siti)
    await post(hall, f"/api/v1/counters/{counter}/call", siti, ticket_id=a4["id"],
               reason="pemohon lansia, berkas lengkap")
    await at(24)
    await post(hall, f"/api/v1/tickets/{a4['id']}/no-show", siti)
    await post(hall, f"/api/v1/counters/{counter}/pause", siti, reason="istirahat")
    await at(34)
    await post(hall, f"/api/v1/counters/{counter}/resume", siti)
    await at(35)
    assert (await post(hall, f"/api/v1/counters/{counter}/call-next", siti))["number"] == "A-003"
    await post(hall, f"/api/v1/tickets/{a3['id']}/start", siti)
    await at(45)
    await post(hall, f"/api/v1/tickets/{a3['id']}/finish", siti)

    await post(hall, f"/api/v1/tickets/{a1['id']}/rating", KEYPAD, rating=4)
    await post(hall, f"/api/v1/tickets/{a2['id']}/rating", KEYPAD, rating=3)
    for ticket, score in ((a1, 4), (a2, 3)):
        await post(hall, f"/api/v1/tickets/{ticket['tracking_code']}/survey", {},
                   **{e: score for e in ELEMENTS})
    return tickets
