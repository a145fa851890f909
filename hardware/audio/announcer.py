"""Calls spoken in the hall: a chime, then "Nomor antrean A nol satu dua, silakan menuju loket
tiga" (and the English sentence when configured), one call after the other, never cut off."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.announce import call_text
from hardware.audio.chime import chime_wav
from hardware.audio.player import Player
from hardware.audio.speech import ClipCache, EspeakVoice

log = logging.getLogger(__name__)

VoiceFinder = Callable[[str], EspeakVoice | None]


@dataclass(frozen=True)
class Announcement:
    number: str
    counter_number: int
    times: int = 1  # a recall says the call twice


class Announcer:
    """A queue of calls played by one worker thread.

    ``announce`` returns at once; calls made a second apart are both heard in full, in order.
    Without a voice for a language (espeak-ng missing, or no voice) that language is skipped; with
    no voice at all, each call is the chime alone, and the log says so once.
    """

    def __init__(
        self,
        player: Player,
        cache_dir: Path,
        *,
        languages: Sequence[str] = ("id",),
        voice_finder: VoiceFinder = EspeakVoice.find,
    ) -> None:
        self._player = player
        self.chime = chime_wav(cache_dir)
        self.caches: dict[str, ClipCache] = {}
        for language in languages:
            voice = voice_finder(language)
            if voice is None:
                log.warning("audio: no espeak-ng voice for %r; that language is not spoken", language)
            else:
                self.caches[language] = ClipCache(cache_dir / "speech", voice)
        if not self.caches:
            log.warning("audio: no speech voice available: calls will be the chime only")
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    @property
    def speaks(self) -> bool:
        return bool(self.caches)

    def sentences(self, number: str, counter_number: int) -> dict[str, str]:
        indonesian, english = call_text(number, counter_number)
        texts = {"id": indonesian, "en": english}
        return {language: texts[language] for language in self.caches if language in texts}

    def prepare(self, number: str, counter_number: int) -> list[Path]:
        """Render the clips of a call now (e.g. for the next tickets) so it plays at once later."""
        clips = []
        for language, text in self.sentences(number, counter_number).items():
            try:
                clips.append(self.caches[language].get(text))
            except Exception as exc:  # a voice that fails must not silence the chime
                log.error("audio: rendering %r failed: %s", text, exc)
        return clips

    def announce(self, number: str, counter_number: int, *, recall: bool = False) -> None:
        self._queue.put(Announcement(number, counter_number, times=2 if recall else 1))

    def wait_idle(self) -> None:
        """Block until every queued call has been played."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._play(item)
            except Exception:  # the hall keeps hearing later calls whatever happened
                log.exception("audio: playing %s failed", item)
            finally:
                self._queue.task_done()

    def _play(self, item: Announcement) -> None:
        log.info("audio: calling %s to counter %d", item.number, item.counter_number)
        chime = self._player.play(self.chime)
        clips = self.prepare(item.number, item.counter_number)  # while the chime sounds
        chime.wait()
        for _ in range(item.times):
            for clip in clips:
                self._player.play(clip).wait()
