"""The hall's TOML file: opening-hours text, and problems reported so IT staff can fix them."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.config.hall import (
    ConfigError,
    ConfigProblem,
    check_hall,
    load_hall,
    parse_hall,
    parse_hours,
)

# ---------------------------------------------------------------------------------------------
# parse_hours
# ---------------------------------------------------------------------------------------------


def test_one_window() -> None:
    assert parse_hours("08:00-15:00") == ((time(8), time(15)),)


def test_windows_are_sorted_and_spaces_do_not_matter() -> None:
    assert parse_hours(" 13:00 - 15:00 ,08:00-11:30 ") == (
        (time(8), time(11, 30)), (time(13), time(15)))


def test_single_digit_hours() -> None:
    assert parse_hours("8:00-9:30") == ((time(8), time(9, 30)),)


@pytest.mark.parametrize("text", ["", "   ", ",", " , "])
def test_empty_means_closed(text: str) -> None:
    assert parse_hours(text) == ()


def test_until_midnight_is_the_last_second_of_the_day() -> None:
    assert parse_hours("20:00-24:00") == ((time(20), time(23, 59, 59)),)


def test_windows_may_touch() -> None:
    assert len(parse_hours("08:00-12:00, 12:00-15:00")) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8-15", "is not a time range like 08:00-15:00"),
        ("08.00-15.00", "is not a time range"),
        ("08:00 to 15:00", "is not a time range"),
        ("08:00-15:00; 16:00-17:00", "is not a time range"),
        ("25:00-26:00", "impossible time"),
        ("08:60-09:00", "impossible time"),
        ("23:00-24:30", "impossible time"),
        ("15:00-08:00", "ends before it starts"),
        ("09:00-09:00", "ends before it starts"),
        ("08:00-12:00, 11:00-15:00", "overlap"),
    ],
)
def test_bad_hours_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(text)


@st.composite
def week_windows(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Non-overlapping windows as minutes of the day, in a random order."""
    cuts = sorted(draw(st.lists(st.integers(0, 23 * 60 + 59), min_size=2, max_size=8,
                                unique=True)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    return draw(st.permutations(pairs))


@given(week_windows())
def test_written_hours_read_back(windows: list[tuple[int, int]]) -> None:
    text = ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in windows)
    parsed = parse_hours(text)
    assert parsed == tuple(
        (time(a // 60, a % 60), time(b // 60, b % 60)) for a, b in sorted(windows))


# ---------------------------------------------------------------------------------------------
# Problems in a configuration file
# ---------------------------------------------------------------------------------------------

GOOD = """\
[site]
code = "mpp-test"
name = "Mal Pelayanan Publik Uji"
timezone = "Asia/Jakarta"

[site.hours]
mon = "08:00-15:00"
fri = "08:00-11:30, 13:00-15:00"

[[agency]]
code = "DUKCAPIL"
name = "Dinas Kependudukan dan Pencatatan Sipil"

[[agency]]
code = "IMIGRASI"
name = "Kantor Imigrasi"

[[service]]
agency = "DUKCAPIL"
code = "KTP"
prefix = "A"
name = "KTP-el"

[[service]]
agency = "DUKCAPIL"
code = "KK"
prefix = "B"
name = "Kartu Keluarga"

[[service]]
agency = "IMIGRASI"
code = "PASPOR"
prefix = "C"
name = "Paspor"
hours = "08:00-12:00"

[[counter]]
number = 1
agency = "DUKCAPIL"
services = { KTP = 2, KK = 1 }

[[counter]]
number = 2
agency = "DUKCAPIL"
services = { KK = 2 }
bus_address = 5

[[counter]]
number = 3
agency = "IMIGRASI"
services = { PASPOR = 1 }
bus_address = 6

[[officer]]
username = "siti"
name = "Siti"
agency = "DUKCAPIL"
"""

JARGON = ("Input should", "Value error", "pydantic", "errors.pydantic.dev", "type=", "Traceback",
          "validation error")


def edited(old: str, new: str, text: str = GOOD) -> str:
    assert text.count(old) == 1, f"the edit {old!r} must match exactly once"
    return text.replace(old, new)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line where ``fragment`` occurs (the n-th time)."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{fragment!r} not in the text")


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as raised:
        parse_hall(text, "hall.toml")
    error = raised.value
    assert error.source == "hall.toml"
    assert error.problems, "a ConfigError must list at least one problem"
    for problem in error.problems:
        for words in (problem.message, problem.message_id, problem.advice, problem.advice_id):
            assert not any(word in words for word in JARGON), words
        assert problem.message_id and problem.message_id != problem.message, problem
        assert bool(problem.advice) == bool(problem.advice_id), problem
        first = problem.message.split(": ")[-1] if problem.where.startswith("site.hours.") \
            else problem.message
        assert first[:1].islower() or first[:1] in "'\"", problem.message
    return error.problems


def only_problem(text: str) -> ConfigProblem:
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_good_file_is_good() -> None:
    hall = parse_hall(GOOD)
    assert [s.code for s in hall.service] == ["KTP", "KK", "PASPOR"]
    assert hall.counter[0].services == {"KTP": 2, "KK": 1}
    assert hall.counter[0].name is None and hall.counter[0].bus_address is None
    # defaults a newcomer relies on
    assert hall.site.dispatch.priority_policy == "interleave"
    assert hall.site.always_open is False
    assert hall.service[0].fee == 0 and hall.service[0].sla_minutes == 30


def test_an_unknown_key() -> None:
    text = edited('code = "IMIGRASI"\n', 'code = "IMIGRASI"\ncolour = "#283593"\n')
    problem = only_problem(text)
    assert problem.where == "agency[2].colour"
    assert problem.line == line_of(text, "colour =")
    assert "not known" in problem.message and "typo" in problem.message


def test_an_unknown_table() -> None:
    text = GOOD + '\n[[loket]]\nnumber = 4\n'
    problem = only_problem(text)
    assert problem.where == "loket"
    assert "not known" in problem.message


@pytest.mark.parametrize("prefix", ["a", "ABCD", "A1", "", "Ä"])
def test_a_bad_prefix(prefix: str) -> None:
    text = edited('prefix = "B"', f'prefix = "{prefix}"')
    problem = only_problem(text)
    assert problem.where == "service[2].prefix"
    assert problem.line == line_of(text, f'prefix = "{prefix}"')
    assert f"'{prefix}'" in problem.message and f"'{prefix}'" in problem.message_id
    assert "capital letters" in problem.advice  # says what a prefix should look like
    assert "huruf kapital" in problem.advice_id


def test_a_bad_colour_says_what_a_colour_looks_like() -> None:
    text = edited('name = "Kantor Imigrasi"', 'name = "Kantor Imigrasi"\ncolor = "blue"')
    problem = only_problem(text)
    assert problem.where == "agency[2].color"
    assert problem.line == line_of(text, 'color = "blue"')
    assert "'blue'" in problem.message and "#1f6feb" in problem.advice


def test_a_bad_code_says_which_characters_are_allowed() -> None:
    text = edited('code = "KK"', 'code = "Kartu Keluarga"')
    text = edited("services = { KTP = 2, KK = 1 }", "services = { KTP = 2 }", text)
    text = edited("services = { KK = 2 }", "services = { KTP = 2 }", text)
    problem = only_problem(text)
    assert problem.where == "service[2].code"
    assert problem.line == line_of(text, 'code = "Kartu Keluarga"')
    assert "'Kartu Keluarga' is not allowed here" in problem.message
    assert "letters, digits" in problem.advice


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('name = "Kantor Imigrasi"', 'name = ""', "agency[2].name"),
        ("services = { KK = 2 }", "services = {}", "counter[2].services"),
    ],
)
def test_empty_values_are_called_empty(old: str, new: str, where: str) -> None:
    text = edited(old, new)
    problem = only_problem(text)
    assert (problem.where, problem.message) == (where, "must not be empty")
    assert problem.line == line_of(text, new)


def test_a_service_of_another_agency_on_a_counter() -> None:
    text = edited("services = { KK = 2 }", "services = { KK = 2, PASPOR = 1 }")
    problem = only_problem(text)
    assert problem.where == "counter[2].services"
    assert problem.line == line_of(text, "services = { KK = 2, PASPOR = 1 }")
    assert "'PASPOR'" in problem.message
    assert "'IMIGRASI'" in problem.message and "'DUKCAPIL'" in problem.message


def test_a_counter_naming_a_service_that_does_not_exist() -> None:
    text = edited("services = { KK = 2 }", "services = { KKK = 2 }")
    problem = only_problem(text)
    assert problem.line == line_of(text, "services = { KKK = 2 }")
    assert "no service has the code 'KKK'" in problem.message


def test_a_duplicate_prefix_points_at_the_second_use() -> None:
    text = edited('prefix = "C"', 'prefix = "A"')
    problem = only_problem(text)
    assert problem.where == "service[3].prefix"
    assert problem.line == line_of(text, 'prefix = "A"', occurrence=2)
    assert problem.message == "ticket prefix 'A' is used twice"


def test_a_duplicate_counter_number() -> None:
    text = edited("number = 3", "number = 2")
    problem = only_problem(text)
    assert problem.where == "counter[3].number"
    assert problem.line == line_of(text, "number = 2", occurrence=2)


def test_a_duplicate_bus_address_names_the_right_counter() -> None:
    # the first counter has no bus address: the duplicate is on the third counter, not the second
    text = edited("bus_address = 6", "bus_address = 5")
    problem = only_problem(text)
    assert problem.where == "counter[3].bus_address"
    assert problem.line == line_of(text, "bus_address = 5", occurrence=2)
    assert problem.message == "bus address '5' is used twice"


def test_a_bad_time_zone() -> None:
    text = edited('timezone = "Asia/Jakarta"', 'timezone = "Asia/Jakata"')
    problem = only_problem(text)
    assert problem.where == "site.timezone"
    assert problem.line == line_of(text, "timezone =")
    assert "unknown time zone 'Asia/Jakata'" in problem.message
    assert "zona waktu 'Asia/Jakata' tidak dikenal" in problem.message_id
    assert "Asia/Jakarta" in problem.advice and "Asia/Jakarta" in problem.advice_id  # the fix


def test_bad_toml_gives_the_line_of_the_mistake() -> None:
    text = edited('name = "Kartu Keluarga"', 'name = "Kartu Keluarga')
    problem = only_problem(text)
    assert problem.where == "file"
    assert problem.line == line_of(text, 'name = "Kartu Keluarga')
    assert "is not valid TOML" in problem.message


def test_a_missing_equals_sign_in_toml() -> None:
    text = edited("number = 3", "number 3")
    problem = only_problem(text)
    assert problem.line == line_of(text, "number 3")


def test_bad_site_hours_point_at_the_day_not_at_a_service() -> None:
    text = edited('fri = "08:00-11:30, 13:00-15:00"', 'fri = "13:00-11:30"')
    problem = only_problem(text)
    assert problem.where == "site.hours.fri"
    assert problem.message == "Friday: '13:00-11:30' ends before it starts"
    assert problem.message_id == "Jumat: '13:00-11:30' berakhir sebelum dimulai"
    # the day's own line; not the [site.hours] header, never a service's `hours =` further down
    assert problem.line == line_of(text, 'fri = "13:00-11:30"')
    assert "HH:MM-HH:MM" in problem.advice and "08:00-15:00" in problem.advice
    assert "JJ:MM-JJ:MM" in problem.advice_id


def test_a_bad_day_name() -> None:
    text = edited('mon = "08:00-15:00"', 'senin = "08:00-15:00"')
    problem = only_problem(text)
    assert problem.where == "site.hours.senin"
    assert problem.line == line_of(text, "senin =")
    assert "'senin' is not a day" in problem.message and "mon" in problem.advice
    assert "bukan nama hari" in problem.message_id


def test_bad_service_hours() -> None:
    text = edited('hours = "08:00-12:00"', 'hours = "8 sampai 12"')
    problem = only_problem(text)
    assert problem.where == "service[3].hours"
    assert problem.line == line_of(text, 'hours = "8 sampai 12"')
    assert "is not a time range like 08:00-15:00" in problem.message


def test_a_missing_site_name_points_at_the_site() -> None:
    text = edited('name = "Mal Pelayanan Publik Uji"\n', "")
    problem = only_problem(text)
    assert problem.where == "site.name"
    assert "required" in problem.message
    # not the `name =` of the first agency further down
    assert problem.line is not None and problem.line < line_of(text, "[[agency]]")


def test_a_missing_service_key_points_at_its_block() -> None:
    text = edited('agency = "IMIGRASI"\ncode = "PASPOR"\nprefix = "C"\n',
                  'agency = "IMIGRASI"\ncode = "PASPOR"\n')
    problem = only_problem(text)
    assert problem.where == "service[3].prefix"
    assert problem.line == line_of(text, "[[service]]", occurrence=3)


def test_a_header_with_a_comment_still_ends_the_block_before_it() -> None:
    # counter 2 lacks its services; the search must not run on into counter 3's
    text = edited("[[counter]]\nnumber = 3", "[[counter]]  # imigrasi\nnumber = 3")
    text = edited("services = { KK = 2 }\n", "", text)
    problem = only_problem(text)
    assert problem.where == "counter[2].services"
    assert problem.line == line_of(text, "[[counter]]", occurrence=2)


def test_a_weight_out_of_range() -> None:
    text = edited("services = { KK = 2 }", "services = { KK = 0 }")
    problem = only_problem(text)
    assert problem.where == "counter[2].services"
    assert problem.line == line_of(text, "services = { KK = 0 }")
    assert problem.message == "the weight of 'KK' must be between 1 and 100"


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        ("number = 3", 'number = "tiga"', "counter[3].number", "whole number"),
        ("number = 3", "number = 0", "counter[3].number", "at least 1"),
        ("bus_address = 6", "bus_address = 300", "counter[3].bus_address", "at most 254"),
        ('name = "Paspor"', 'name = "Paspor"\nfee = -5', "service[3].fee", "at least 0"),
        ('name = "Paspor"', 'name = "Paspor"\nrequirements = "KTP"', "service[3].requirements", "list"),
        ('name = "Siti"\n', 'name = "Siti"\nrole = "boss"\n', "officer[1].role",
         "'officer', 'manager' or 'admin'"),
        ('name = "Siti"\n', 'name = "Siti"\npassword = "123"\n', "officer[1].password",
         "at least 6 characters"),
    ],
)
def test_values_of_the_wrong_kind(old: str, new: str, where: str, words: str) -> None:
    text = edited(old, new)
    problem = only_problem(text)
    assert problem.where == where
    assert words in problem.message
    first_new_line = new.strip().splitlines()[-1]
    assert problem.line == line_of(text, first_new_line)


def test_an_officer_needs_an_agency_and_an_existing_one() -> None:
    text = edited('name = "Siti"\nagency = "DUKCAPIL"\n', 'name = "Siti"\n')
    problem = only_problem(text)
    assert problem.where == "officer[1].agency"
    assert "must belong to an agency" in problem.message
    assert problem.line == line_of(text, 'username = "siti"') - 1  # the [[officer]] header
    wrong = only_problem(edited('name = "Siti"\nagency = "DUKCAPIL"', 'name = "Siti"\nagency = "CAPIL"'))
    assert "no agency has the code 'CAPIL'" in wrong.message


def test_devices_must_name_existing_zones_and_counters() -> None:
    text = GOOD + (
        '\n[[device]]\nkind = "display"\nname = "tv-1"\nzone = "Z"\n'
        '\n[[device]]\nkind = "keypad"\nname = "pad-9"\ncounter = 9\n'
    )
    problems = problems_of(text)
    assert [(p.where, p.line) for p in problems] == [
        ("device[1].zone", line_of(text, 'zone = "Z"')),
        ("device[2].counter", line_of(text, "counter = 9")),
    ]


def test_every_problem_is_listed_at_once() -> None:
    text = edited('prefix = "C"', 'prefix = "A"')
    text = edited("number = 3", "number = 1", text)
    text = edited('agency = "IMIGRASI"\nservices', 'agency = "IMIGRASII"\nservices', text)
    problems = problems_of(text)
    # (the counter's services are not said to belong elsewhere: its agency is the problem)
    assert {p.where for p in problems} == {"service[3].prefix", "counter[3].number",
                                           "counter[3].agency"}
    assert all(p.line is not None for p in problems)


def test_the_error_text_reads_as_a_list_with_line_numbers() -> None:
    text = edited('timezone = "Asia/Jakarta"', 'timezone = "WIB"')
    with pytest.raises(ConfigError) as raised:
        parse_hall(text, "hall.toml")
    message = str(raised.value)
    line = line_of(text, "timezone")
    assert message.splitlines()[0] == "hall.toml: 1 masalah (1 problem(s))"
    assert re.fullmatch(rf"  - baris {line}, site\.timezone: zona waktu 'WIB' tidak dikenal; "
                        r"pakai .*", message.splitlines()[1])  # Indonesian first
    assert re.fullmatch(rf"    line {line}, site\.timezone: unknown time zone 'WIB'; use .*",
                        message.splitlines()[2])


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_hall(tmp_path / "missing.toml")
    (problem,) = raised.value.problems
    assert problem.where == "file" and "cannot be read" in problem.message


def test_load_hall_reads_utf8(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_text(edited('name = "Paspor"', 'name = "Paspor — Layanan Cepat"'), encoding="utf-8")
    assert load_hall(path).service[2].name == "Paspor — Layanan Cepat"


# ---------------------------------------------------------------------------------------------
# One pass: independent problems do not hide each other
# ---------------------------------------------------------------------------------------------


def test_a_bad_time_an_unknown_agency_and_an_unknown_key_are_reported_together() -> None:
    # The first hour of a new hall: each of these once hid the ones after it.
    text = edited('mon = "08:00-15:00"', 'mon = "25:00-26:00"')
    text = edited('agency = "IMIGRASI"\nservices', 'agency = "IMIGRASII"\nservices', text)
    text = edited("number = 1\n", 'number = 1\nnama = "Loket Satu"\n', text)
    problems = problems_of(text)
    by_where = {p.where: p for p in problems}
    assert set(by_where) == {"site.hours.mon", "counter[1].nama", "counter[3].agency"}
    assert [p.line for p in problems] == sorted(p.line for p in problems if p.line)  # file order

    monday = by_where["site.hours.mon"]
    assert monday.line == line_of(text, 'mon = "25:00-26:00"')  # the value's line, not the header
    assert monday.message.startswith("Monday: '25:00-26:00' has an impossible time")
    assert monday.message_id.startswith("Senin: '25:00-26:00' berisi jam yang tidak ada")
    assert "HH:MM-HH:MM, several separated by commas, e.g. 08:00-15:00" in monday.advice
    assert "JJ:MM-JJ:MM" in monday.advice_id and "mis. 08:00-15:00" in monday.advice_id

    unknown = by_where["counter[1].nama"]
    assert unknown.line == line_of(text, 'nama = "Loket Satu"')
    assert "not known" in unknown.message and "tidak dikenal" in unknown.message_id
    assert unknown.advice == "did you mean 'name'?" and unknown.advice_id == "maksudnya 'name'?"

    agency = by_where["counter[3].agency"]
    assert agency.line == line_of(text, 'agency = "IMIGRASII"')
    assert agency.message == "no agency has the code 'IMIGRASII'"
    assert agency.message_id == "tidak ada instansi berkode 'IMIGRASII'"
    assert "DUKCAPIL, IMIGRASI" in agency.advice and "DUKCAPIL, IMIGRASI" in agency.advice_id


def test_five_independent_problems_each_with_its_line_and_advice() -> None:
    text = edited('agency = "IMIGRASI"\ncode = "PASPOR"', 'agency = "KANIM"\ncode = "PASPOR"')
    text = edited('prefix = "B"', 'prefix = "A"', text)
    text = edited('name = "Kartu Keluarga"', 'name = "Kartu Keluarga"\nfee = "gratis"', text)
    text = edited('hours = "08:00-12:00"', 'hours = "08.00-12.00"', text)
    text = edited('name = "Siti"\nagency = "DUKCAPIL"\n', 'name = "Siti"\n', text)
    problems = problems_of(text)
    expected = {  # where → (the line's text, words in English, words in Indonesian)
        "service[2].prefix": ('prefix = "A"', "ticket prefix 'A' is used twice", "dipakai dua kali"),
        "service[2].fee": ('fee = "gratis"', "must be a whole number", "harus bilangan bulat"),
        "service[3].agency": ('agency = "KANIM"', "no agency has the code 'KANIM'",
                              "tidak ada instansi berkode 'KANIM'"),
        "service[3].hours": ('hours = "08.00-12.00"', "'08.00-12.00' is not a time range",
                             "bukan rentang jam"),
        "officer[1].agency": ('[[officer]]', "must belong to an agency", "harus milik satu instansi"),
    }
    assert {p.where for p in problems} == set(expected)
    for problem in problems:
        fragment, english, indonesian = expected[problem.where]
        occurrence = 2 if fragment == 'prefix = "A"' else 1
        assert problem.line == line_of(text, fragment, occurrence), problem
        assert english in problem.message and indonesian in problem.message_id
        assert problem.advice and problem.advice_id, problem


def test_a_warning_alone_leaves_the_hall_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.config import checks
    from server.config.problems import Finding, Said

    def loopback(hall: checks.RawHall) -> list[Finding]:  # the shape of a warning rule
        return [Finding(("site", "public_base_url"), Said("points at this computer",
                        "menunjuk komputer ini", "use the hall's address", "pakai alamat gedung"),
                        severity="warning")]

    monkeypatch.setattr(checks, "CHECKS", [*checks.CHECKS, loopback])
    monkeypatch.setattr("server.config.hall.CHECKS", checks.CHECKS)
    checked = check_hall(GOOD, "hall.toml")
    assert checked.hall is not None and checked.errors == []
    (warning,) = checked.problems
    assert warning.severity == "warning" and warning.where == "site.public_base_url"
    assert "PERINGATAN: menunjuk komputer ini" in warning.indonesian()


# ---------------------------------------------------------------------------------------------
# [site.voice]
# ---------------------------------------------------------------------------------------------

_VOICE_HALL = '''[site]
code = "V"
name = "Aula"

[site.voice]
numbers = "words"
pack = "suara"
agencies = { SAMSAT = "Samsat" }

[[agency]]
code = "SAMSAT"
name = "Samsat (Bapenda, Polri, Jasa Raharja)"

[[service]]
agency = "SAMSAT"
code = "PKB"
prefix = "P"
name = "Pajak"
'''


def test_the_voice_pack_is_found_beside_the_halls_file(tmp_path: Path) -> None:
    (tmp_path / "hall.toml").write_text(_VOICE_HALL, encoding="utf-8")
    voice = load_hall(tmp_path / "hall.toml").site.voice
    assert voice.numbers == "words" and voice.agencies == {"SAMSAT": "Samsat"}
    assert voice.pack == str((tmp_path / "suara").resolve())


def test_the_voice_names_only_agencies_of_the_hall() -> None:
    with pytest.raises(ConfigError) as error:
        parse_hall(_VOICE_HALL.replace('{ SAMSAT = "Samsat" }', '{ POLRES = "Polres" }'))
    assert [str(p) for p in error.value.problems] == [
        "line 8, site.voice.agencies: no agency has the code 'POLRES'; use one of: SAMSAT"]
    with pytest.raises(ConfigError) as error:
        parse_hall(_VOICE_HALL.replace('numbers = "words"', 'numbers = "roman"'))
    assert "site.voice.numbers" in str(error.value) and "'digits' or 'words'" in str(error.value)
