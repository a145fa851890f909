"""The counter client against a real `antrean serve` process over HTTP and WebSocket, with a
simulated call keypad, satisfaction keypad and LED display."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from conftest import KIOSK, ServerProcess

from counter_client import desk
from counter_client.core import CounterCore
from counter_client.hardware import FakeKeypad, FakeLed
from counter_client.link import SharedClientServer

pytestmark = pytest.mark.slow
KEYPAD_TOKEN = "test-keypad-token-1"  # bound to counter 1



def db(server: ServerProcess) -> sqlite3.Connection:
    return sqlite3.connect(server.database_url.removeprefix("sqlite:///"))


def issue(server: ServerProcess, service: str = "KTP") -> dict[str, object]:
    response = httpx.post(f"{server.url}/api/v1/sites/TEST/tickets", json={"service": service},
                          headers=KIOSK, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def tracked(server: ServerProcess, ticket: dict[str, object]) -> dict[str, object]:
    return httpx.get(f"{server.url}/api/v1/tickets/{ticket['tracking_code']}",  # type: ignore[no-any-return]
                     timeout=10).json()


class Counter:
    """A running counter client and what its hardware shows."""

    def __init__(self, server: ServerProcess, *, token: str | None = None) -> None:
        self.link = SharedClientServer(server.url, "TEST", token=token, timeout=3)
        self.keypad = FakeKeypad()
        self.led = FakeLed()
        self.core = CounterCore(self.link, 1, session="device" if token else "none",
                                keypad=self.keypad, rating_keypad=self.keypad, led=self.led)
        self.core.start()

    @property
    def desk(self) -> desk.Desk:
        return self.core.desk

    def until(self, condition: Callable[[desk.Desk], bool], what: str,
              timeout: float = 30) -> desk.Desk:
        """Pump the client until ``condition`` holds; fail saying what never happened."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.core.pump()
            if condition(state):
                return state
            time.sleep(0.02)
        raise AssertionError(f"never happened: {what}; desk: {self.core.desk}")

    def press(self, action: str) -> desk.Desk:
        self.until(lambda d: d.ready, "ready for a command")
        self.core.dispatch(desk.Press(action))
        return self.until(lambda d: d.pending is None, f"{action} answered")

    def login(self, username: str = "siti", password: str = "rahasia-siti") -> None:
        self.core.dispatch_login(username, password)
        self.until(lambda d: d.session == "active" and d.counter_id is not None
                   and d.online, "logged in and loaded")

    def close(self) -> None:
        self.core.stop()
        self.link.close()


@pytest.fixture
def officer_counter(server: ServerProcess) -> Iterator[Counter]:
    counter = Counter(server)
    counter.login()
    try:
        yield counter
    finally:
        counter.close()


def test_a_keypad_alone_opens_the_counter_calls_the_next_ticket_and_the_led_shows_it(
        server: ServerProcess) -> None:
    first, second = issue(server), issue(server)
    counter = Counter(server, token=KEYPAD_TOKEN)
    try:
        counter.until(lambda d: d.ready and d.state == "closed", "the closed counter loaded")
        counter.keypad.press("pause")  # the state key opens a closed counter
        counter.until(lambda d: d.state == "open" and d.pending is None, "opened")
        counter.keypad.press("next")
        state = counter.until(lambda d: d.current is not None, "a ticket called")
        assert state.current is not None and state.current.number == first["number"]
        counter.until(lambda _: counter.led.text == first["number"], "LED shows the number")
        assert tracked(server, first)["status"] == "called"
        assert tracked(server, first)["counter_number"] == 1

        counter.keypad.press("next")  # finishes the first, calls the second
        counter.until(lambda d: d.current is not None and d.current.number == second["number"],
                      "the second ticket called")
        counter.until(lambda _: counter.led.text == second["number"], "LED shows the second")
        assert tracked(server, first)["status"] == "finished"
        assert counter.desk.served == {first["id"]}
    finally:
        counter.close()


def test_a_number_issued_before_the_app_started_is_called_as_printed(
        server: ServerProcess) -> None:
    issue(server)
    second = issue(server)  # the app never hears of it: it is not running yet
    counter = Counter(server)
    try:
        counter.login()
        counter.press("pause")  # open
        assert dict(counter.desk.known) == {}

        def call_by_number(typed: str) -> desk.Desk:
            for event in (desk.Press("call"), desk.Typed(typed), desk.Press("enter"),
                          desk.Typed("membawa tiket kertas"), desk.Press("enter")):
                counter.core.dispatch(event)
            return counter.until(lambda d: d.pending is None, f"call {typed} answered")

        refused = call_by_number("A-099")
        assert refused.error is not None and "A-099" in refused.error[0]
        called = call_by_number(str(second["number"]))
        assert called.error is None
        assert called.current is not None and called.current.id == second["id"]
        assert tracked(server, second)["status"] == "called"
    finally:
        counter.close()


def test_an_officer_transfers_the_ticket_to_another_service(
        server: ServerProcess, officer_counter: Counter) -> None:
    counter = officer_counter
    ticket = issue(server, "KTP")
    counter.press("pause")  # open
    counter.until(lambda d: d.queue("KTP").waiting == 1, "the KTP line counted live")
    counter.press("call_next")
    assert counter.desk.current is not None and counter.desk.current.id == ticket["id"]
    counter.until(lambda d: d.queue("KTP").waiting == 0, "the KTP line emptied")

    counter.core.dispatch(desk.Press("transfer"))
    picker = counter.desk.modal
    assert isinstance(picker, desk.Picker)
    index = [value for value, _, _ in picker.choices].index("KK")
    counter.core.dispatch(desk.Press(f"pick:{index}"))
    state = counter.until(lambda d: d.pending is None, "transfer answered")
    assert state.current is None and state.error is None
    assert state.notice is not None and "Kartu Keluarga" in state.notice[0]
    after = tracked(server, ticket)
    assert after["service"] == "KK" and after["status"] == "waiting"
    assert after["number"] == ticket["number"]  # it keeps its number
    counter.until(lambda d: d.queue("KK").waiting == 1, "the KK line counted live")
    counter.until(lambda _: counter.led.text == "", "LED blank")


def test_a_rating_lands_on_the_ticket_just_finished(server: ServerProcess,
                                                    officer_counter: Counter) -> None:
    counter = officer_counter
    first, second = issue(server), issue(server)
    counter.press("pause")
    counter.press("call_next")
    counter.press("start")
    # The citizen presses 4 on the satisfaction keypad while "finish" is on its way.
    counter.core.dispatch(desk.Press("finish"))
    counter.keypad.rate(4)
    counter.until(lambda d: d.pending is None and d.notice is not None, "rating confirmed")
    counter.press("call_next")  # the second citizen
    counter.press("call_next")  # finishes the second automatically; nobody else waits
    counter.keypad.rate(2)
    counter.until(lambda d: d.notice is not None and "nilai 2" in d.notice[0], "second rating")
    counter.keypad.rate(1)  # a second press for the same citizen is ignored
    counter.core.pump()
    with db(server) as connection:
        ratings = dict(connection.execute("SELECT id, rating FROM tickets").fetchall())
    assert ratings == {first["id"]: 4, second["id"]: 2}


def test_a_dropped_connection_recovers_and_the_command_is_done_once(
        server: ServerProcess, officer_counter: Counter) -> None:
    counter = officer_counter
    ticket = issue(server)
    counter.press("pause")
    counter.press("call_next")
    counter.until(lambda _: counter.led.text == ticket["number"], "LED shows the number")

    server.stop()
    state = counter.until(lambda d: not d.online, "offline noticed")
    assert state.current is not None and state.current.number == ticket["number"]  # stays
    assert not any(state.enabled(a) for a in ("call_next", "finish", "recall", "pause"))
    # Pressed while offline: refused on the desk, nothing queued behind the officer's back.
    counter.core.dispatch(desk.Press("finish"))
    assert counter.desk.pending is None and counter.desk.error is not None
    assert counter.led.text == ticket["number"]

    server.start()  # same port, same data
    counter.until(lambda d: d.online and d.ready, "back online")
    late = issue(server)  # events flow again after the resume
    counter.until(lambda d: d.queue("KTP").waiting == 1, "a ticket issued after the restart")
    counter.press("finish")
    assert counter.desk.current is None and tracked(server, ticket)["status"] == "finished"
    counter.press("call_next")
    assert counter.desk.current is not None and counter.desk.current.id == late["id"]


def test_a_command_in_flight_when_the_server_goes_is_retried_with_its_key_once(
        server: ServerProcess, officer_counter: Counter) -> None:
    counter = officer_counter
    ticket = issue(server)
    counter.press("pause")
    counter.press("call_next")
    server.stop()
    counter.core.dispatch(desk.Press("finish"))  # sent just before the network noticed
    state = counter.core.desk
    if state.pending is None:  # the desk saw the drop first; nothing to retry then
        pytest.skip("the stream reported the drop before the key was pressed")
    key = state.pending.key
    counter.until(lambda d: not d.online, "offline noticed")
    assert counter.desk.pending is not None and counter.desk.pending.key == key
    server.start()
    counter.until(lambda d: d.pending is None and d.online, "the finish went through")
    assert counter.desk.current is None and tracked(server, ticket)["status"] == "finished"
    with db(server) as connection:
        finishes = connection.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'ticket.finish' AND ticket_id = ?",
            (ticket["id"],)).fetchone()[0]
        keys = connection.execute("SELECT count(*) FROM idempotency_keys WHERE key = ?",
                                  (key,)).fetchone()[0]
    assert finishes == 1 and keys == 1


def test_an_expired_session_asks_to_log_in_and_keeps_the_command(
        server: ServerProcess, officer_counter: Counter) -> None:
    counter = officer_counter
    ticket = issue(server)
    counter.press("pause")
    token = counter.link.token
    revoked = httpx.post(f"{server.url}/api/v1/auth/logout",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert revoked.status_code == 204
    counter.core.dispatch(desk.Press("call_next"))
    state = counter.until(lambda d: d.session == "expired", "the expiry noticed")
    assert state.login is not None and state.pending is not None and state.state == "open"
    counter.core.dispatch(desk.Typed("rahasia-siti"))
    counter.core.dispatch(desk.Press("enter"))
    state = counter.until(lambda d: d.session == "active" and d.pending is None,
                          "logged in again and the call went through")
    assert state.current is not None and state.current.id == ticket["id"]
    assert tracked(server, ticket)["call_count"] == 1


def test_an_officer_of_another_agency_is_refused_at_login_naming_the_counters_agency(
        server: ServerProcess) -> None:
    import pygame

    from common import ui
    from counter_client.screens import CounterView

    ui.use_headless_drivers()
    pygame.init()
    counter = Counter(server)  # Loket 1, a Dukcapil counter
    try:
        counter.core.dispatch_login("budi", "rahasia-budi")  # Budi works for Samsat
        state = counter.until(lambda d: d.login is not None and not d.login.busy
                              and d.error is not None, "the login refused")
        assert state.session == "none" and state.counter_id is None  # no desk was loaded
        assert state.error is not None
        message, message_en = state.error
        assert "Dinas Kependudukan dan Pencatatan Sipil" in message and "Samsat" in message
        assert "Loket 1" in message and "Log in at a counter of your own agency" in message_en
        assert counter.link.token is None  # the session was ended on the server too
        with ui.watching_text() as report:
            targets = CounterView().draw(pygame.Surface((480, 720)), state, datetime.now(UTC))
        assert {t.action for t in targets} == {"language"}  # no live button behind the form
        shown = " ".join(t.text for t in report.drawn)
        assert "Dinas Kependudukan" in shown and report.cut == []

        counter.login()  # the right officer at the same window carries on
        assert counter.desk.officer == "Siti Aminah" and counter.desk.error is None
    finally:
        counter.close()
