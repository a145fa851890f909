"""Choosing the announcer: the hall's speakers through ``hardware.audio``, or the log.

The speakers get each call as the board hands it over, once, in order; ``hardware.audio`` plays
the chime, then the spoken call (Indonesian, and English with ``--english``), a recall twice,
one call after the other, none cut off.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

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
                              recall=announcement.recall)

    def close(self) -> None:
        self.speaker.close()


def audio_cache() -> Path:
    return Path(os.environ.get("ANTREAN_DATA_DIR", "antrean-data")) / "audio"


def make_announcer(*, english: bool = False, quiet: bool = False,
                   cache_dir: Path | None = None, languages: Sequence[str] | None = None
                   ) -> Announcer:
    """Speakers when the sound card opens; the log (with a warning) when it does not."""
    if quiet:
        return LogAnnouncer(english)
    try:
        from hardware.audio import Announcer as Speaker
        from hardware.audio import MixerPlayer

        speaker = Speaker(MixerPlayer(), cache_dir or audio_cache(),
                          languages=languages or (("id", "en") if english else ("id",)))
    except Exception as exc:  # no sound card, no mixer: the screen must still work
        log.warning("no sound (%s): announcements go to the log only", exc)
        return LogAnnouncer(english)
    return SpeakerAnnouncer(speaker)
