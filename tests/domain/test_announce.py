"""What the hall hears: Indonesian numbers, spelled tickets, the call in two languages."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.announce import (
    NUMBER_WORDS,
    Wording,
    call_text,
    english_cardinal,
    indonesian_cardinal,
    phrases,
    spell_ticket,
    split_phrases,
)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (9, "sembilan"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (99, "sembilan puluh sembilan"),
        (100, "seratus"),
        (101, "seratus satu"),
        (110, "seratus sepuluh"),
        (111, "seratus sebelas"),
        (200, "dua ratus"),
        (345, "tiga ratus empat puluh lima"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (1100, "seribu seratus"),
        (1999, "seribu sembilan ratus sembilan puluh sembilan"),
        (2000, "dua ribu"),
        (2021, "dua ribu dua puluh satu"),
        (11_000, "sebelas ribu"),
        (21_500, "dua puluh satu ribu lima ratus"),
        (100_000, "seratus ribu"),
        (101_000, "seratus satu ribu"),
        (999_999, "sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan"),
    ],
)
def test_indonesian_numbers(number: int, words: str) -> None:
    assert indonesian_cardinal(number) == words


def test_a_million_is_not_spoken() -> None:
    with pytest.raises(ValueError):
        indonesian_cardinal(1_000_000)


_UNITS = {"nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
          "delapan": 8, "sembilan": 9}


def _parse_indonesian(text: str) -> int:
    """An independent reader of Indonesian numbers, to check the speaker against."""
    special = {"sepuluh": 10, "sebelas": 11, "seratus": 100}
    scale = {"belas": None, "puluh": 10, "ratus": 100}
    total, group = 0, 0
    words = text.split()
    i = 0
    while i < len(words):
        word = words[i]
        following = words[i + 1] if i + 1 < len(words) else None
        if word == "seribu":
            total += 1000
        elif word == "ribu":
            total, group = total + group * 1000, 0
        elif word in special:
            group += special[word]
        elif following in scale:
            unit = _UNITS[word]
            group += 10 + unit if following == "belas" else unit * scale[following]  # type: ignore[operator]
            i += 1
        else:
            group += _UNITS[word]
        i += 1
    return total + group


@given(st.integers(0, 999_999))
def test_every_number_reads_back(number: int) -> None:
    words = indonesian_cardinal(number)
    assert _parse_indonesian(words) == number
    # one hundred, one thousand are "seratus", "seribu" (but 71 000 is "tujuh puluh satu ribu")
    assert re.search(r"(^|ribu )satu (ratus|ribu)", words) is None
    assert "nol" not in words or number == 0


@pytest.mark.parametrize(
    ("ticket", "language", "spoken"),
    [
        ("A-012", "id", "A nol satu dua"),
        ("A-012", "en", "A zero one two"),
        ("B-100", "id", "B satu nol nol"),
        ("KTP-007", "id", "K T P nol nol tujuh"),
        ("A-1000", "en", "A one zero zero zero"),
    ],
)
def test_tickets_are_spelled_letter_by_letter_and_digit_by_digit(
    ticket: str, language: str, spoken: str
) -> None:
    assert spell_ticket(ticket, language) == spoken


def test_the_call_names_the_ticket_and_the_counter_in_both_languages() -> None:
    indonesian, english = call_text("A-012", 12)
    assert indonesian == "Nomor antrean A nol satu dua, silakan menuju loket dua belas"
    assert english == "Ticket number A zero one two, please proceed to counter 12"


def test_a_high_counter_number_is_said_as_a_number() -> None:
    indonesian, _ = call_text("C-005", 43)
    assert indonesian.endswith("loket empat puluh tiga")


# ---------------------------------------------------------------- the hall's wording

@pytest.mark.parametrize(
    ("ticket", "language", "spoken"),
    [
        ("A-012", "id", "A dua belas"),
        ("A-012", "en", "A twelve"),
        ("B-100", "id", "B seratus"),
        ("KTP-007", "id", "K T P tujuh"),
        ("A-1345", "en", "A one thousand three hundred forty-five"),
    ],
)
def test_a_hall_may_read_numbers_as_words(ticket: str, language: str, spoken: str) -> None:
    assert Wording(numbers="words").spell(ticket, language) == spoken


def test_a_hall_may_name_the_agency_after_the_counter() -> None:
    wording = Wording("words", {"SAMSAT": "Samsat"})
    assert wording.call("P-003", 7, "SAMSAT") == (
        "Nomor antrean P tiga, silakan menuju loket tujuh, Samsat",
        "Ticket number P three, please proceed to counter 7, Samsat")
    assert wording.call("A-001", 1, "DUKCAPIL")[0].endswith("loket satu")  # not listed
    assert wording.folded([("P-001", 7), ("P-002", 8)], "SAMSAT") == (
        "Nomor antrean P satu ke loket tujuh, dan P dua ke loket delapan, Samsat")


@given(st.integers(1, 999_999), st.sampled_from(("digits", "words")), st.integers(1, 999),
       st.sampled_from(("A", "KTP", "Z")))
def test_every_call_is_made_of_the_packs_phrases(sequence: int, numbers: str, counter: int,
                                                 prefix: str) -> None:
    wording = Wording(numbers, {"SAMSAT": "Samsat (Bapenda, Polri)"})  # type: ignore[arg-type]
    known = phrases(prefix, ["Samsat (Bapenda, Polri)"], large_numbers=True)
    number = f"{prefix}-{sequence:03d}"
    for text, last in ((wording.call(number, counter, "SAMSAT")[0], "samsat (bapenda, polri)"),
                       (wording.folded([(number, counter), (number, counter + 1)], "SAMSAT"),
                        "samsat (bapenda, polri)"),
                       (wording.notice(counter), "silakan lihat layar")):
        said = split_phrases(text, known)
        assert said is not None, text
        assert said[0] in ("nomor antrean", *NUMBER_WORDS, "seribu") and said[-1] == last


def test_a_sentence_with_a_word_outside_the_pack_is_not_split() -> None:
    known = phrases("A")
    assert split_phrases("Nomor antrean B satu", known) is None  # B is not a prefix here
    assert split_phrases("Ticket number A one", known) is None
    assert split_phrases("Nomor antrean A satu, silakan menuju loket dua", known) == [
        "nomor antrean", "a", "satu", ",", "silakan menuju", "loket", "dua"]


def test_english_numbers() -> None:
    assert [english_cardinal(n) for n in (0, 13, 40, 99, 100, 101, 7000)] == [
        "zero", "thirteen", "forty", "ninety-nine", "one hundred", "one hundred one",
        "seven thousand"]
