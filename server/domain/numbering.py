"""Ticket numbers and the service day they belong to."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

NUMBER_DIGITS = 3  # at least; the store formats numbers in SQL too (services.new_tickets)


def format_number(prefix: str, sequence: int) -> str:
    """``("A", 12)`` → ``"A-012"``; numbers past 999 simply grow (``"A-1000"``)."""
    if sequence < 1:
        raise ValueError("ticket sequence starts at 1")
    return f"{prefix}-{sequence:0{NUMBER_DIGITS}d}"


def service_day(now_utc: datetime, timezone: str) -> date:
    """The local date in the site's zone: numbering restarts when it changes."""
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    return now_utc.astimezone(ZoneInfo(timezone)).date()
