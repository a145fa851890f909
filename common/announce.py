"""What the hall hears when a ticket is called: Indonesian first, English second."""

from __future__ import annotations

_ID_UNITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
_EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def indonesian_cardinal(n: int) -> str:
    """``12`` → "dua belas", ``21`` → "dua puluh satu", ``100`` → "seratus"."""
    if n < 0:
        return "minus " + indonesian_cardinal(-n)
    if n < 10:
        return _ID_UNITS[n]
    if n == 10:
        return "sepuluh"
    if n == 11:
        return "sebelas"
    if n < 20:
        return f"{_ID_UNITS[n - 10]} belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        return f"{_ID_UNITS[tens]} puluh" + (f" {_ID_UNITS[rest]}" if rest else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "seratus" if hundreds == 1 else f"{_ID_UNITS[hundreds]} ratus"
        return head + (f" {indonesian_cardinal(rest)}" if rest else "")
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = "seribu" if thousands == 1 else f"{indonesian_cardinal(thousands)} ribu"
        return head + (f" {indonesian_cardinal(rest)}" if rest else "")
    raise ValueError("numbers above 999999 are not spoken")


def spell_ticket(number: str, language: str = "id") -> str:
    """``"A-012"`` → "A nol satu dua": the prefix letters, then each digit, as halls say it."""
    digits = _ID_UNITS if language == "id" else _EN_DIGITS
    prefix, _, sequence = number.partition("-")
    words = [" ".join(prefix)] if prefix else []
    words.extend(digits[int(d)] for d in sequence if d.isdigit())
    return " ".join(words)


def call_text(number: str, counter_number: int) -> tuple[str, str]:
    """The Indonesian and English call for a ticket at a counter."""
    spoken_id = (
        f"Nomor antrean {spell_ticket(number, 'id')}, "
        f"silakan menuju loket {indonesian_cardinal(counter_number)}"
    )
    spoken_en = (
        f"Ticket number {spell_ticket(number, 'en')}, please proceed to counter {counter_number}"
    )
    return spoken_id, spoken_en


def folded_call_text(calls: list[tuple[str, int]]) -> str:
    """Several calls of one agency in one sentence: "Nomor antrean A nol nol satu ke loket satu,
    dan A nol nol dua ke loket dua"."""
    parts = [f"{spell_ticket(number, 'id')} ke loket {indonesian_cardinal(counter)}"
             for number, counter in calls]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f", dan {parts[-1]}"
    return f"Nomor antrean {joined}"


def skipped_calls_notice(count: int) -> str:
    """What the hall hears for calls too many to say in time: they stand on the screen."""
    what = "Satu nomor lain" if count == 1 else f"{indonesian_cardinal(count).capitalize()} nomor lain"
    return f"{what} juga dipanggil, silakan lihat layar"
