"""The outbox with real server processes: two on one store send each message once; a kill -9
in the middle of a send loses nothing and, with the webhook's Idempotency-Key, delivers nothing
twice; SMS through the modem simulator over a socat pty pair."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, PASSWORDS, ServerProcess
from outbox_support import SECRET, Gateway, notifying_hall, serve_gateway

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hardware"))
from hwsupport import PtyPair, pty_pair_fixture, wait_until

from hardware.modem.simulator import ModemSimulator

pty_pair = pty_pair_fixture
ENV = {"ANTREAN_WEBHOOK_SECRET": SECRET, "ANTREAN_NOTIFY_LEASE_SECONDS": "2"}


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    yield from serve_gateway(Gateway())


def login(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username,
                                                       "password": PASSWORDS[username]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def ok(response: httpx.Response) -> dict[str, object]:
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def counter_id(client: httpx.Client, number: int) -> int:
    return next(int(c["id"]) for c in client.get("/api/v1/sites/TEST/counters").json()
                if c["number"] == number)


def subscribed_tickets(client: httpx.Client, count: int, service: str = "KTP"
                       ) -> list[dict[str, object]]:
    tickets = []
    for i in range(count):
        ticket = ok(client.post("/api/v1/sites/TEST/tickets", json={"service": service},
                                headers=KIOSK))
        ok(client.post(f"/api/v1/tickets/{ticket['tracking_code']}/notify",
                       json={"phone": f"08123456{i:04d}"}))
        tickets.append(ticket)
    return tickets


def serve_all(client: httpx.Client, officer: dict[str, str], counter: int, count: int) -> None:
    for _ in range(count):
        called = ok(client.post(f"/api/v1/counters/{counter}/call-next", headers=officer))
        ok(client.post(f"/api/v1/tickets/{called['id']}/start", headers=officer))
        ok(client.post(f"/api/v1/tickets/{called['id']}/finish", headers=officer))


def test_two_server_processes_send_each_message_exactly_once(
        database_url: str, tmp_path: Path, gateway: Gateway) -> None:
    config = notifying_hall(tmp_path / "hall.toml",
                            f'channel = "webhook"\nwebhook_url = "{gateway.url}"\nahead = 1\n'
                            'per_hour = 100\n')
    servers = [ServerProcess(database_url, tmp_path / f"data-{n}", config, env=ENV)
               for n in range(2)]
    try:
        for server in servers:
            server.data_dir.mkdir(parents=True)
            server.start()
        clients = [httpx.Client(base_url=server.url, timeout=30) for server in servers]
        # Tickets and calls through both processes: each derives messages of its commands.
        tickets = subscribed_tickets(clients[0], 4) + subscribed_tickets(clients[1], 4)
        officer = login(clients[1], "siti")
        counter = counter_id(clients[1], 1)
        ok(clients[1].post(f"/api/v1/counters/{counter}/open", headers=officer))
        for n, _ in enumerate(tickets):
            client = clients[n % 2]
            called = ok(client.post(f"/api/v1/counters/{counter}/call-next", headers=officer))
            ok(client.post(f"/api/v1/tickets/{called['id']}/start", headers=officer))
            ok(client.post(f"/api/v1/tickets/{called['id']}/finish", headers=officer))
        # Per ticket: subscribed, "1 ahead" (the first two at once), called, finished.
        expected = len(tickets) * 4
        assert gateway.wait_for(expected, timeout=60)
        time.sleep(2.0)  # a second sender would have sent its copies by now
        ids = [str(item["id"]) for item in gateway.requests]
        assert len(ids) == expected, sorted(ids)
        assert len(set(ids)) == expected  # none twice
        for ticket in tickets:
            mine = [i for i in ids if i.startswith(f"TEST:ticket-{ticket['id']}-")]
            kinds = [i.split("-")[2] for i in mine]
            assert kinds[0] == "subscribed" and kinds[-2:] == ["called", "finished"]
        for client in clients:
            client.close()
    finally:
        for server in servers:
            server.stop()


def test_kill_9_in_the_middle_of_a_send_loses_nothing_and_the_gateway_sees_no_duplicate(
        tmp_path: Path, gateway: Gateway) -> None:
    config = notifying_hall(tmp_path / "hall.toml",
                            f'channel = "webhook"\nwebhook_url = "{gateway.url}"\nahead = 0\n')
    server = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                           config, env=ENV)
    server.data_dir.mkdir(parents=True)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            gateway.hold_seconds = 5.0  # the gateway takes it and answers late
            tickets = subscribed_tickets(client, 3)
            assert wait_until(lambda: len(gateway.requests) >= 1, 20)
        server.kill()  # SIGKILL while the first message's answer is awaited
        gateway.hold_seconds = 0.0
        server.start()
        expected = 3 + 1  # three confirmations, "0 ahead" for the first ticket
        assert gateway.wait_for(expected, timeout=60)
        time.sleep(1.0)
        keys = gateway.keys()
        assert sorted(keys) == sorted(
            [k for k in keys if k.startswith(tuple(f"TEST:ticket-{t['id']}-" for t in tickets))])
        assert len(keys) == expected == len(set(keys))
        first = str(gateway.requests[0]["id"])
        # The message in flight at the kill went again with the same key; the gateway drops it.
        assert [str(r["id"]) for r in gateway.requests].count(first) == 2
        with httpx.Client(base_url=server.url, timeout=30) as client:
            manager = login(client, "manajer")
            view = ok(client.get("/api/v1/sites/TEST/outbox", headers=manager))
        assert {(c["channel"], c["status"]): c["messages"]  # type: ignore[index]
                for c in view["counts"]} == {("webhook", "sent"): expected}  # type: ignore[union-attr]
    finally:
        server.stop()


def test_sms_through_the_modem_simulator_over_a_pty_pair(tmp_path: Path,
                                                         pty_pair: PtyPair) -> None:
    simulator = ModemSimulator(str(pty_pair.device), send_seconds=0.2).start()
    config = notifying_hall(tmp_path / "hall.toml",
                            f'channel = "modem"\nmodem_port = "{pty_pair.host}"\nahead = 1\n')
    server = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                           config, env=ENV)
    server.data_dir.mkdir(parents=True)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            tickets = subscribed_tickets(client, 2)
            officer = login(client, "siti")
            counter = counter_id(client, 1)
            ok(client.post(f"/api/v1/counters/{counter}/open", headers=officer))
            serve_all(client, officer, counter, 2)
            # per ticket: subscribed, "N ahead" (both within N = 1 at once), called, finished
            assert wait_until(lambda: len(simulator.messages) >= 8, 60)
            time.sleep(1.0)
            texts = [message.text for message in simulator.messages
                     if message.number == "+6281234560001"]
            assert [t.split(":")[0].split(" ")[0] for t in texts] == [
                "Antrean", "Antrean", "Nomor", "Terima"]
            assert "tinggal 1 orang di depan Anda" in texts[1]
            assert "dipanggil ke Loket 1" in texts[2]
            assert texts[3].endswith(f"/t/{tickets[1]['tracking_code']}#survei")
            assert len(simulator.messages) == 8
            manager = login(client, "manajer")
            assert wait_until(lambda: ok(client.get(
                "/api/v1/sites/TEST/outbox", headers=manager))["channel_state"] == "ok", 30)
    finally:
        server.stop()
        simulator.stop()
