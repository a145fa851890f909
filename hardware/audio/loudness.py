"""The chime and the voice at one loudness: both brought to the same active level.

The active level is the RMS of the 20 ms windows that carry sound (above -50 dBFS), so the pauses
between words do not make speech seem quieter than a chime that rings throughout. Espeak's clips
came out 7 dB below the chime; a hall turned the amplifier up for the voice and was startled by
the chime.
"""

from __future__ import annotations

import math
import wave
from array import array
from collections.abc import Sequence
from pathlib import Path

TARGET_DBFS = -18.0  # leaves espeak-ng's peaks room: its clips peak about 17 dB over their level
PEAK_LIMIT = 0.97  # of full scale: a gain never clips
_SILENCE_DBFS = -50.0
_FULL_SCALE = 32767.0


def active_level_db(samples: Sequence[int], rate: int) -> float:
    """The RMS, in dB below full scale, of the windows that carry sound."""
    window = max(1, rate // 50)
    floor = (_FULL_SCALE * 10 ** (_SILENCE_DBFS / 20)) ** 2
    total, count = 0.0, 0
    for start in range(0, len(samples), window):
        chunk = samples[start : start + window]
        energy = sum(v * v for v in chunk)
        if chunk and energy / len(chunk) > floor:
            total += energy
            count += len(chunk)
    if not count:
        return -math.inf
    return 20 * math.log10(math.sqrt(total / count) / _FULL_SCALE)


def to_level(samples: array[int], rate: int, target_db: float = TARGET_DBFS) -> array[int]:
    """``samples`` scaled to ``target_db`` active level (less, if that would clip)."""
    level = active_level_db(samples, rate)
    if level == -math.inf:
        return samples
    gain = 10 ** ((target_db - level) / 20)
    peak = max((abs(v) for v in samples), default=0)
    if peak:
        gain = min(gain, PEAK_LIMIT * _FULL_SCALE / peak)
    return array("h", (max(-32768, min(32767, round(v * gain))) for v in samples))


def normalise_wav(path: Path, target_db: float = TARGET_DBFS) -> Path:
    """Rewrite a 16-bit mono WAV file at ``target_db`` active level."""
    try:
        with wave.open(str(path)) as source:
            params = source.getparams()
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError):
        return path  # not a WAV file: nothing to level
    if params.sampwidth != 2 or params.nchannels != 1:
        return path  # not what espeak-ng writes: leave it as it is
    samples = array("h")
    samples.frombytes(frames)
    scaled = to_level(samples, params.framerate, target_db)
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(scaled.tobytes())
    return path


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as source:
        return source.getnframes() / float(source.getframerate())
