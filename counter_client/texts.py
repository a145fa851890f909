"""What the counter client says, in Indonesian first and English second."""

from __future__ import annotations

from datetime import timedelta

from common.design import COUNTER_TEXTS, counter_keys

TEXTS = COUNTER_TEXTS  # the hall's one design, shared with the browser counter (/loket)
_KEYS = counter_keys(browser=False)


def say(key: str, language: str) -> str:
    """The text in ``language``, with this window's keys where it names one ("F1")."""
    texts = TEXTS[key]
    return (texts[1] if language == "en" else texts[0]).format_map(_KEYS)


def pick(message: tuple[str, str], language: str) -> str:
    return message[1] if language == "en" else message[0]


def duration(span: timedelta | None) -> str:
    """``12:05`` (minutes:seconds) under an hour, ``1:12:05`` beyond; ``—`` when unknown."""
    if span is None:
        return "—"
    seconds = max(0, int(span.total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes:02d}:{seconds:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"
