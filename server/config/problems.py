"""Problems in a hall's configuration file, said so that IT staff can fix them.

Each problem points at the line of the value that is wrong (the ``mon = "25:00"`` line, not the
``[site.hours]`` header above it), says what is wrong and what to do, in Indonesian first and in
English. Validation errors of the file's schema and the rules across its tables (``checks``) are
both turned into :class:`ConfigProblem`; nothing here knows the schema itself.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic_core import PydanticCustomError

Severity = Literal["error", "warning"]
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Said:
    """What is wrong and what to do about it, in English and Indonesian."""

    message: str
    message_id: str
    advice: str = ""
    advice_id: str = ""


@dataclass(frozen=True)
class Finding:
    """A problem a rule found at a location like ("counter", 2, "agency") (0-based index)."""

    loc: Loc
    said: Said
    severity: Severity = "error"


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a configuration file: where, what (English and Indonesian), what to
    do. A warning does not stop the hall from starting; an error does."""

    where: str
    message: str
    line: int | None = None
    message_id: str = ""
    advice: str = ""
    advice_id: str = ""
    severity: Severity = "error"

    def english(self) -> str:
        at = f"line {self.line}, " if self.line else ""
        note = "WARNING: " if self.severity == "warning" else ""
        advice = f"; {self.advice}" if self.advice else ""
        return f"{at}{self.where}: {note}{self.message}{advice}"

    def indonesian(self) -> str:
        at = f"baris {self.line}, " if self.line else ""
        note = "PERINGATAN: " if self.severity == "warning" else ""
        advice = f"; {self.advice_id}" if self.advice_id else ""
        return f"{at}{self.where}: {note}{self.message_id or self.message}{advice}"

    def __str__(self) -> str:
        return self.english()


def report(source: str, problems: Sequence[ConfigProblem]) -> str:
    """The listing ``antrean config check`` prints: each problem in Indonesian, then English."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    counts_id = [f"{errors} masalah"] + ([f"{warnings} peringatan"] if warnings else [])
    counts_en = [f"{errors} problem(s)"] + ([f"{warnings} warning(s)"] if warnings else [])
    lines = [f"{source}: {', '.join(counts_id)} ({', '.join(counts_en)})"]
    for problem in problems:
        lines.append(f"  - {problem.indonesian()}")
        lines.append(f"    {problem.english()}")
    return "\n".join(lines)


class ConfigError(Exception):
    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(report(source, problems))


def invalid(message: str, message_id: str, advice: str = "", advice_id: str = ""
            ) -> PydanticCustomError:
    """A validator's refusal carrying both languages and the advice through pydantic."""
    return PydanticCustomError("hall", "{message}", {
        "message": message, "message_id": message_id, "advice": advice, "advice_id": advice_id})


# ---------------------------------------------------------------- schema errors in plain words

_PLAIN: dict[str, Said] = {
    "missing": Said("this setting is required but missing",
                    "pengaturan ini wajib tetapi tidak ada",
                    "add it to this block (docs/hall-config.md lists every key)",
                    "tambahkan di blok ini (semua kunci ada di docs/hall-config.md)"),
    "int_parsing": Said("must be a whole number", "harus bilangan bulat",
                        "write digits without quotes, e.g. 3", "tulis angka tanpa tanda kutip, mis. 3"),
    "int_from_float": Said("must be a whole number", "harus bilangan bulat",
                           "write digits without a decimal point, e.g. 3",
                           "tulis angka tanpa koma desimal, mis. 3"),
    "float_parsing": Said("must be a number", "harus angka",
                          "write digits without quotes, e.g. 7.5",
                          "tulis angka tanpa tanda kutip, mis. 7.5"),
    "bool_type": Said("must be true or false", "harus true atau false",
                      "write true or false without quotes", "tulis true atau false tanpa tanda kutip"),
    "string_type": Said("must be text in quotes", "harus teks dalam tanda kutip",
                        'put it in double quotes, e.g. "KTP"', 'apit dengan tanda kutip, mis. "KTP"'),
    "list_type": Said('must be a list like ["a", "b"]', 'harus daftar seperti ["a", "b"]',
                      "put the items in square brackets", "letakkan isinya di dalam kurung siku"),
    "dict_type": Said("must be a table like { KTP = 1 }", "harus tabel seperti { KTP = 1 }",
                      "write it in braces: { CODE = weight }",
                      "tulis dalam kurung kurawal: { KODE = bobot }"),
    "date_type": Said("must be a date like 2026-12-25", "harus tanggal seperti 2026-12-25",
                      "write YYYY-MM-DD without quotes", "tulis TTTT-BB-HH tanpa tanda kutip"),
}
_PLAIN["int_type"] = _PLAIN["int_parsing"]
_PLAIN["float_type"] = _PLAIN["float_parsing"]
_PLAIN["bool_parsing"] = _PLAIN["bool_type"]
_PLAIN["date_parsing"] = _PLAIN["date_from_datetime_parsing"] = _PLAIN["date_type"]

_PATTERN_HINTS: dict[str, Said] = {
    "prefix": Said("", "", "use 1 to 3 capital letters, like A or KTP",
                   "pakai 1 sampai 3 huruf kapital, seperti A atau KTP"),
    "color": Said("", "", "write a colour like #1f6feb", "tulis warna seperti #1f6feb"),
}
_CODE_HINT = Said("", "", "use only letters, digits, '_', '.' and '-', starting with a letter "
                  "or a digit", "pakai hanya huruf, angka, '_', '.' dan '-', diawali huruf atau angka")
_BOUNDS = {  # pydantic's context key → English and Indonesian
    "greater_than_equal": ("ge", "must be at least {}", "harus paling sedikit {}"),
    "less_than_equal": ("le", "must be at most {}", "harus paling banyak {}"),
    "greater_than": ("gt", "must be more than {}", "harus lebih dari {}"),
    "less_than": ("lt", "must be less than {}", "harus kurang dari {}"),
}


def plain_words(error: Mapping[str, object], known_keys: Iterable[str] = ()) -> Said:
    """A pydantic error (one of ``ValidationError.errors()``) in words for IT staff."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx")
    context: Mapping[str, object] = ctx if isinstance(ctx, dict) else {}
    value = error.get("input")
    if kind == "hall":
        return Said(str(context.get("message", "")), str(context.get("message_id", "")),
                    str(context.get("advice", "")), str(context.get("advice_id", "")))
    if kind == "extra_forbidden":
        key = _key_of(error)
        close = difflib.get_close_matches(key, list(known_keys), n=1, cutoff=0.6)
        advice = (Said("", "", f"did you mean '{close[0]}'?", f"maksudnya '{close[0]}'?") if close
                  else Said("", "", "remove it, or see docs/hall-config.md for the known keys",
                            "hapus, atau lihat kunci yang dikenal di docs/hall-config.md"))
        return Said("this setting is not known (a typo?)",
                    "pengaturan ini tidak dikenal (salah ketik?)", advice.advice, advice.advice_id)
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(_key_of(error), _CODE_HINT)
        return Said(f"'{value}' is not allowed here", f"'{value}' tidak boleh di sini",
                    hint.advice, hint.advice_id)
    if kind in {"string_too_short", "too_short"} and context.get("min_length") == 1:
        return Said("must not be empty", "tidak boleh kosong")
    if kind == "string_too_short":
        n = context.get("min_length")
        return Said(f"must be at least {n} characters long", f"harus paling sedikit {n} karakter")
    if kind == "string_too_long":
        n = context.get("max_length")
        return Said(f"must be at most {n} characters long", f"harus paling banyak {n} karakter")
    if kind == "too_short":
        n = context.get("min_length")
        return Said(f"must have at least {n} entries", f"harus berisi paling sedikit {n}")
    if kind == "too_long":
        n = context.get("max_length")
        return Said(f"must have at most {n} entries", f"harus berisi paling banyak {n}")
    if kind in _BOUNDS:
        key, english, indonesian = _BOUNDS[kind]
        return Said(english.format(context.get(key)), indonesian.format(context.get(key)))
    if kind == "literal_error":
        expected = str(context.get("expected", ""))
        return Said(f"must be {expected}", f"harus {expected.replace(' or ', ' atau ')}",
                    f"'{value}' is not one of them", f"'{value}' tidak termasuk")
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return Said(message, message)


def _key_of(error: Mapping[str, object]) -> str:
    loc = error.get("loc")
    keys = [str(k) for k in loc if isinstance(k, str) and k != "[key]"] if isinstance(
        loc, tuple) else []
    return keys[-1] if keys else ""


def where(loc: Sequence[object]) -> str:
    """("service", 2, "prefix") → "service[3].prefix" (people count from 1)."""
    parts: list[str] = []
    for item in loc:
        if item == "[key]":  # a bad key in a table: the location is the key itself
            continue
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts)


# ---------------------------------------------------------------- lines

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(#.*)?$")


def locate(lines: Sequence[str], loc: Sequence[object]) -> int | None:
    """The 1-based line a location like ("service", 3, "fee") refers to: the line of the value
    when the file has it, else the header of its block.

    The search stays inside the table the location names, so a key missing from ``[site]`` is
    never "found" in an ``[[agency]]`` further down, and ``[site.hours]`` is searched as a table
    of its own.
    """
    if not loc:
        return None
    table = str(loc[0])
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    keys = [str(k) for k in loc[(2 if index is not None else 1):]
            if not isinstance(k, int) and k != "[key]"]
    headers = [(number, match.group(1), match.group(2))
               for number, line in enumerate(lines) if (match := _HEADER.match(line))]
    name, depth = table, 0
    if index is None:  # descend into sub-tables the location names: [site] → [site.hours]
        names = {header for _, brackets, header in headers if brackets == "["}
        while depth < len(keys) and f"{name}.{keys[depth]}" in names:
            name, depth = f"{name}.{keys[depth]}", depth + 1
    wanted = "[[" if index is not None else "["
    blocks = [number for number, brackets, header in headers if brackets == wanted and header == name]
    if index is not None:
        blocks = blocks[index: index + 1]
    if not blocks:
        inside = [number for number, _, header in headers if header.startswith(f"{name}.")]
        return inside[0] + 1 if inside and index is None else None
    block_start = blocks[0]
    if depth < len(keys):
        key = re.compile(rf"^\s*[\"']?{re.escape(keys[depth])}[\"']?\s*=")
        for number in range(block_start + 1, len(lines)):
            if _HEADER.match(lines[number]):
                break
            if key.match(lines[number]):
                return number + 1
    return block_start + 1


def problem(lines: Sequence[str], finding: Finding) -> ConfigProblem:
    said = finding.said
    return ConfigProblem(where(finding.loc), said.message, locate(lines, finding.loc),
                         said.message_id or said.message, said.advice, said.advice_id,
                         finding.severity)


def in_file_order(problems: Iterable[ConfigProblem]) -> list[ConfigProblem]:
    """Problems as a reader meets them going down the file; those without a line last."""
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))
