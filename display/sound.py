"""Choosing the announcer: the hall's speakers when the audio package is installed, else a log."""

from __future__ import annotations

import logging

from display.announcer import Announcer, LogAnnouncer

log = logging.getLogger(__name__)


def make_announcer(*, english: bool = False, quiet: bool = False) -> Announcer:
    if quiet:
        return LogAnnouncer(english)
    log.warning("no audio backend yet: announcements go to the log")
    return LogAnnouncer(english)
