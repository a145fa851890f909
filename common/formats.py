"""Dates, times and amounts as Indonesians write them (English second), for every screen."""

from __future__ import annotations

from datetime import datetime

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


def clock_time(moment: datetime) -> str:
    """``"08.05"``: hours and minutes with the dot Indonesian usage puts between them."""
    return f"{moment:%H.%M}"


def rupiah(amount: int) -> str:
    """``30000`` → "Rp30.000" as Indonesians write it."""
    return "Rp" + f"{amount:,}".replace(",", ".")
