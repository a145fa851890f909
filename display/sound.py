"""Choosing the announcer: the hall's speakers through ``hardware.audio``, or the log.

The speakers get each call as the board hands it over, once, in order; ``hardware.audio`` plays
the chime, then the spoken call, as ``common.announce_queue`` decides: within a bounded time
(``--announce-within``), folded by agency when several wait, English (``--english``) and a
recall's repetition only when the queue is short. The sentences are the hall server's audio
(its voice pack, or its espeak-ng), so this display sounds exactly like a browser display;
this computer's espeak-ng says what the server cannot give (or everything, ``--local-voice``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from common.announce_queue import WITHIN_SECONDS
from common.protocol.models import SiteOut
from display.announcer import Announcer, LogAnnouncer, wording_of
from display.board import Announcement

if TYPE_CHECKING:
    from hardware.audio.speech import Clips

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

    def use_site(self, site: SiteOut) -> None:
        from hardware.audio.remote import RemoteClips

        self.speaker.use_wording(wording_of(site))
        for clips in self.speaker.caches.values():
            if isinstance(clips, RemoteClips):
                clips.site = site.code

    def close(self) -> None:
        self.speaker.close()


def audio_cache() -> Path:
    return Path(os.environ.get("ANTREAN_DATA_DIR", "antrean-data")) / "audio"


def server_clips(server: str, token: str, languages: Sequence[str], cache_dir: Path
                 ) -> dict[str, Clips]:
    """The hall server's audio for each language, this computer's espeak-ng behind it."""
    from hardware.audio import ClipCache, EspeakVoice
    from hardware.audio.remote import RemoteClips

    clips: dict[str, Clips] = {}
    for language in languages:
        voice = EspeakVoice.find(language)
        fallback = ClipCache(cache_dir / "speech", voice) if voice is not None else None
        clips[language] = RemoteClips(server, token, language, cache_dir / "server", fallback)
    return clips


def make_announcer(*, english: bool = False, quiet: bool = False,
                   cache_dir: Path | None = None, languages: Sequence[str] | None = None,
                   within: float = WITHIN_SECONDS, server: str | None = None,
                   token: str | None = None) -> Announcer:
    """Speakers when the sound card opens; the log (with a warning) when it does not. With a
    ``server`` (and the display's ``token``) the sentences are the server's audio."""
    if quiet:
        return LogAnnouncer(english)
    try:
        from hardware.audio import Announcer as Speaker
        from hardware.audio import MixerPlayer

        chosen = languages or (("id", "en") if english else ("id",))
        folder = cache_dir or audio_cache()
        clips = server_clips(server, token, chosen, folder) if server and token else None
        speaker = Speaker(MixerPlayer(), folder, languages=chosen, within=within,
                          clips=clips)
    except Exception as exc:  # no sound card, no mixer: the screen must still work
        log.warning("no sound (%s): announcements go to the log only", exc)
        return LogAnnouncer(english)
    return SpeakerAnnouncer(speaker)
