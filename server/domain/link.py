"""How fresh a hall's records are at its centre, and whether its queue may be shown as live.

A site server speaks to its centre at least every few seconds while a link exists, even with
nothing to send. Its queue is live at the centre only while it is heard from within
``live_within`` seconds *and* has nothing left to send: the figures of a hall that is silent,
or still catching up on hours spent offline, are history, and are said to be so, never shown
as the queue of now.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Freshness(enum.Enum):
    NEVER = "never"  # the centre has not heard from the site yet
    LIVE = "live"  # heard just now, nothing left to send
    CATCHING_UP = "catching_up"  # heard just now, still sending what it held
    SILENT = "silent"  # not heard for longer than live_within


@dataclass(frozen=True)
class LinkView:
    freshness: Freshness
    heard_seconds: float | None  # since the centre last heard from the site
    backlog: int  # changes the site said it still holds

    @property
    def live(self) -> bool:
        return self.freshness is Freshness.LIVE


def link_view(heard_at: datetime | None, backlog: int, now: datetime,
              live_within: float) -> LinkView:
    if heard_at is None:
        return LinkView(Freshness.NEVER, None, backlog)
    seconds = max(0.0, (now - heard_at).total_seconds())
    if seconds > live_within:
        return LinkView(Freshness.SILENT, seconds, backlog)
    return LinkView(Freshness.CATCHING_UP if backlog else Freshness.LIVE, seconds, backlog)


_UNITS = ((86400, "hari", "day"), (3600, "jam", "h"), (60, "menit", "min"), (1, "detik", "s"))
JUST_NOW = 10.0  # seconds


def ago(seconds: float | None, lang: str = "id") -> str:
    """'3 jam lalu' / '3 h ago': the largest whole unit, rounded down; under ten seconds,
    'baru saja' / 'just now'; never heard: 'belum pernah' / 'never'."""
    if seconds is None:
        return "never" if lang == "en" else "belum pernah"
    for size, word_id, word_en in _UNITS:
        if seconds >= max(size, JUST_NOW):
            n = int(seconds // size)
            if lang == "en":
                unit = f"{word_en}s" if word_en == "day" and n != 1 else word_en
                return f"{n} {unit} ago"
            return f"{n} {word_id} lalu"
    return "just now" if lang == "en" else "baru saja"
