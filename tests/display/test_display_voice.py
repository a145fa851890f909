"""The pygame display says calls in the hall's voice, as its server renders them: a hall with a
voice pack (tones made here) that reads numbers as words and names agencies; the display learns
the wording from the snapshot and plays the very audio the server gives a browser display."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from audio_samples import tone_pack, voiced_hall
from conftest import KIOSK, PASSWORDS, SMALL_HALL, ServerProcess

from common import ui
from common.announce import phrases
from common.client import BackgroundClient, Backoff
from display.app import DisplayApp
from display.board import Board
from display.screens import DisplayView
from display.sound import SpeakerAnnouncer, server_clips
from hardware.audio import Announcer as Speaker
from hardware.audio.remote import RemoteClips

ui.use_headless_drivers()
import pygame  # noqa: E402

DISPLAY_TOKEN = "test-display-token-1"


class _Done:
    def wait(self) -> None:
        pass


class RecordingPlayer:
    def __init__(self) -> None:
        self.played: list[Path] = []

    def play(self, clip: Path) -> _Done:
        self.played.append(clip)
        return _Done()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    pack = tone_pack(tmp_path / "pack", phrases("ABCPZ", ["Samsat", "Dukcapil"]))
    config = voiced_hall(tmp_path / "hall.toml", pack, SMALL_HALL)
    process = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                            config)
    process.data_dir.mkdir(parents=True)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_the_pygame_display_plays_the_servers_rendering_in_the_halls_words(
        server: ServerProcess, tmp_path: Path) -> None:
    http = httpx.Client(base_url=server.url + "/api/v1", timeout=10)
    siti = {"Authorization": "Bearer " + http.post("/auth/token", json={
        "username": "siti", "password": PASSWORDS["siti"]}).json()["access_token"]}
    counter = next(c["id"] for c in http.get("/sites/TEST/counters").json() if c["number"] == 1)
    for _ in range(12):
        http.post("/sites/TEST/tickets", json={"service": "KTP"}, headers=KIOSK)
    http.post(f"/counters/{counter}/open", headers=siti)
    for _ in range(11):  # A-001 … A-011 called before the display starts: not announced
        http.post(f"/counters/{counter}/call-next", headers=siti)

    pygame.init()
    player = RecordingPlayer()
    clips = server_clips(server.url, DISPLAY_TOKEN, ("id",), tmp_path / "audio")
    speaker = Speaker(player, tmp_path / "audio", clips=clips)
    client = BackgroundClient(server.url, DISPLAY_TOKEN, backoff=Backoff(0.1, 0.5))
    app = DisplayApp(client, Board(), DisplayView(), pygame.Surface((1280, 720)),
                     SpeakerAnnouncer(speaker))
    client.start()
    try:
        deadline = time.monotonic() + 20
        while not (app.board.synced and app.board.online) and time.monotonic() < deadline:
            app.frame()
            time.sleep(0.02)
        assert app.board.synced
        http.post(f"/counters/{counter}/call-next", headers=siti)
        while not speaker.heard and time.monotonic() < deadline + 10:
            app.frame()
            time.sleep(0.02)
        assert speaker.wait_idle(20)
    finally:
        client.stop()
        speaker.close()
    [utterance] = speaker.heard
    text = "Nomor antrean A dua belas, silakan menuju loket satu, Dukcapil"
    assert utterance.sentences == (("id", text),)
    assert [clip.name for clip in player.played] == [speaker.chime.name, player.played[1].name]
    said = player.played[1]
    browser = http.get("/sites/TEST/audio", params={"language": "id", "text": text},
                       headers={"Authorization": f"Bearer {DISPLAY_TOKEN}"})
    assert browser.status_code == 200
    assert said.read_bytes() == browser.content  # byte for byte what a browser display plays
    remote = clips["id"]
    assert isinstance(remote, RemoteClips) and remote.fetched == 1 and remote.fell_back == 0
