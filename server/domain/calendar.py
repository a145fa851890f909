"""Opening hours: is a service open at a given moment, and when does it open next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.config.hall import WEEKDAYS, parse_hours

Windows = tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class OpeningHours:
    """The week of a site, narrowed by a service's own hours where it has them."""

    timezone: str
    weekly: Mapping[str, Windows]
    holidays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False

    @classmethod
    def build(
        cls,
        timezone: str,
        site_hours: Mapping[str, str],
        holidays: Sequence[date] = (),
        always_open: bool = False,
        service_hours: str | None = None,
    ) -> OpeningHours:
        weekly: dict[str, Windows] = {}
        narrowed = parse_hours(service_hours) if service_hours is not None else None
        for day in WEEKDAYS:
            windows = parse_hours(site_hours.get(day, ""))
            if narrowed is not None:
                windows = _intersect(windows, narrowed)
            weekly[day] = windows
        return cls(timezone, weekly, frozenset(holidays), always_open)

    def is_open(self, now_utc: datetime) -> bool:
        if self.always_open:
            return True
        local = now_utc.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        moment = local.time()
        return any(start <= moment < end for start, end in self.weekly[WEEKDAYS[local.weekday()]])

    def next_opening(self, now_utc: datetime, horizon_days: int = 14) -> datetime | None:
        """The next moment (UTC) the service opens after ``now_utc``; None if not within the horizon."""
        if self.always_open:
            return now_utc
        zone = ZoneInfo(self.timezone)
        local = now_utc.astimezone(zone)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _ in self.weekly[WEEKDAYS[day.weekday()]]:
                candidate = datetime.combine(day, start, zone)
                if candidate > local:
                    return candidate.astimezone(now_utc.tzinfo)
        return None


def _intersect(a: Windows, b: Windows) -> Windows:
    result = []
    for s1, e1 in a:
        for s2, e2 in b:
            start, end = max(s1, s2), min(e1, e2)
            if start < end:
                result.append((start, end))
    return tuple(sorted(result))
