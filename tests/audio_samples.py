"""Generated sound for the audio tests: tones standing in for recorded words."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

RATE = 22050


def tone(frequency: float, seconds: float, amplitude: float = 0.3, rate: int = RATE,
         silence: float = 0.2) -> array[int]:
    """A tone with ``silence`` seconds of quiet either side, as a recorded word has; an
    amplitude over 1 clips, as an overdriven microphone does."""
    quiet = array("h", bytes(2 * int(rate * silence)))
    body = array("h", (max(-32768, min(32767, int(amplitude * 32767 * math.sin(
        2 * math.pi * frequency * i / rate)))) for i in range(int(rate * seconds))))
    return quiet + body + quiet


def tone_pack(directory: Path, phrases: list[str], seconds: float = 0.2) -> Path:
    """A voice pack whose every phrase is a tone of its own (300 Hz, 340 Hz, …)."""
    from hardware.audio.chime import write_wav
    from hardware.audio.voice_pack import clip_name

    for index, phrase in enumerate(phrases):
        write_wav(directory / clip_name(phrase), tone(300 + 40 * index, seconds))
    return directory


def voiced_hall(path: Path, pack: Path | None, base: Path) -> Path:
    """The hall of ``base`` reading numbers as words and naming Samsat and Dukcapil, with
    ``pack`` as its voice pack."""
    voice = ('[site.voice]\nnumbers = "words"\n'
             'agencies = { SAMSAT = "Samsat", DUKCAPIL = "Dukcapil" }\n')
    if pack is not None:
        voice += f'pack = "{pack}"\n'
    text = base.read_text(encoding="utf-8")
    path.write_text(text.replace("[[agency]]", voice + "\n[[agency]]", 1), encoding="utf-8")
    return path
