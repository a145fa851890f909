"""The display's calls reach the hall's speakers once each, in order; a recall is said twice."""

from __future__ import annotations

from pathlib import Path

from display_factory import called, recalled, snapshot

from display.board import Board
from display.sound import SpeakerAnnouncer
from hardware.audio import Announcer as Speaker
from hardware.audio import EspeakVoice


class _Done:
    def wait(self) -> None:
        pass


class RecordingPlayer:
    """Notes each clip instead of playing it."""

    def __init__(self) -> None:
        self.played: list[str] = []

    def play(self, clip: Path) -> _Done:
        self.played.append(clip.name)
        return _Done()


class FakeVoice(EspeakVoice):
    """Writes the sentence instead of speaking it, so the test can read what was said."""

    def render(self, text: str, out: Path) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        return out


def test_each_call_is_spoken_once_in_order_and_a_recall_twice(tmp_path: Path) -> None:
    player = RecordingPlayer()
    speaker = Speaker(player, tmp_path, voice_finder=lambda language: FakeVoice("fake", language))
    announcer = SpeakerAnnouncer(speaker)
    board = Board()
    board.apply_snapshot(snapshot(0))
    events = [called(1, 1, 1), called(2, 2, 2), recalled(3, 1, 1)]
    for event in events + events:  # the second time round is a duplicate delivery
        for announcement in board.apply(event):
            announcer.announce(announcement)
            speaker.wait_idle()  # one by one: each heard before the next is made
    announcer.close()
    chime = speaker.chime.name
    clips = {name: (tmp_path / "speech" / name) for name in player.played if name != chime}
    said = [clips[name].read_text(encoding="utf-8") if name in clips else "♪"
            for name in player.played]
    assert said == [
        "♪", "Nomor antrean A nol nol satu, silakan menuju loket satu",
        "♪", "Nomor antrean A nol nol dua, silakan menuju loket dua",
        "♪", "Nomor antrean A nol nol satu, silakan menuju loket satu",
        "Nomor antrean A nol nol satu, silakan menuju loket satu",
    ]
