"""What the hall hears when a ticket is called: Indonesian first, English second.

A hall chooses how ticket numbers are read (:class:`Wording`): digit by digit ("A nol satu
dua", the default) or as a number ("A dua belas"), and whether the agency is named after the
counter. The words are few, and :func:`phrases` lists them: a voice pack of recorded clips
(``hardware.audio.voice_pack``) is that list, and a sentence is said from it phrase by phrase.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Numbers = Literal["digits", "words"]

_ID_UNITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
_EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_EN_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
             "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


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


def english_cardinal(n: int) -> str:
    """``12`` → "twelve", ``345`` → "three hundred forty-five"."""
    if not 0 <= n < 1_000_000:
        raise ValueError("only 0 to 999999 are spoken")
    if n < 10:
        return _EN_DIGITS[n]
    if n < 20:
        return _EN_TEENS[n - 10]
    if n < 100:
        tens, rest = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_DIGITS[rest]}" if rest else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_EN_DIGITS[hundreds]} hundred" + (f" {english_cardinal(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{english_cardinal(thousands)} thousand" + (f" {english_cardinal(rest)}" if rest else "")


@dataclass(frozen=True)
class Wording:
    """How a hall's calls are worded.

    ``numbers``: "digits" reads A-012 as "A nol satu dua", "words" as "A dua belas".
    ``agencies``: agency code → its spoken name ("Samsat", "Dukcapil"), said after the counter
    ("…silakan menuju loket tiga, Samsat") in both languages; an agency not listed is not named.
    """

    numbers: Numbers = "digits"
    agencies: Mapping[str, str] = field(default_factory=dict)

    def spell(self, number: str, language: str = "id") -> str:
        """``"A-012"`` → "A nol satu dua" (digits) or "A dua belas" (words)."""
        prefix, _, sequence = number.partition("-")
        words = [" ".join(prefix)] if prefix else []
        digits = "".join(d for d in sequence if d.isdigit())
        if self.numbers == "words" and digits:
            value = int(digits)
            words.append(indonesian_cardinal(value) if language == "id" else english_cardinal(value))
        else:
            units = _ID_UNITS if language == "id" else _EN_DIGITS
            words.extend(units[int(d)] for d in digits)
        return " ".join(words)

    def _agency(self, agency: str) -> str:
        name = self.agencies.get(agency)
        return f", {name}" if name else ""

    def call(self, number: str, counter_number: int, agency: str = "") -> tuple[str, str]:
        """The Indonesian and English call for a ticket at a counter."""
        spoken_id = (f"Nomor antrean {self.spell(number, 'id')}, "
                     f"silakan menuju loket {indonesian_cardinal(counter_number)}"
                     f"{self._agency(agency)}")
        spoken_en = (f"Ticket number {self.spell(number, 'en')}, please proceed to counter "
                     f"{counter_number}{self._agency(agency)}")
        return spoken_id, spoken_en

    def folded(self, calls: Sequence[tuple[str, int]], agency: str = "") -> str:
        """Several calls of one agency in one sentence: "Nomor antrean A nol nol satu ke loket
        satu, dan A nol nol dua ke loket dua"."""
        parts = [f"{self.spell(number, 'id')} ke loket {indonesian_cardinal(counter)}"
                 for number, counter in calls]
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f", dan {parts[-1]}"
        return f"Nomor antrean {joined}{self._agency(agency)}"

    def notice(self, count: int) -> str:
        """What the hall hears for calls too many to say in time: they stand on the screen."""
        what = "Satu nomor lain" if count == 1 else \
            f"{indonesian_cardinal(count).capitalize()} nomor lain"
        return f"{what} juga dipanggil, silakan lihat layar"


PLAIN = Wording()


def spell_ticket(number: str, language: str = "id") -> str:
    """``"A-012"`` → "A nol satu dua": the prefix letters, then each digit, as halls say it."""
    return PLAIN.spell(number, language)


def call_text(number: str, counter_number: int) -> tuple[str, str]:
    """The Indonesian and English call for a ticket at a counter."""
    return PLAIN.call(number, counter_number)


def folded_call_text(calls: list[tuple[str, int]]) -> str:
    """Several calls of one agency in one sentence, read digit by digit."""
    return PLAIN.folded(calls)


def skipped_calls_notice(count: int) -> str:
    """What the hall hears for calls too many to say in time: they stand on the screen."""
    return PLAIN.notice(count)


# ---------------------------------------------------------------- the words, for voice packs

#: The Indonesian phrases every announcement is made of, besides the letters of the ticket
#: prefixes and the agencies' names. Each is one clip in a voice pack.
FIXED_PHRASES = ("nomor antrean", "silakan menuju", "loket", "ke", "dan",
                 "nomor lain juga dipanggil", "silakan lihat layar")
NUMBER_WORDS = (*_ID_UNITS, "sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus")
LARGE_NUMBER_WORDS = ("seribu", "ribu")  # counters and tickets past 999 only
LETTERS = tuple("abcdefghijklmnopqrstuvwxyz")


def phrases(letters: Sequence[str] = LETTERS, agency_names: Sequence[str] = (),
            large_numbers: bool = False) -> list[str]:
    """The phrases a voice pack needs (lower case): fixed phrases, number words, the letters
    of the hall's prefixes and, when the hall names agencies, their Indonesian names."""
    found = [*FIXED_PHRASES, *NUMBER_WORDS, *(LARGE_NUMBER_WORDS if large_numbers else ()),
             *sorted({letter.lower() for letter in letters})]
    found.extend(name.lower() for name in agency_names if name.lower() not in found)
    return found


_TOKEN = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+|[,.]", re.UNICODE)


class PhraseBook:
    """Known phrases, to split sentences into (longest phrase first)."""

    def __init__(self, known: Sequence[str]) -> None:
        self.known = tuple(known)
        self._table = {tuple(t.lower() for t in _TOKEN.findall(p)): p for p in known}
        self._longest = max((len(k) for k in self._table), default=1)

    def split(self, text: str) -> list[str] | None:
        """``text`` as a list of known phrases and pauses (","), or None when a word is not
        among them. Case and other punctuation do not matter."""
        words = [w.lower() for w in _TOKEN.findall(text)]
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                phrase = self._table.get(tuple(words[i:i + size]))
                if phrase is not None:
                    out.append(phrase)
                    i += size
                    break
            else:
                if words[i] not in (",", "."):
                    return None
                if out and out[-1] != ",":
                    out.append(",")
                i += 1
        while out and out[-1] == ",":
            out.pop()
        return out


def split_phrases(text: str, known: Sequence[str]) -> list[str] | None:
    """``text`` as a list of ``known`` phrases and pauses, or None (see :class:`PhraseBook`)."""
    return PhraseBook(known).split(text)


def english_phrases(letters: Sequence[str] = LETTERS, agency_names: Sequence[str] = ()
                    ) -> list[str]:
    """What the English sentences are made of (counter numbers as digits, up to 9999)."""
    numbers = sorted({word for n in range(1000) for word in english_cardinal(n).split()})
    return ["ticket number", "please proceed to counter", *numbers, "thousand",
            *(str(n) for n in range(1, 10_000)), *(letter.lower() for letter in letters),
            *(name.lower() for name in agency_names)]
