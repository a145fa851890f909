"""Recording a voice pack: a staff member reads the phrases one by one into a microphone.

For each phrase the walk-through shows the words, waits for Enter, then listens: the take starts
when sound begins (up to ``WAIT_SECONDS``), and ends after ``SILENCE_SECONDS`` of quiet (or at
``LONGEST_SECONDS``). A take that is silent, clipped or too quiet is said so at once and asked
for again; a good one is trimmed, written, played back when a player is at hand, and kept or
recorded again as the speaker says.

Where the sound comes from is an :class:`AudioSource`: a command that writes raw 16-bit mono
PCM to its standard output (``sox -d``, the default, or ``arecord``), or a raw PCM file or pipe
(a test feeds it a generated stream; a hall can feed it a recorder's output).
"""

from __future__ import annotations

import logging
import math
import shlex
import subprocess
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from hardware.audio.chime import write_wav
from hardware.audio.voice_pack import Clip, check_pack, clip_name, clip_problem, sound_span

log = logging.getLogger(__name__)

RATE = 22050
WAIT_SECONDS = 8.0
SILENCE_SECONDS = 0.7
LONGEST_SECONDS = 6.0
_START_DBFS = -38.0  # a take begins when a 20 ms window is this loud
_PRE_ROLL = 0.15  # seconds kept before the sound began (the soft start of a word)


class AudioStream(Protocol):
    def read(self, size: int, /) -> bytes:
        """Up to ``size`` bytes of 16-bit mono PCM; b"" when the stream has ended."""
        ...

    def close(self) -> None: ...


class AudioSource(Protocol):
    rate: int

    def open(self) -> AudioStream:
        """Start listening (a new take)."""
        ...


@dataclass
class CommandSource:
    """A program that writes raw 16-bit mono PCM at ``rate`` to standard output, started
    afresh for each take (so nothing said before Enter is heard)."""

    argv: Sequence[str]
    rate: int = RATE

    @classmethod
    def sox(cls, rate: int = RATE) -> CommandSource:
        return cls(["sox", "-q", "-d", "-t", "raw", "-r", str(rate), "-e", "signed", "-b", "16",
                    "-c", "1", "-"], rate)

    @classmethod
    def arecord(cls, rate: int = RATE) -> CommandSource:
        return cls(["arecord", "-q", "-f", "S16_LE", "-r", str(rate), "-c", "1", "-t", "raw"], rate)

    def open(self) -> AudioStream:
        process = subprocess.Popen(list(self.argv), stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL)
        assert process.stdout is not None
        return _ProcessStream(process)


class _ProcessStream:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._out: BinaryIO = process.stdout  # type: ignore[assignment]

    def read(self, size: int, /) -> bytes:
        return self._out.read(size)

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._out.close()


@dataclass
class RawStreamSource:
    """One continuous stream of raw 16-bit mono PCM (a file or a named pipe) that the takes
    read in turn, each where the last one stopped."""

    path: Path
    rate: int = RATE
    _stream: BinaryIO | None = field(default=None, init=False, repr=False)

    def open(self) -> AudioStream:
        if self._stream is None:
            self._stream = open(self.path, "rb")  # noqa: SIM115 (kept open across takes)
        return _Shared(self._stream)


class _Shared:
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def read(self, size: int, /) -> bytes:
        return self._stream.read(size)

    def close(self) -> None:
        pass  # the next take goes on reading


def source_of(spec: str, rate: int = RATE) -> AudioSource:
    """``sox`` (the default microphone), ``arecord``, ``raw:PATH`` or ``command:CMD``."""
    if spec == "sox":
        return CommandSource.sox(rate)
    if spec == "arecord":
        return CommandSource.arecord(rate)
    kind, _, rest = spec.partition(":")
    if kind == "raw" and rest:
        return RawStreamSource(Path(rest), rate)
    if kind == "command" and rest:
        return CommandSource(shlex.split(rest), rate)
    raise ValueError(f"unknown audio source {spec!r}: use sox, arecord, raw:PATH or command:CMD")


def _rms_db(chunk: array[int]) -> float:
    if not chunk:
        return -math.inf
    mean = sum(v * v for v in chunk) / len(chunk)
    return 10 * math.log10(mean / 32767 ** 2) if mean else -math.inf


def record_take(source: AudioSource, *, wait: float = WAIT_SECONDS,
                silence: float = SILENCE_SECONDS, longest: float = LONGEST_SECONDS
                ) -> Clip | None:
    """One take: from when sound begins until ``silence`` seconds of quiet; None when no sound
    came within ``wait`` seconds (or the stream ended first)."""
    rate = source.rate
    window = rate // 50
    stream = source.open()
    try:
        before: list[array[int]] = []
        heard: array[int] | None = None
        quiet = 0.0
        elapsed = 0.0
        while True:
            data = stream.read(2 * window)
            if len(data) < 2:
                break
            chunk = array("h")
            chunk.frombytes(data[: len(data) // 2 * 2])
            elapsed += len(chunk) / rate
            loud = _rms_db(chunk) > _START_DBFS
            if heard is None:
                before.append(chunk)
                del before[:-max(1, int(_PRE_ROLL * 50))]
                if loud:
                    heard = array("h")
                    for part in before:
                        heard.extend(part)
                elif elapsed > wait:
                    return None
                continue
            heard.extend(chunk)
            quiet = 0.0 if loud else quiet + len(chunk) / rate
            if quiet >= silence or len(heard) / rate >= longest:
                break
        return None if heard is None else Clip(heard, rate)
    finally:
        stream.close()


@dataclass
class Outcome:
    recorded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    stopped: bool = False


def walk_through(directory: Path, needed: Sequence[str], source: AudioSource, *,
                 ask: Callable[[str], str], say: Callable[[str], None],
                 play: Callable[[Path], None] | None = None, redo: bool = False,
                 attempts: int = 3) -> Outcome:
    """Record each phrase of ``needed`` that the pack lacks (every one with ``redo``).

    ``ask`` shows a prompt and returns the answer ("" for Enter); ``say`` shows a line. At a
    phrase: Enter records, ``s`` skips it, ``q`` stops; after a take: Enter keeps it, ``r``
    records it again."""
    directory.mkdir(parents=True, exist_ok=True)
    outcome = Outcome()
    wanted = list(needed) if redo else [p.phrase for p in check_pack(directory, needed)]
    if not wanted:
        say(f"The pack in {directory} has every phrase ({len(needed)}); nothing to record.")
        return outcome
    say(f"{len(wanted)} phrase(s) to record into {directory}. At each: press Enter, then say "
        "the words clearly, once, as in a call; s skips a phrase, q stops.")
    for number, phrase in enumerate(wanted, 1):
        answer = ask(f"[{number}/{len(wanted)}] Say: «{phrase}»  (Enter to record) ").strip()
        if answer.lower() == "q":
            outcome.stopped = True
            break
        if answer.lower() == "s":
            outcome.skipped.append(phrase)
            continue
        if _record_phrase(directory, phrase, source, ask, say, play, attempts):
            outcome.recorded.append(phrase)
        else:
            outcome.skipped.append(phrase)
    say(f"Recorded {len(outcome.recorded)}, skipped {len(outcome.skipped)}."
        + (" Stopped before the end." if outcome.stopped else ""))
    return outcome


def _record_phrase(directory: Path, phrase: str, source: AudioSource,
                   ask: Callable[[str], str], say: Callable[[str], None],
                   play: Callable[[Path], None] | None, attempts: int) -> bool:
    for attempt in range(1, attempts + 1):
        say("  listening…")
        take = record_take(source)
        problem = "no sound heard: check the microphone" if take is None else clip_problem(take)
        if problem is not None or take is None:
            say(f"  {problem}" + (" — again." if attempt < attempts else ""))
            if attempt < attempts:
                ask("  Enter to record again ")
            continue
        begin, end = sound_span(take.samples, take.rate)
        path = write_wav(directory / clip_name(phrase), take.samples, take.rate)
        say(f"  {(end - begin) / take.rate:.2f} s of sound → {path.name}")
        if play is not None:
            play(path)
        if ask("  Keep it? (Enter keeps, r records again) ").strip().lower() != "r":
            return True
    say(f"  «{phrase}» not recorded.")
    return False
