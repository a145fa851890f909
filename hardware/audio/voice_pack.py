"""Voice packs: the hall's own recorded voice, one clip per phrase, from which calls are said.

A pack is a folder of WAV files, one per phrase of :func:`common.announce.phrases` ("nomor
antrean", the letters, the number words, "silakan menuju", "loket"…, and the agencies' spoken
names when the hall says them), named by :func:`clip_name`: ``nomor_antrean.wav``, ``a.wav``,
``dua.wav``, ``belas.wav``, ``samsat.wav``. ``antrean voice record`` makes one with a microphone,
``antrean voice check`` lists what is missing or unusable.

A clip is 16-bit mono PCM at the pack's one sample rate, with between 0.1 and 4 seconds of sound,
neither silent nor clipped. Loaded, each is trimmed of the silence around it and levelled to the
chime's loudness (``loudness.TARGET_DBFS``), so words recorded on different days sound alike; a
sentence is its phrases' clips with a short gap between words and a longer one at a comma. A
sentence with a phrase the pack lacks is not said by the pack at all (half a human voice, half a
synthetic one, is worse than either): the caller falls back to espeak-ng for it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import wave
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.announce import PhraseBook
from hardware.audio.chime import write_wav
from hardware.audio.loudness import active_level_db, to_level
from hardware.audio.speech import ClipCache

log = logging.getLogger(__name__)

WORD_GAP_SECONDS = 0.06
COMMA_GAP_SECONDS = 0.28
SHORTEST_SOUND = 0.1
LONGEST_SOUND = 4.0
QUIETEST_DBFS = -45.0  # a clip whose sound is below this was recorded too far from the mic
_EDGE_DBFS = -40.0  # where a clip's sound begins and ends
_CLIPPED = 32_600


def clip_name(phrase: str) -> str:
    """The file a phrase's clip is kept in: ``"nomor antrean"`` → ``nomor_antrean.wav``."""
    stem = re.sub(r"[^0-9a-z]+", "_", phrase.lower()).strip("_")
    return f"{stem or 'phrase'}.wav"


@dataclass(frozen=True)
class Clip:
    samples: array[int]
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


@dataclass(frozen=True)
class ClipProblem:
    phrase: str
    file: str
    problem: str  # "missing", or what is wrong with the file

    def __str__(self) -> str:
        return f"{self.file} ({self.phrase!r}): {self.problem}"


def read_clip(path: Path) -> Clip:
    """A WAV file's samples; ValueError says plainly what it is not."""
    try:
        with wave.open(str(path)) as source:
            params = source.getparams()
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise ValueError(f"not a readable WAV file ({exc})") from exc
    if params.sampwidth != 2:
        raise ValueError(f"{8 * params.sampwidth}-bit samples; record 16-bit")
    if params.nchannels != 1:
        raise ValueError(f"{params.nchannels} channels; record mono")
    samples = array("h")
    samples.frombytes(frames)
    return Clip(samples, params.framerate)


def sound_span(samples: Sequence[int], rate: int, edge_db: float = _EDGE_DBFS) -> tuple[int, int]:
    """The first and last sample of the 10 ms windows louder than ``edge_db``; (0, 0) when
    there are none."""
    window = max(1, rate // 100)
    floor = (32767 * 10 ** (edge_db / 20)) ** 2
    loud = [start for start in range(0, len(samples), window)
            if (chunk := samples[start:start + window])
            and sum(v * v for v in chunk) / len(chunk) > floor]
    if not loud:
        return 0, 0
    return loud[0], min(len(samples), loud[-1] + window)


def clip_problem(clip: Clip, rate: int | None = None) -> str | None:
    """What makes ``clip`` unusable in a pack of ``rate``, in plain words; None when it is fine."""
    if rate is not None and clip.rate != rate:
        return f"sampled at {clip.rate} Hz, the pack's other clips at {rate} Hz"
    begin, end = sound_span(clip.samples, clip.rate)
    sound = (end - begin) / clip.rate
    if sound == 0:
        return "silent"
    if sound < SHORTEST_SOUND:
        return f"only {sound:.2f} s of sound"
    if sound > LONGEST_SOUND:
        return f"{sound:.1f} s of sound; one phrase takes under {LONGEST_SOUND:.0f} s"
    if sum(1 for v in clip.samples if abs(v) >= _CLIPPED) > clip.rate // 1000:
        return "clipped (too loud): record it again further from the microphone"
    level = active_level_db(clip.samples[begin:end], clip.rate)
    if level < QUIETEST_DBFS:
        return f"too quiet ({level:.0f} dBFS): record it again closer to the microphone"
    return None


def prepared(clip: Clip) -> Clip:
    """Trimmed to its sound (with 20 ms either side) and levelled."""
    begin, end = sound_span(clip.samples, clip.rate)
    margin = clip.rate // 50
    trimmed = clip.samples[max(0, begin - margin):min(len(clip.samples), end + margin)]
    return Clip(to_level(array("h", trimmed), clip.rate), clip.rate)


def check_pack(directory: Path, needed: Sequence[str]) -> list[ClipProblem]:
    """Every needed phrase whose clip is missing or unusable, in the order of ``needed``."""
    problems: list[ClipProblem] = []
    clips: dict[str, Clip] = {}
    for phrase in needed:
        path = directory / clip_name(phrase)
        if not path.is_file():
            problems.append(ClipProblem(phrase, path.name, "missing"))
            continue
        try:
            clips[phrase] = read_clip(path)
        except ValueError as exc:
            problems.append(ClipProblem(phrase, path.name, str(exc)))
    rate = _pack_rate(clips.values())
    for phrase, clip in clips.items():
        problem = clip_problem(clip, rate)
        if problem is not None:
            problems.append(ClipProblem(phrase, clip_name(phrase), problem))
    order = {phrase: i for i, phrase in enumerate(needed)}
    return sorted(problems, key=lambda p: order[p.phrase])


def _pack_rate(clips: Iterable[Clip]) -> int | None:
    rates = Counter(clip.rate for clip in clips)
    return rates.most_common(1)[0][0] if rates else None


class VoicePack:
    """The usable clips of a pack folder, ready to be joined into sentences."""

    def __init__(self, directory: Path, clips: dict[str, Clip], rate: int, identity: str) -> None:
        self.directory = directory
        self.clips = clips
        self.rate = rate
        self.identity = identity  # changes whenever a clip does: rendered sentences key on it
        self._book = PhraseBook(list(clips))

    @classmethod
    def load(cls, directory: Path, needed: Sequence[str]) -> VoicePack:
        """The pack's clips for ``needed``; those missing or unusable are left out (and logged),
        so a sentence that needs one falls back to espeak-ng."""
        raw: dict[str, Clip] = {}
        digest = hashlib.sha256()
        for phrase in needed:
            path = directory / clip_name(phrase)
            if not path.is_file():
                continue
            try:
                raw[phrase] = read_clip(path)
            except ValueError as exc:
                log.warning("voice pack %s: %s: %s", directory, path.name, exc)
                continue
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        rate = _pack_rate(raw.values()) or 22050
        clips: dict[str, Clip] = {}
        for phrase, clip in raw.items():
            problem = clip_problem(clip, rate)
            if problem is None:
                clips[phrase] = prepared(clip)
            else:
                log.warning("voice pack %s: %s left out: %s", directory, clip_name(phrase), problem)
        missing = [p for p in needed if p not in clips]
        if missing:
            log.warning("voice pack %s lacks %d of %d phrases (%s); calls that need them are "
                        "said by espeak-ng (antrean voice check %s)", directory, len(missing),
                        len(needed), ", ".join(missing[:8]) + ("…" if len(missing) > 8 else ""),
                        directory)
        return cls(directory, clips, rate, digest.hexdigest()[:16])

    def phrases(self, text: str) -> list[str] | None:
        """The phrases ``text`` is said in, or None when the pack cannot say it."""
        return self._book.split(text)

    def compose(self, text: str) -> Clip | None:
        """``text`` in the pack's voice, or None when a phrase of it is missing."""
        said = self.phrases(text)
        if not said:
            return None
        word_gap = array("h", bytes(2 * int(self.rate * WORD_GAP_SECONDS)))
        comma_gap = array("h", bytes(2 * int(self.rate * COMMA_GAP_SECONDS)))
        out = array("h")
        for index, phrase in enumerate(said):
            if phrase == ",":
                out.extend(comma_gap)
                continue
            if index and said[index - 1] != ",":
                out.extend(word_gap)
            out.extend(self.clips[phrase].samples)
        return Clip(out, self.rate)

    def write(self, text: str, path: Path) -> Path | None:
        clip = self.compose(text)
        if clip is None:
            return None
        partial = path.with_suffix(".part")
        write_wav(partial, clip.samples, clip.rate)
        return partial.replace(path)


class PackClips:
    """Sentences in a pack's voice, rendered once and kept in ``directory``; a sentence the
    pack cannot say comes from ``fallback`` (espeak-ng), logged once, or raises LookupError."""

    def __init__(self, pack: VoicePack, directory: Path, fallback: ClipCache | None = None) -> None:
        self.pack = pack
        self.directory = directory
        self.fallback = fallback
        self.rendered = 0
        self._warned: set[str] = set()

    def path(self, text: str) -> Path:
        if self.pack.phrases(text) is None and self.fallback is not None:
            return self.fallback.path(text)
        key = hashlib.sha256(f"{self.pack.identity}|{text}".encode()).hexdigest()[:20]
        return self.directory / f"pack-{self.pack.identity}-{key}.wav"

    def get(self, text: str) -> Path:
        path = self.path(text)
        if path.exists():
            return path
        if self.pack.phrases(text) is None:
            if text not in self._warned:
                self._warned.add(text)
                log.warning("voice pack %s cannot say %r: %s", self.pack.directory, text,
                            "espeak-ng says it" if self.fallback else "nothing is said")
            if self.fallback is None:
                raise LookupError(f"the voice pack lacks a phrase of {text!r}")
            return self.fallback.get(text)
        self.directory.mkdir(parents=True, exist_ok=True)
        written = self.pack.write(text, path)
        assert written is not None
        self.rendered += 1
        return written
