"""Announcements: the chime, espeak-ng clips when available, the queue, pygame's mixer."""

from __future__ import annotations

import logging
import threading
import wave
from array import array
from pathlib import Path

import pytest

from hardware.audio import Announcer, EspeakVoice, MixerPlayer
from hardware.audio.chime import RATE, chime_samples, chime_wav, write_wav
from hardware.audio.speech import ClipCache

needs_espeak = pytest.mark.skipif(
    EspeakVoice.find("id") is None, reason="espeak-ng with an Indonesian voice is not installed"
)


class _Playback:
    def __init__(self, player: RecordingPlayer, clip: Path) -> None:
        self._player, self._clip = player, clip

    def wait(self) -> None:
        self._player.log.append(("end", self._clip.name))


class RecordingPlayer:
    """Records starts and ends instead of making sound; optionally holds the first clip."""

    def __init__(self, hold_first: threading.Event | None = None) -> None:
        self.log: list[tuple[str, str]] = []
        self._hold = hold_first
        self.started = threading.Event()

    def play(self, clip: Path) -> _Playback:
        self.log.append(("start", clip.name))
        self.started.set()
        if self._hold is not None:
            self._hold.wait(15)
            self._hold = None
        return _Playback(self, clip)

    @property
    def played(self) -> list[str]:
        return [name for what, name in self.log if what == "start"]


def _no_voice(language: str) -> EspeakVoice | None:
    return None


def test_chime_is_a_real_sound(tmp_path: Path) -> None:
    samples = chime_samples()
    assert 1.0 < len(samples) / RATE < 2.0
    assert max(samples) > 15000 and min(samples) < -15000  # loud enough, not clipped
    assert max(samples) < 32000
    assert max(abs(s) for s in samples[-100:]) < 2000  # fades out
    path = chime_wav(tmp_path)
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
    assert chime_wav(tmp_path) == path


def test_without_a_voice_the_call_is_the_chime_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    player = RecordingPlayer()
    with caplog.at_level(logging.WARNING):
        announcer = Announcer(player, tmp_path, voice_finder=_no_voice)
    assert "chime only" in caplog.text
    assert not announcer.speaks
    announcer.announce("A-012", 3)
    announcer.wait_idle()
    announcer.announce("A-013", 4, recall=True)
    announcer.wait_idle()
    assert player.played == [announcer.chime.name] * 2
    announcer.close()


def test_missing_espeak_executable_means_no_voice() -> None:
    assert EspeakVoice.find("id", executable="no-such-espeak") is None


def test_two_calls_a_second_apart_are_both_heard_in_full(tmp_path: Path) -> None:
    hold = threading.Event()
    player = RecordingPlayer(hold_first=hold)
    announcer = Announcer(player, tmp_path, voice_finder=_no_voice)
    announcer.announce("A-001", 1)
    assert player.started.wait(15)
    announcer.announce("B-001", 2)  # while the first chime is still sounding
    hold.set()
    announcer.wait_idle()
    chime = announcer.chime.name
    assert player.log == [("start", chime), ("end", chime), ("start", chime), ("end", chime)]
    announcer.close()


@needs_espeak
def test_spoken_call_in_indonesian_and_english_is_cached(tmp_path: Path) -> None:
    player = RecordingPlayer()
    announcer = Announcer(player, tmp_path, languages=("id", "en"))
    assert set(announcer.caches) == {"id", "en"}
    assert announcer.sentences("A-012", 3) == {
        "id": "Nomor antrean A nol satu dua, silakan menuju loket tiga",
        "en": "Ticket number A zero one two, please proceed to counter 3",
    }
    clips = announcer.prepare("A-012", 3)
    assert len(clips) == 2
    with wave.open(str(clips[0])) as wav:
        assert wav.getnframes() / wav.getframerate() > 2.0  # a whole sentence
    announcer.announce("A-012", 3)
    announcer.wait_idle()
    announcer.announce("A-012", 3, recall=True)  # once the call was heard: a real recall
    announcer.wait_idle()
    id_clip, en_clip, chime = clips[0].name, clips[1].name, announcer.chime.name
    assert player.played == [
        chime, id_clip, en_clip,
        chime, id_clip, en_clip, id_clip, en_clip,  # a recall with nothing waiting: twice
    ]  # fmt: skip
    assert announcer.caches["id"].rendered == 1  # rendered once, then from the cache
    announcer.close()


@needs_espeak
def test_clip_cache_key_depends_on_the_text(tmp_path: Path) -> None:
    voice = EspeakVoice.find("id")
    assert voice is not None
    cache = ClipCache(tmp_path, voice)
    assert cache.path("satu") != cache.path("dua")
    assert cache.get("satu").exists() and cache.rendered == 1
    cache.get("satu")
    assert cache.rendered == 1


def test_a_broken_voice_still_rings_the_chime(tmp_path: Path) -> None:
    broken = EspeakVoice(executable=str(tmp_path / "missing-espeak"), voice="id")
    player = RecordingPlayer()
    announcer = Announcer(player, tmp_path, voice_finder=lambda language: broken)
    announcer.announce("A-001", 1)
    announcer.wait_idle()
    assert player.played == [announcer.chime.name]
    announcer.close()


def test_mixer_plays_through_the_dummy_audio_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    import pygame

    beep = write_wav(tmp_path / "beep.wav", chime_samples()[: RATE // 5])
    try:
        player = MixerPlayer()
    except pygame.error as exc:
        pytest.skip(f"no audio device: {exc}")
    try:
        playback = player.play(beep)
        assert playback._channel is not None  # a channel was given: the sound is playing
        playback.wait()
        assert not playback._channel.get_busy()
        announcer = Announcer(player, tmp_path, voice_finder=_no_voice)
        announcer.announce("A-001", 1)
        announcer.wait_idle()
        announcer.close()
    finally:
        pygame.mixer.quit()


class ClockedPlayer:
    """Plays by moving a clock on by each clip's length, as real playback would take."""

    def __init__(self) -> None:
        self.now = 0.0
        self.played: list[str] = []

    def clock(self) -> float:
        return self.now

    def play(self, clip: Path) -> _Done:
        from hardware.audio.loudness import wav_seconds

        self.played.append(clip.name)
        self.now += wav_seconds(clip)
        return _Done()


class _Done:
    def wait(self) -> None:
        pass


@needs_espeak
def test_43_calls_at_opening_through_the_speakers_within_30_seconds(tmp_path: Path) -> None:
    from common.announce_queue import Call
    from tests.domain.announce_samples import opening_calls

    player = ClockedPlayer()
    speaker = Announcer(player, tmp_path, languages=("id", "en"), clock=player.clock, within=30.0)
    calls: list[Call] = opening_calls()
    for call in calls:  # all in the same instant: the worker waits on the lock meanwhile
        speaker.announce(call.number, call.counter_number, ticket_id=call.ticket_id,
                         agency=call.agency)
    assert speaker.wait_idle(600)
    speaker.close()
    counts = speaker.counts
    heard = speaker.heard
    assert counts.said + counts.skipped == 43 and counts.superseded == 0
    assert counts.latest_seconds <= 30.0  # by the lengths of the clips really rendered
    assert player.now <= 30.0 + 15.0  # the last utterance began within the bound
    assert sum(len(u.calls) + len(u.skipped) for u in heard) == 43
    print(f"\nthrough the speakers: {counts.said} said by name ({counts.folded} folded), "
          f"{counts.skipped} in a notice, English skipped for {counts.english_skipped}, "
          f"all heard of within {counts.latest_seconds:.1f} s")


def _sox_level(path: Path) -> float:
    """The RMS level sox measures once it has cut out the silences (an outside measurement)."""
    import shutil
    import subprocess

    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    stats = subprocess.run(["sox", str(path), "-n", "silence", "-l", "1", "0.02", "-50d",
                            "-1", "0.02", "-50d", "stats"], capture_output=True, text=True,
                           timeout=60, check=True).stderr
    line = next(line for line in stats.splitlines() if line.startswith("RMS lev dB"))
    return float(line.split()[-1])


@needs_espeak
def test_the_chime_and_the_voice_are_equally_loud(tmp_path: Path) -> None:
    from hardware.audio.loudness import active_level_db

    announcer = Announcer(RecordingPlayer(), tmp_path, languages=("id", "en"))
    folded = "Nomor antrean A nol nol satu ke loket satu, dan A nol nol dua ke loket dua"
    clips = [*announcer.prepare("A-012", 3), announcer.caches["id"].get(folded)]
    announcer.close()
    chime = _sox_level(announcer.chime)
    for clip in clips:
        assert abs(_sox_level(clip) - chime) < 1.5, clip.name
        with wave.open(str(clip)) as wav:
            samples = array("h", wav.readframes(wav.getnframes()))
            assert abs(active_level_db(samples, wav.getframerate()) + 18.0) < 0.5
