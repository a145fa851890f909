"""Choosing the announcer: the hall's speakers through ``hardware.audio``, or the log.

The speakers get each call as the board hands it over, once, in order; ``hardware.audio`` plays
the chime, then the spoken call, as ``common.announce_queue`` decides: within a bounded time
(``--announce-within``), folded by agency when several wait, English (``--english``) and a
recall's repetition only when the queue is short.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from common.announce_queue import WITHIN_SECONDS
from display.announcer import Announcer, LogAnnouncer
from display.board import Announcement

log = logging.getLogger(__name__)


class SpeakerAnnouncer:
    """Adapts the board's announcements to ``hardware.audio``'s call queue."""

    def __init__(self, speaker: object) -> None:
        from hardware.audio import Announcer as Speaker

        assert isinstance(speaker, Speaker)
        self.speaker = speaker

    def announce(self, announcement: Announcement) -> None:
        log.info("announce #%s: %s", announcement.seq, announcement.text)
        self.speaker.announce(announcement.number, announcement.counter_number,
                              recall=announcement.recall, ticket_id=announcement.ticket_id,
                              agency=announcement.agency)

    def close(self) -> None:
        self.speaker.close()


def audio_cache() -> Path:
    return Path(os.environ.get("ANTREAN_DATA_DIR", "antrean-data")) / "audio"


def make_announcer(*, english: bool = False, quiet: bool = False,
                   cache_dir: Path | None = None, languages: Sequence[str] | None = None,
                   within: float = WITHIN_SECONDS) -> Announcer:
    """Speakers when the sound card opens; the log (with a warning) when it does not."""
    if quiet:
        return LogAnnouncer(english)
    try:
        from hardware.audio import Announcer as Speaker
        from hardware.audio import MixerPlayer

        speaker = Speaker(MixerPlayer(), cache_dir or audio_cache(),
                          languages=languages or (("id", "en") if english else ("id",)),
                          within=within)
    except Exception as exc:  # no sound card, no mixer: the screen must still work
        log.warning("no sound (%s): announcements go to the log only", exc)
        return LogAnnouncer(english)
    return SpeakerAnnouncer(speaker)
