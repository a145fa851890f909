"""The display against a real `antrean serve` process: an officer calls over HTTP, the display
(headless, SDL dummy drivers) shows and announces each call in order; after a dropped connection
or a server restart, the calls it missed appear."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, PASSWORDS, ROOT, ServerProcess

from common import ui
from common.client import BackgroundClient, Backoff
from display.announcer import LogAnnouncer
from display.app import DisplayApp
from display.board import Board
from display.screens import DisplayView

ui.use_headless_drivers()
import pygame  # noqa: E402

DISPLAY_TOKEN = "test-display-token-1"


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'antrean.db'}"


@pytest.fixture
def server(server_process: ServerProcess) -> ServerProcess:
    server_process.start()
    return server_process


class Officer:
    """Siti at the DUKCAPIL counters, over real HTTP."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)
        token = self.http.post("/api/v1/auth/token", json={
            "username": "siti", "password": PASSWORDS["siti"]}).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        counters = self.http.get("/api/v1/sites/TEST/counters").json()
        self.counter = {c["number"]: c["id"] for c in counters}

    def issue(self, service: str = "KTP") -> str:
        response = self.http.post("/api/v1/sites/TEST/tickets", json={"service": service},
                                  headers=KIOSK)
        assert response.status_code == 201, response.text
        return str(response.json()["number"])

    def open(self, number: int) -> None:
        response = self.http.post(f"/api/v1/counters/{self.counter[number]}/open",
                                  headers=self.headers)
        assert response.status_code == 200, response.text

    def call_next(self, number: int) -> dict[str, object]:
        response = self.http.post(f"/api/v1/counters/{self.counter[number]}/call-next",
                                  headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def recall(self, ticket_id: object) -> None:
        response = self.http.post(f"/api/v1/tickets/{ticket_id}/recall", headers=self.headers)
        assert response.status_code == 200, response.text


class Screen:
    """The display app on an off-screen surface, with a real client."""

    def __init__(self, url: str, tmp_path: Path, since: int | None = None,
                 board: Board | None = None, announcer: LogAnnouncer | None = None) -> None:
        pygame.init()
        self.tmp_path = tmp_path
        self.client = BackgroundClient(url, DISPLAY_TOKEN, since=since,
                                       backoff=Backoff(first=0.1, longest=0.5))
        self.announcer = announcer or LogAnnouncer()
        self.app = DisplayApp(self.client, board or Board(hold_seconds=1.0), DisplayView(),
                              pygame.Surface((1920, 1080)), self.announcer)
        self.client.start()
        self.stopped = False

    @property
    def board(self) -> Board:
        return self.app.board

    def until(self, what: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not what() and time.monotonic() < deadline:
            self.app.frame()
            time.sleep(0.02)
        assert what(), f"the display never got there: seq {self.board.seq}, online " \
            f"{self.board.online}, recent {[c.number for c in self.board.recent]}"

    def heard(self) -> list[str]:
        return [f"{a.number}@{a.counter_number}{' again' if a.recall else ''}"
                for a in self.announcer.heard]

    def shot(self, name: str) -> Path:
        return self.app.screenshot(self.tmp_path / f"{name}.png")

    def stop(self) -> None:
        if not self.stopped:  # the client's stop() may be called once only
            self.stopped = True
            self.client.stop()


@pytest.fixture
def screen(server: ServerProcess, tmp_path: Path) -> Iterator[Screen]:
    display = Screen(server.url, tmp_path)
    try:
        yield display
    finally:
        display.stop()


@pytest.mark.slow
def test_calls_appear_and_are_announced_in_order_and_a_recall_again(
        server: ServerProcess, screen: Screen) -> None:
    officer = Officer(server.url)
    screen.until(lambda: screen.board.synced and screen.board.online)
    assert screen.board.hall.name == "Mal Pelayanan Publik Uji"
    numbers = [officer.issue() for _ in range(3)]
    officer.open(1)
    officer.open(2)
    officer.call_next(1)
    officer.call_next(2)
    third = officer.call_next(1)  # counter 1 moves on to the third ticket
    screen.until(lambda: len(screen.announcer.heard) == 3)
    assert screen.heard() == [f"{numbers[0]}@1", f"{numbers[1]}@2", f"{numbers[2]}@1"]
    assert [c.number for c in screen.board.recent] == numbers[::-1]
    assert {c.number: c.call.number for c in screen.board.counters.values() if c.call} == {
        1: numbers[2], 2: numbers[1]}
    # the burst is shown in turn on the big panel, first call first
    shown: list[str] = []
    screen.until(lambda: _watch(screen.board, shown) == numbers)

    officer.recall(third["id"])  # nobody came; counter 1 calls the number again
    screen.until(lambda: len(screen.announcer.heard) == 4)
    assert screen.heard()[-1] == f"{numbers[2]}@1 again"
    screen.until(lambda: screen.board.now_calling is not None
                 and screen.board.now_calling.recall
                 and screen.board.highlighted(screen.app.monotonic()))
    assert screen.board.now_calling is not None and screen.board.now_calling.recall
    assert screen.shot("recall").stat().st_size > 10_000


def _watch(board: Board, shown: list[str]) -> list[str]:
    """Note each call as it takes the big panel."""
    call = board.now_calling
    if call is not None and (not shown or shown[-1] != call.number) and \
            board.highlighted(time.monotonic()):
        shown.append(call.number)
    return shown


@pytest.mark.slow
def test_a_dropped_connection_resumes_and_shows_what_it_missed(
        server: ServerProcess, screen: Screen, tmp_path: Path) -> None:
    officer = Officer(server.url)
    officer.open(1)
    screen.until(lambda: screen.board.synced and screen.board.online)
    before = officer.issue()
    officer.call_next(1)
    screen.until(lambda: screen.heard() == [f"{before}@1"])
    seq = screen.board.seq
    screen.stop()  # the display's network drops
    missed = [officer.issue() for _ in range(2)]
    officer.call_next(1)
    officer.call_next(1)
    again = Screen(server.url, tmp_path, since=seq, board=screen.board,
                   announcer=screen.announcer)
    try:
        again.until(lambda: [c.number for c in again.board.recent][:2] == missed[::-1])
        # replayed, fresh calls are still announced, each once, in order
        again.until(lambda: len(again.heard()) == 3)
        assert again.heard() == [f"{before}@1", f"{missed[0]}@1", f"{missed[1]}@1"]
    finally:
        again.stop()


@pytest.mark.slow
def test_a_server_restart_marks_the_display_offline_then_catches_up(
        server: ServerProcess, screen: Screen) -> None:
    officer = Officer(server.url)
    officer.open(2)
    first = officer.issue()
    officer.call_next(2)
    screen.until(lambda: [c.number for c in screen.board.recent] == [first])
    server.kill()
    screen.until(lambda: not screen.board.online)
    offline = screen.shot("offline")
    assert [c.number for c in screen.board.recent] == [first]  # the last picture stays
    server.start()
    later = Officer(server.url)
    second = later.issue()
    later.call_next(2)
    screen.until(lambda: screen.board.online and
                 [c.number for c in screen.board.recent] == [second, first])
    assert screen.board.counters[later.counter[2]].call is not None
    assert offline.exists()


@pytest.mark.slow
def test_the_screenshot_command_saves_the_hall(server: ServerProcess, tmp_path: Path) -> None:
    officer = Officer(server.url)
    officer.open(1)
    officer.issue()
    officer.call_next(1)
    path = tmp_path / "hall.png"
    result = subprocess.run(
        [sys.executable, "-m", "common.cli", "display", "--server", server.url, "--token",
         DISPLAY_TOKEN, "--screenshot", str(path), "--size", "1080x1920"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    image = pygame.image.load(str(path))
    assert image.get_size() == (1080, 1920)
