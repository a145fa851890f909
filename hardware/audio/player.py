"""Playing clips: pygame's mixer in a hall, anything with the same two methods in a test."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Playback(Protocol):
    def wait(self) -> None: ...


class Player(Protocol):
    def play(self, clip: Path) -> Playback:
        """Start playing ``clip`` and return at once; ``wait()`` on the result blocks to its end."""
        ...


class _MixerPlayback:
    def __init__(self, channel: Any, sound: Any) -> None:
        self._channel = channel
        self._sound = sound  # keep a reference: pygame stops a sound that is garbage-collected

    def wait(self) -> None:
        while self._channel is not None and self._channel.get_busy():
            time.sleep(0.02)


class MixerPlayer:
    """pygame.mixer playback (set ``SDL_AUDIODRIVER=dummy`` to run without a sound card)."""

    def __init__(self, frequency: int = 22050) -> None:
        import pygame

        self._pygame = pygame
        self._lock = threading.Lock()
        if not pygame.mixer.get_init():
            pygame.mixer.init(frequency=frequency, size=-16, channels=1, buffer=1024)
        log.info("audio: pygame mixer %s", pygame.mixer.get_init())

    def play(self, clip: Path) -> _MixerPlayback:
        with self._lock:
            sound = self._pygame.mixer.Sound(str(clip))
            return _MixerPlayback(sound.play(), sound)
