"""The TV display drawn from the sample hall's own snapshot (15 agencies, 43 counters, two-letter
prefixes like BB-001), whole hall and zone A, landscape and portrait: no text cut, nothing beyond
the screen, WCAG AA contrast, every counter tile's number at one size, and a portrait zone that
fills its screen with recent calls. ANTREAN_SCREENSHOTS=DIR keeps the pictures."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DEJAVU, FakeClock, need_system_package, running_hall

from common import ui

ui.use_headless_drivers()
import pygame  # noqa: E402

from common.protocol.models import Snapshot  # noqa: E402
from display.board import Board  # noqa: E402
from display.screens import DisplayView, Layout  # noqa: E402
from server.config.hall import sample_hall_path  # noqa: E402

MONDAY_MORNING = datetime(2026, 3, 2, 2, 5, tzinfo=UTC)  # 09.05 in Jakarta
SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920)}
CALLED = ["KTP", "KTP", "KK", "AKTA-LAHIR", "PASPOR", "PASPOR", "PASPOR-GANTI", "BAYAR-PAJAK",
          "SKCK-BARU", "PKB", "INFO-TANAH", "NIKAH", "JKN-DAFTAR", "PLN-BARU", "POS", "KIA"]


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Snapshot]:
    async def build() -> dict[str, Snapshot]:
        data = tmp_path_factory.mktemp("display") / "data"
        async with running_hall(f"sqlite:///{data / 'antrean.db'}", data, sample_hall_path(),
                                FakeClock(MONDAY_MORNING)) as hall:
            kiosk = {"Authorization": "Bearer demo-kiosk-1"}
            token = (await hall.client.post("/api/v1/auth/token", json={
                "username": "admin", "password": "demo-admin"})).json()["access_token"]
            admin = {"Authorization": f"Bearer {token}"}
            counters = (await hall.client.get("/api/v1/sites/mpp-sleman/counters")).json()
            for code in CALLED:
                answer = await hall.client.post("/api/v1/sites/mpp-sleman/tickets",
                                                json={"service": code}, headers=kiosk)
                assert answer.status_code == 201, answer.text
                counter = next(c for c in counters if code in c["services"]
                               and not c.get("taken"))
                counter["taken"] = True
                await hall.client.post(f"/api/v1/counters/{counter['id']}/open", headers=admin)
                called = await hall.client.post(f"/api/v1/counters/{counter['id']}/call-next",
                                                headers=admin)
                assert called.status_code == 200, called.text
            shots = {}
            for name, device in (("hall", "demo-display-hall"), ("zone-a", "demo-display-a-1")):
                headers = {"Authorization": f"Bearer {device}"}
                zone = "?zone=A" if name == "zone-a" else ""
                answer = await hall.client.get(f"/api/v1/sites/mpp-sleman/snapshot{zone}",
                                               headers=headers)
                shots[name] = Snapshot.model_validate(answer.json())
            return shots

    return asyncio.run(build())


@pytest.fixture(autouse=True)
def _pygame() -> None:
    # the screens are measured in the DejaVu fonts the apps use (pygame's own font differs)
    need_system_package(DEJAVU.exists(), "the DejaVu fonts", "fonts-dejavu-core")
    pygame.init()


def board_of(snapshot: Snapshot) -> Board:
    board = Board()
    board.apply_snapshot(snapshot)
    board.set_online(True)
    return board


@pytest.mark.parametrize("english", [False, True], ids=["id", "en"])
@pytest.mark.parametrize("orientation", list(SIZES))
@pytest.mark.parametrize("which", ["hall", "zone-a"])
def test_the_hall_on_every_screen_is_whole_inside_and_readable(
        snapshots: dict[str, Snapshot], which: str, orientation: str, english: bool) -> None:
    board = board_of(snapshots[which])
    surface = pygame.Surface(SIZES[orientation])
    with ui.watching_text() as report:
        DisplayView(english=english).draw(surface, board, 100.0, MONDAY_MORNING)
    folder = os.environ.get("ANTREAN_SCREENSHOTS")
    if folder:
        ui.save_screenshot(surface, Path(folder) /
                           f"display-{which}-{orientation}-{'en' if english else 'id'}.png")
    assert report.cut == [], report.cut
    assert report.outside == [], report.outside
    assert report.low_contrast() == [], report.low_contrast()
    assert report.overlapping() == [], report.overlapping()
    assert "09.05" in [t.text for t in report.drawn]
    # every counter tile's number at one size, BB-001 as large as A-001
    numbers = {c.call.number for c in board.counters.values() if c.call is not None}
    assert any(n.startswith("BB-") for n in numbers) or which == "zone-a"
    layout = Layout.of(SIZES[orientation], bool(board.hall.running_text.strip()),
                       sum(1 for c in board.counters.values() if c.state != "closed"))
    tile_sizes = {t.size for t in report.drawn if t.text in numbers
                  and layout.counters.contains(t.rect)}
    assert len(tile_sizes) == 1, tile_sizes


def test_a_portrait_zone_lists_the_calls_its_space_holds(snapshots: dict[str, Snapshot]) -> None:
    board = board_of(snapshots["zone-a"])
    assert len(board.recent) >= 6
    shown = [c for c in board.counters.values() if c.state != "closed"]
    layout = Layout.of(SIZES["portrait"], bool(board.hall.running_text.strip()), len(shown))
    with ui.watching_text() as report:
        DisplayView().draw(pygame.Surface(SIZES["portrait"]), board, 100.0, MONDAY_MORNING)
    listed = [t for t in report.drawn if layout.recent.contains(t.rect)
              and any(t.text == c.number for c in board.recent)]
    assert len(listed) >= min(len(board.recent), 6)  # not four calls and an empty half
    if len(listed) < len(board.recent):  # full: the space under the last row holds no other
        row = listed[1].rect.top - listed[0].rect.top
        assert layout.recent.bottom - listed[-1].rect.bottom < row
    # a zone's few counters leave the recent calls more room than the whole hall's 43
    assert layout.recent.height > Layout.of(SIZES["portrait"], True, 43).recent.height
