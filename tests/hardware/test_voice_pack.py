"""Voice packs: calls composed from a pack made in the test (a tone per phrase, or espeak-ng's
clip of each phrase), the check command on a pack with clips missing and broken, and the
recording walk-through fed a generated audio stream through the real command."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from array import array
from itertools import pairwise
from pathlib import Path

import pytest
from audio_samples import RATE, tone
from conftest import ROOT, SMALL_HALL

from common.announce import Wording, phrases, split_phrases
from hardware.audio import EspeakVoice
from hardware.audio.chime import write_wav
from hardware.audio.loudness import TARGET_DBFS, active_level_db
from hardware.audio.speech import ClipCache
from hardware.audio.voice_pack import (
    COMMA_GAP_SECONDS,
    PackClips,
    VoicePack,
    check_pack,
    clip_name,
    read_clip,
)

SMALL_HALL_PHRASES = phrases("ABCPZ")


def frequency_of(phrase: str) -> float:
    return 300.0 + 40.0 * SMALL_HALL_PHRASES.index(phrase)


def tone_pack(directory: Path, needed: list[str] = SMALL_HALL_PHRASES) -> Path:
    for phrase in needed:
        write_wav(directory / clip_name(phrase), tone(frequency_of(phrase), 0.25))
    return directory


def segments(samples: array[int], rate: int) -> list[tuple[float, float, float]]:
    """(start, length, frequency) of each stretch of sound, found by 5 ms windows."""
    window = rate // 200
    loud = [max(abs(v) for v in samples[i:i + window]) > 500
            for i in range(0, len(samples) - window, window)]
    found, start = [], None
    for index, on in enumerate([*loud, False]):
        if on and start is None:
            start = index
        elif not on and start is not None:
            piece = samples[start * window:index * window]
            crossings = [i for i in range(1, len(piece)) if (piece[i - 1] < 0) != (piece[i] < 0)]
            span = (crossings[-1] - crossings[0]) / rate
            found.append((start * window / rate, len(piece) / rate,
                          (len(crossings) - 1) / 2 / span))
            start = None
    return found


def test_a_call_is_its_phrases_clips_in_order_with_pauses_at_commas(tmp_path: Path) -> None:
    pack = VoicePack.load(tone_pack(tmp_path / "pack"), SMALL_HALL_PHRASES)
    text = Wording("words").call("A-012", 3)[0]
    assert text == "Nomor antrean A dua belas, silakan menuju loket tiga"
    clip = pack.compose(text)
    assert clip is not None and clip.rate == RATE
    said = split_phrases(text, SMALL_HALL_PHRASES)
    assert said is not None
    words = [p for p in said if p != ","]
    heard = segments(clip.samples, clip.rate)
    assert len(heard) == len(words)
    for (_, length, frequency), phrase in zip(heard, words, strict=True):
        assert abs(frequency - frequency_of(phrase)) < 8, phrase  # the clip of that phrase
        assert 0.24 < length < 0.32  # trimmed: the silence around the recording is gone
    gaps = [b[0] - (a[0] + a[1]) for a, b in pairwise(heard)]
    comma = said.index(",")  # after "belas": the fourth gap
    assert gaps[comma - 1] > COMMA_GAP_SECONDS - 0.02
    assert all(gap < 0.15 for i, gap in enumerate(gaps) if i != comma - 1)  # 60 ms and margins
    # levelled to the chime's loudness, however loud the clips were recorded
    assert abs(active_level_db(clip.samples, clip.rate) - TARGET_DBFS) < 1.5


def test_a_sentence_the_pack_cannot_say_goes_to_the_fallback(tmp_path: Path) -> None:
    needed = SMALL_HALL_PHRASES
    tone_pack(tmp_path / "pack", [p for p in needed if p != "belas"])
    pack = VoicePack.load(tmp_path / "pack", needed)
    assert pack.compose("Nomor antrean A dua belas") is None
    assert pack.compose("Nomor antrean A dua") is not None

    class Fallback(ClipCache):
        def __init__(self) -> None:
            super().__init__(tmp_path / "espeak", EspeakVoice("espeak-ng", "id"))
            self.asked: list[str] = []

        def get(self, text: str) -> Path:
            self.asked.append(text)
            path = self.path(text)
            write_wav(path, tone(1000, 0.1))
            return path

    fallback = Fallback()
    clips = PackClips(pack, tmp_path / "cache", fallback)
    own = clips.get("Nomor antrean A dua")
    assert own.parent == tmp_path / "cache" and clips.get("Nomor antrean A dua") == own
    assert clips.rendered == 1  # kept: the second time is the same file
    other = clips.get("Nomor antrean A dua belas")
    assert fallback.asked == ["Nomor antrean A dua belas"] and other.parent == tmp_path / "espeak"
    with pytest.raises(LookupError):
        PackClips(pack, tmp_path / "cache").get("Nomor antrean A dua belas")


needs_espeak = pytest.mark.skipif(
    EspeakVoice.find("id") is None, reason="espeak-ng with an Indonesian voice is not installed")


@needs_espeak
def test_a_pack_of_espeak_clips_per_word_says_a_call_sox_measures(tmp_path: Path) -> None:
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    voice = EspeakVoice.find("id")
    assert voice is not None
    needed = phrases("A")
    for phrase in needed:
        voice.render(phrase, tmp_path / "pack" / clip_name(phrase))
    assert check_pack(tmp_path / "pack", needed) == []
    pack = VoicePack.load(tmp_path / "pack", needed)
    out = tmp_path / "call.wav"
    assert pack.write(Wording("words").call("A-021", 12)[0], out) == out
    # sox, not our code, reads the result: a valid 16-bit mono WAV of plausible length
    info = subprocess.run(["sox", "--i", str(out)], capture_output=True, text=True, check=True)
    assert "Channels       : 1" in info.stdout and "16-bit" in info.stdout
    seconds = float(subprocess.run(["sox", "--i", "-D", str(out)], capture_output=True,
                                   text=True, check=True).stdout)
    parts = [read_clip(tmp_path / "pack" / clip_name(p)) for p in
             ("nomor antrean", "a", "dua", "puluh", "satu", "silakan menuju", "loket", "dua",
              "belas")]
    untrimmed = sum(p.seconds for p in parts)
    assert 1.5 < seconds < untrimmed  # each word trimmed of espeak's silence, the words all there


def _antrean(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "common.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_check_lists_missing_and_unusable_clips(tmp_path: Path) -> None:
    pack = tone_pack(tmp_path / "pack")
    (pack / "ratus.wav").unlink()
    write_wav(pack / "belas.wav", array("h", bytes(2 * RATE)))  # a second of silence
    with wave.open(str(pack / "loket.wav"), "wb") as stereo:
        stereo.setnchannels(2)
        stereo.setsampwidth(2)
        stereo.setframerate(RATE)
        stereo.writeframes(bytes(4 * RATE))
    write_wav(pack / "dan.wav", tone(440, 0.3, amplitude=1.2))  # overdriven: clipped
    (pack / "ke.wav").write_bytes(b"not a sound")
    result = _antrean("voice", "check", str(pack), "--config", str(SMALL_HALL))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert f"{len(SMALL_HALL_PHRASES) - 5} of {len(SMALL_HALL_PHRASES)} phrases usable" in out
    assert "missing (1):\n  ratus.wav  «ratus»" in out
    assert "belas.wav  «belas»: silent" in out
    assert "loket.wav  «loket»: 2 channels; record mono" in out
    assert "dan.wav  «dan»: clipped" in out
    assert "ke.wav  «ke»: not a readable WAV file" in out
    assert "antrean voice record" in out

    for name in ("ratus.wav", "belas.wav", "loket.wav", "dan.wav", "ke.wav"):
        phrase = name.removesuffix(".wav")
        write_wav(pack / name, tone(frequency_of(phrase), 0.25))
    result = _antrean("voice", "check", str(pack), "--config", str(SMALL_HALL))
    assert result.returncode == 0 and "complete" in result.stdout, result.stdout


def test_recording_walks_through_every_phrase_from_a_generated_stream(tmp_path: Path) -> None:
    """The stream a microphone would give: for the first phrase nine seconds of silence (the
    speaker was not ready: asked again), then for each phrase its tone between silences."""
    stream = array("h", bytes(2 * 9 * RATE))
    for phrase in SMALL_HALL_PHRASES:
        stream += tone(frequency_of(phrase), 0.4, silence=0.5) + array("h", bytes(2 * RATE))
    raw = tmp_path / "microphone.raw"
    raw.write_bytes(stream.tobytes())
    pack = tmp_path / "pack"
    answers = "\n" * (2 * len(SMALL_HALL_PHRASES) + 1)  # Enter to record (again), Enter to keep
    result = _antrean("voice", "record", str(pack), "--config", str(SMALL_HALL), "--source",
                      f"raw:{raw}", "--no-playback", stdin=answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("no sound heard") == 1
    assert f"Recorded {len(SMALL_HALL_PHRASES)}, skipped 0." in result.stdout
    assert check_pack(pack, SMALL_HALL_PHRASES) == []
    for phrase in SMALL_HALL_PHRASES:  # each clip holds its own phrase's sound
        clip = read_clip(pack / clip_name(phrase))
        [(_, length, frequency)] = segments(clip.samples, clip.rate)
        assert abs(frequency - frequency_of(phrase)) < 8 and 0.38 < length < 0.45, phrase
        assert clip.seconds < 0.4 + 0.15 + 0.8  # pre-roll, the sound, the silence that ended it
    # run again: nothing is missing, nothing is asked
    again = _antrean("voice", "record", str(pack), "--config", str(SMALL_HALL), "--source",
                     f"raw:{raw}", "--no-playback")
    assert again.returncode == 0 and "nothing to record" in again.stdout
