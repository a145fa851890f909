"""Dates, times and amounts as Indonesians write them (English second), for every screen."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")


def day_name(moment: datetime, language: str) -> str:
    """``"Senin"`` … ``"Minggu"``, or the English name."""
    return moment.strftime("%A") if language == "en" else DAYS_ID[moment.weekday()]


def long_date(moment: datetime, language: str) -> str:
    """``"Senin, 3 Maret 2025"``, or ``"Monday, 03 March 2025"`` in English."""
    if language == "en":
        return moment.strftime("%A, %d %B %Y")
    return f"{DAYS_ID[moment.weekday()]}, {moment.day} {MONTHS_ID[moment.month - 1]} {moment.year}"


def day_month_year(day: date, language: str = "id") -> str:
    """``"2 Maret 2026"``, or ``"2 March 2026"`` in English."""
    if language == "en":
        return f"{day.day} {day.strftime('%B')} {day.year}"
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    """``"02/03/2026"``: day, month, year, as the hall writes a date (not the browser's)."""
    return f"{day:%d/%m/%Y}"


_SHORT_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def parse_day(text: str) -> date:
    """``"02/03/2026"`` (day first, as written here) or ISO ``"2026-03-02"`` → a date; raises
    ValueError for anything else."""
    match = _SHORT_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    return date.fromisoformat(text.strip())


def clock_time(moment: datetime) -> str:
    """``"08.05"``: hours and minutes with the dot Indonesian usage puts between them."""
    return f"{moment:%H.%M}"


def rupiah(amount: int) -> str:
    """``30000`` → "Rp30.000" as Indonesians write it."""
    return "Rp" + f"{amount:,}".replace(",", ".")


FEE_WORDS: dict[str, tuple[str, str]] = {
    "free": ("Gratis", "Free"),
    "as_regulated": ("Sesuai ketentuan", "As regulated"),
}


@dataclass(frozen=True)
class Fee:
    """A service's charge as every screen says it: a few words, and the note that explains it."""

    headline: str  # "Gratis", "Rp30.000", or "Sesuai ketentuan" when the note says it all
    note: str = ""  # the hall's own words (legal basis, how it varies), in the reader's language

    def __str__(self) -> str:
        return f"{self.headline} ({self.note})" if self.note else self.headline


def fee(amount: int, note: str, note_en: str, language: str) -> Fee:
    """The one way a fee is put into words, on the kiosk as in the catalogue.

    A charge above zero is the amount; zero without a note is free; zero with a note is a
    charge that depends on the case (a tax, a bill), which the note explains: never "free".
    The English note is used in English when the hall wrote one."""
    english = language == "en"
    words = (note_en or note) if english else note
    if amount > 0:
        headline = rupiah(amount)
    else:
        headline = FEE_WORDS["as_regulated" if note else "free"][1 if english else 0]
    return Fee(headline, words.strip())
