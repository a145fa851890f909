"""Spoken calls rendered ahead of time with espeak-ng and kept in a cache directory."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hardware.audio.loudness import normalise_wav

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EspeakVoice:
    """One espeak-ng voice; ``render`` writes a WAV file of a sentence."""

    executable: str
    voice: str
    speed: int = 140  # words per minute: slower than the default 175, for a large hall
    pitch: int = 45

    @classmethod
    def find(cls, language: str, executable: str = "espeak-ng") -> EspeakVoice | None:
        """The voice for ``language`` ("id", "en"), or None when espeak-ng or the voice is absent."""
        path = shutil.which(executable)
        if path is None:
            return None
        try:
            listing = subprocess.run(
                [path, f"--voices={language}"], capture_output=True, text=True, timeout=10,
                check=True,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("espeak-ng cannot list voices: %s", exc)
            return None
        for line in listing.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 2 and fields[1] == language:
                return cls(path, language)
        return None

    def key(self, text: str) -> str:
        identity = f"espeak-ng|{self.voice}|{self.speed}|{self.pitch}|{text}"
        return hashlib.sha256(identity.encode()).hexdigest()[:20]

    def render(self, text: str, out: Path) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_suffix(".part")
        subprocess.run(
            [self.executable, "-v", self.voice, "-s", str(self.speed), "-p", str(self.pitch),
             "-w", str(partial), text],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        partial.replace(out)
        return out


class ClipCache:
    """Rendered sentences by content: a call already heard (or prepared) plays at once."""

    def __init__(self, directory: Path, voice: EspeakVoice) -> None:
        self.directory = directory
        self.voice = voice
        self.rendered = 0

    def path(self, text: str) -> Path:
        # "-l": levelled to the chime's loudness (clips cached before that are not reused)
        return self.directory / f"{self.voice.voice}-{self.voice.key(text)}-l.wav"

    def get(self, text: str) -> Path:
        path = self.path(text)
        if not path.exists():
            normalise_wav(self.voice.render(text, path.with_suffix(".raw.wav"))).replace(path)
            self.rendered += 1
            log.debug("rendered %r to %s", text, path)
        return path
