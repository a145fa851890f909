"""Sentences rendered by the hall's server (``GET /api/v1/sites/{site}/audio``), so a pygame display
plays exactly what a browser display plays: the hall's voice pack, or the server's espeak-ng.

Fetched once per sentence and kept for the life of the process (a display started again fetches
anew, so a voice pack the hall has re-recorded is heard). When the server cannot give a sentence
(unreachable, a server without the endpoint, a word it will not say) the ``fallback`` renders it
here, and the hall still hears the call.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from pathlib import Path

import httpx

from hardware.audio.speech import ClipCache

log = logging.getLogger(__name__)


class RemoteClips:
    def __init__(self, base_url: str, token: str, language: str, directory: Path,
                 fallback: ClipCache | None = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.language = language
        self.directory = directory / language
        self.fallback = fallback
        self.timeout = timeout
        self.site: str | None = None  # learned from the first snapshot
        self.fetched = 0
        self.fell_back = 0
        self._lock = threading.Lock()
        shutil.rmtree(self.directory, ignore_errors=True)

    def path(self, text: str) -> Path:
        key = hashlib.sha256(f"{self.site}|{text}".encode()).hexdigest()[:24]
        own = self.directory / f"{key}.wav"
        if own.exists() or self.fallback is None:
            return own
        fallback = self.fallback.path(text)
        return fallback if fallback.exists() else own

    def get(self, text: str) -> Path:
        key = hashlib.sha256(f"{self.site}|{text}".encode()).hexdigest()[:24]
        path = self.directory / f"{key}.wav"
        if path.exists():
            return path
        if self.site is not None:
            try:
                answer = httpx.get(f"{self.base_url}/api/v1/sites/{self.site}/audio",
                                   params={"language": self.language, "text": text},
                                   headers={"Authorization": f"Bearer {self.token}"},
                                   timeout=self.timeout)
            except httpx.HTTPError as exc:
                log.warning("audio: the server cannot be asked for %r (%s)", text, exc)
            else:
                if answer.status_code == 200 and answer.content[:4] == b"RIFF":
                    with self._lock:
                        self.directory.mkdir(parents=True, exist_ok=True)
                        partial = path.with_suffix(".part")
                        partial.write_bytes(answer.content)
                        partial.replace(path)
                    self.fetched += 1
                    return path
                log.warning("audio: the server did not give %r: %s %s", text,
                            answer.status_code, answer.text[:120])
        if self.fallback is None:
            raise LookupError(f"no audio for {text!r}: the server did not give it")
        self.fell_back += 1
        return self.fallback.get(text)
