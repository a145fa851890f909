"""Where the display's announcements go: the hall's speakers, or a log.

The display hands every call to an :class:`Announcer` the moment it learns of it; the announcer
owns the order and the timing (a chime, then the spoken call, one after the other, none cut off).
"""

from __future__ import annotations

import logging
from typing import Protocol

from common.announce import Wording
from common.protocol.models import SiteOut
from display.board import Announcement

log = logging.getLogger(__name__)


class Announcer(Protocol):
    def announce(self, announcement: Announcement) -> None:
        """Queue one call to be heard after those already queued; never blocks."""

    def use_site(self, site: SiteOut) -> None:
        """The hall (from a snapshot): its code, and how it words its calls."""

    def close(self) -> None: ...


def wording_of(site: SiteOut) -> Wording:
    return Wording(site.voice.numbers, dict(site.voice.agencies))


class LogAnnouncer:
    """No speakers: write each call to the log (and keep them, for tests)."""

    def __init__(self, english: bool = False) -> None:
        self.english = english
        self.heard: list[Announcement] = []
        self.wording = Wording()

    def announce(self, announcement: Announcement) -> None:
        self.heard.append(announcement)
        del self.heard[:-100]  # bounded: a day of calls must not pile up here
        text = announcement.text + (f" / {announcement.text_en}" if self.english else "")
        log.info("announce #%s%s: %s", announcement.seq, " (recall)" if announcement.recall else "",
                 text)

    def use_site(self, site: SiteOut) -> None:
        self.wording = wording_of(site)

    def close(self) -> None:
        pass
