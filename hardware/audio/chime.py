"""The call chime, synthesised: a soft two-note "ding-dong", no sound files to ship."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path

from hardware.audio.loudness import to_level

RATE = 22050


def chime_samples(rate: int = RATE) -> array[int]:
    """16-bit mono samples: E5 then C5, each with a bell-like decay, about 1.4 s in all."""
    notes = ((659.25, 0.0), (523.25, 0.55))
    length = int(rate * 1.4)
    mix = [0.0] * length
    for frequency, start in notes:
        begin = int(start * rate)
        for i in range(length - begin):
            t = i / rate
            envelope = math.exp(-3.2 * t) * min(1.0, t / 0.01)
            tone = math.sin(2 * math.pi * frequency * t) + 0.3 * math.sin(4 * math.pi * frequency * t)
            mix[begin + i] += 0.35 * envelope * tone
    peak = max(abs(v) for v in mix) or 1.0
    scale = 0.8 * 32767 / peak
    return to_level(array("h", (int(v * scale) for v in mix)), rate)  # as loud as the voice


def write_wav(path: Path, samples: array[int], rate: int = RATE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def chime_wav(directory: Path) -> Path:
    """The chime as a WAV file in ``directory`` (made once, then reused)."""
    path = directory / "chime-v2.wav"  # v2: at the voice's loudness
    if not path.exists():
        write_wav(path.with_suffix(".tmp"), chime_samples()).replace(path)
    return path
