"""The contract between a site server and its centre, and of the region's dashboard.

Upward, a site posts batches of its changes (``UplinkBatch``, as gzip-compressed JSON) and the
centre answers how far it now holds them (``UplinkAnswer``). Downward, the site fetches the
newest hall file the centre holds for it (``HallFile``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, model_validator

from common.protocol.models import _Model, _Request
from common.protocol.stats import HallNow, StatsRow

MAX_CHANGES = 20_000

ChangeOut = tuple[int, str, Literal["U", "D"], dict[str, Any]]


class UplinkBatch(_Request):
    """Changes of the site's records after position ``first`` up to ``last``, each
    ``[position, table, op, row]`` (op U: the row as it now stands; D: its key, deleted). Only
    the last change of each row is sent. With no changes it says the site is alive."""

    site: str | None = Field(max_length=40, description="the site's code (none before its "
                                                        "first hall file)")
    revision: str = Field(max_length=40, description="the site's schema revision")
    first: int = Field(ge=0, description="the position the batch continues from: the last "
                                         "one the centre acknowledged, as the site knows it")
    last: int = Field(ge=0, description="the batch covers the site's changes up to here")
    backlog: int = Field(ge=0, description="changes the site holds after this batch")
    clock: AwareDatetime = Field(description="the site's clock when it read the batch")
    hall_version: int = Field(ge=0, description="the hall file version the site runs (0: its "
                                                "own file)")
    hall_problem: str | None = Field(default=None, max_length=2000,
                                     description="why the newest hall file was not applied")
    changes: list[ChangeOut] = Field(default_factory=list, max_length=MAX_CHANGES)

    @model_validator(mode="after")
    def _positions_in_order(self) -> UplinkBatch:
        if self.last < self.first:
            raise ValueError("last is before first")
        previous = self.first
        for position, *_ in self.changes:
            if not previous < position <= self.last:
                raise ValueError(f"change at position {position} is out of order or outside "
                                 f"({self.first}, {self.last}]")
            previous = position
        return self


class UplinkAnswer(_Model):
    acked: int = Field(description="the centre holds every change up to this position")
    duplicate: bool = Field(description="the batch had been applied before (nothing changed)")
    hall_version: int = Field(description="the newest hall file version the centre holds for "
                                          "this site (0: none)")


class HallFile(_Model):
    site: str
    version: int
    text: str = Field(description="the hall's TOML file")
    sha256: str
    published_at: datetime


class UplinkStatus(_Model):
    """A site server's link to its centre, as the site sees it."""

    state: Literal["starting", "offline", "catching_up", "caught_up", "refused"]
    upstream: str
    last_contact_at: datetime | None
    acked: int
    backlog: int = Field(description="changes not yet acknowledged by the centre")
    hall_version: int
    last_error: str | None


Freshness = Literal["never", "live", "catching_up", "silent"]


class RegionLink(_Model):
    """How fresh the centre's records of a hall are."""

    freshness: Freshness = Field(description="live: heard just now with nothing left to send; "
                                             "catching_up: heard, still sending; silent: not "
                                             "heard for a while; never")
    heard_at: datetime | None
    heard_seconds: float | None
    heard_words: str = Field(description="e.g. '3 jam lalu'")
    site_clock: datetime | None = Field(description="the site's own clock when it last spoke: "
                                                    "its figures are as of then")
    backlog: int
    acked: int
    hall_published: int
    hall_applied: int
    hall_problem: str | None


class RegionHall(_Model):
    site: str
    name: str
    link: RegionLink
    now: HallNow | None = Field(description="the queue now; none when the hall is not live "
                                            "(its live queue is not available)")
    totals: StatsRow | None = Field(description="the period's figures from the records held "
                                                "(none before the first records arrive)")


class RegionOut(_Model):
    generated_at: datetime
    date_from: date
    date_to: date
    halls: list[RegionHall]
