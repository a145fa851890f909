"""Generated sound for the audio tests: tones standing in for recorded words."""

from __future__ import annotations

import math
from array import array

RATE = 22050


def tone(frequency: float, seconds: float, amplitude: float = 0.3, rate: int = RATE,
         silence: float = 0.2) -> array[int]:
    """A tone with ``silence`` seconds of quiet either side, as a recorded word has; an
    amplitude over 1 clips, as an overdriven microphone does."""
    quiet = array("h", bytes(2 * int(rate * silence)))
    body = array("h", (max(-32768, min(32767, int(amplitude * 32767 * math.sin(
        2 * math.pi * frequency * i / rate)))) for i in range(int(rate * seconds))))
    return quiet + body + quiet
