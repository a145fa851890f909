"""Calls spoken in the hall: a chime, then "Nomor antrean A nol satu dua, silakan menuju loket
tiga" (and the English sentence when configured and the queue is short), one utterance after the
other, never cut off. What is said next, and in which words, is ``common.announce_queue``'s
policy: every call said within a bounded time or summed up in a notice, folded by agency, a
recall replacing the call it repeats."""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from common.announce import call_text
from common.announce_queue import WITHIN_SECONDS, AnnouncementQueue, Call, Counts, Utterance, spoken_seconds
from hardware.audio.chime import chime_wav
from hardware.audio.loudness import wav_seconds
from hardware.audio.player import Player
from hardware.audio.speech import ClipCache, EspeakVoice

log = logging.getLogger(__name__)

VoiceFinder = Callable[[str], EspeakVoice | None]


class Announcer:
    """The hall's speakers, fed by one worker thread that follows the announcement queue.

    ``announce`` returns at once. Without a voice for a language (espeak-ng missing, or no
    voice) that language is skipped; with no voice at all, each utterance is the chime alone,
    and the log says so once. ``clock`` is the queue's clock (a test's clock may be moved by
    its player as clips "play").
    """

    def __init__(
        self,
        player: Player,
        cache_dir: Path,
        *,
        languages: Sequence[str] = ("id",),
        voice_finder: VoiceFinder = EspeakVoice.find,
        within: float = WITHIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._player = player
        self._clock = clock
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
        self.queue = AnnouncementQueue(languages=tuple(self.caches) or ("id",), within=within,
                                       estimate=self._estimate,
                                       chime_seconds=wav_seconds(self.chime))
        self.heard: list[Utterance] = []  # the last utterances played, for tests and the log
        self._changed = threading.Condition()
        self._playing = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    @property
    def speaks(self) -> bool:
        return bool(self.caches)

    @property
    def counts(self) -> Counts:
        return self.queue.counts

    def sentences(self, number: str, counter_number: int) -> dict[str, str]:
        indonesian, english = call_text(number, counter_number)
        texts = {"id": indonesian, "en": english}
        return {language: texts[language] for language in self.caches if language in texts}

    def prepare(self, number: str, counter_number: int) -> list[Path]:
        """Render the clips of a call now (e.g. for the next tickets) so it plays at once later."""
        return [clip for language, text in self.sentences(number, counter_number).items()
                if (clip := self._clip(language, text)) is not None]

    def announce(self, number: str, counter_number: int, *, recall: bool = False,
                 ticket_id: int | None = None, agency: str = "") -> None:
        """Queue a call; a ticket without an id is known by its number."""
        key = ticket_id if ticket_id is not None else zlib.crc32(number.encode())
        with self._changed:
            self.queue.add(Call(key, number, counter_number, agency, self._clock(), recall))
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 600.0) -> bool:
        """Block until every queued call has been played (or summed up)."""
        with self._changed:
            return self._changed.wait_for(lambda: not self.queue.pending and not self._playing,
                                          timeout)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join(timeout=30)

    # -- the worker --------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._closed or bool(self.queue.pending))
                if self._closed:
                    return
                utterance = self.queue.next(self._clock())
                self._playing = utterance is not None
            try:
                if utterance is not None:
                    self._play(utterance)
            except Exception:  # the hall keeps hearing later calls whatever happened
                log.exception("audio: playing %s failed", utterance)
            finally:
                with self._changed:
                    self._playing = False
                    self._changed.notify_all()

    def _play(self, utterance: Utterance) -> None:
        if utterance.skipped:
            log.warning("audio: %d calls too many to say in time (%s): said as a notice; they "
                        "stand on the screen", len(utterance.skipped),
                        ", ".join(f"{c.number} → {c.counter_number}" for c in utterance.skipped))
        else:
            log.info("audio: %s", "; ".join(f"{c.number} → counter {c.counter_number}"
                                            for c in utterance.calls))
        self.heard.append(utterance)
        del self.heard[:-200]
        chime = self._player.play(self.chime) if utterance.chime else None
        clips = [clip for language, text in utterance.sentences
                 if (clip := self._clip(language, text)) is not None]  # while the chime sounds
        if chime is not None:
            chime.wait()
        for clip in clips:
            self._player.play(clip).wait()

    def _clip(self, language: str, text: str) -> Path | None:
        cache = self.caches.get(language)
        if cache is None:
            return None
        try:
            return cache.get(text)
        except Exception as exc:  # a voice that fails must not silence the chime
            log.error("audio: rendering %r failed: %s", text, exc)
            return None

    def _estimate(self, language: str, text: str) -> float:
        """How long a sentence takes: its clip's length once rendered, else the usual rate."""
        cache = self.caches.get(language)
        if cache is not None:
            path = cache.path(text)
            if path.exists():
                try:
                    return wav_seconds(path)
                except Exception:  # a clip that is not a WAV (a test's voice): the usual rate
                    pass
        return spoken_seconds(language, text)
