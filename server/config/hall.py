"""The hall's configuration: one TOML file describing a site, its agencies, services and counters.

The file uses flat arrays of tables (``[[agency]]``, ``[[service]]``, ``[[counter]]``…) that refer
to each other by code, so IT staff can add a service without re-indenting anything, and so a
problem can be pointed at by line number.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from common.protocol.models import BUS_ADDRESSES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:00-11:30, 13:00-15:30"`` → opening windows; an empty string means closed."""
    windows: list[tuple[time, time]] = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _HOURS_RANGE.match(part)
        if match is None:
            raise ValueError(f"'{part.strip()}' is not a time range like 08:00-15:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f"'{part.strip()}' has an impossible time")
        start = time(h1, m1)
        end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"'{part.strip()}' ends before it starts")
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in pairwise(windows):
        if start < end:
            raise ValueError(f"opening windows in '{text}' overlap")
    return tuple(windows)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DispatchSettings(_Strict):
    priority_policy: Literal["strict", "interleave"] = "interleave"
    regular_per_priority: int = Field(default=2, ge=1, le=50)
    max_consecutive_priority: int = Field(default=3, ge=1, le=50)
    sla_ageing: float = Field(default=1.0, gt=0, le=10)


class SiteConfig(_Strict):
    code: Code
    name: str = Field(min_length=1, max_length=120)
    name_en: str | None = Field(default=None, max_length=120)
    timezone: str = "Asia/Jakarta"
    public_base_url: str | None = None  # None: the server's own address (server.public_address)
    always_open: bool = False
    hours: dict[str, str] = Field(
        default_factory=lambda: {d: "08:00-15:00" for d in WEEKDAYS[:5]}
    )
    holidays: list[date] = Field(default_factory=list)
    running_text: str = ""
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    reservation_seconds: int = Field(default=120, ge=10, le=3600)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}' (try Asia/Jakarta)") from exc
        return value

    @field_validator("public_base_url")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"'{value}' is not an address like http://192.168.1.20:8000")
        return value.rstrip("/")

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, str]) -> dict[str, str]:
        for day, text in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"'{day}' is not a day; use {', '.join(WEEKDAYS)}")
            parse_hours(text)
        return value


class AgencyConfig(_Strict):
    code: Code
    name: str = Field(min_length=1, max_length=120)
    name_en: str | None = Field(default=None, max_length=120)
    color: str = Field(default="#1f6feb", pattern=r"^#[0-9A-Fa-f]{6}$")
    icon: str = "building"


class ServiceConfig(_Strict):
    agency: Code
    code: Code
    prefix: str = Field(pattern=r"^[A-Z]{1,3}$")
    name: str = Field(min_length=1, max_length=120)
    name_en: str | None = Field(default=None, max_length=120)
    requirements: list[str] = Field(default_factory=list)
    requirements_en: list[str] = Field(default_factory=list)
    fee: int = Field(default=0, ge=0)
    fee_note: str = ""
    sla_minutes: int = Field(default=30, ge=1, le=24 * 60)
    service_minutes: float = Field(default=10, gt=0, le=24 * 60)
    daily_quota: int | None = Field(default=None, ge=1)
    hours: str | None = None

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_hours(value)
        return value


class CounterConfig(_Strict):
    number: int = Field(ge=1, le=9999)
    name: str | None = None
    agency: Code
    services: dict[str, int] = Field(min_length=1)
    bus_address: int | None = Field(default=None, ge=BUS_ADDRESSES.start, le=BUS_ADDRESSES.stop - 1)

    @field_validator("services")
    @classmethod
    def _positive_weights(cls, value: dict[str, int]) -> dict[str, int]:
        for code, weight in value.items():
            if not 1 <= weight <= 100:
                raise ValueError(f"the weight of '{code}' must be between 1 and 100")
        return value


class ZoneConfig(_Strict):
    code: Code
    name: str
    agencies: list[str] = Field(min_length=1)


class DeviceConfig(_Strict):
    kind: Literal["kiosk", "display", "keypad"]
    name: Code
    token: str | None = Field(default=None, min_length=8, max_length=200)
    zone: str | None = None
    counter: int | None = None


class OfficerConfig(_Strict):
    username: Code
    name: str
    role: Literal["officer", "manager", "admin"] = "officer"
    agency: str | None = None
    password: str | None = Field(default=None, min_length=6, max_length=200)


class HallConfig(_Strict):
    site: SiteConfig
    agency: list[AgencyConfig] = Field(min_length=1)
    service: list[ServiceConfig] = Field(min_length=1)
    counter: list[CounterConfig] = Field(default_factory=list)
    zone: list[ZoneConfig] = Field(default_factory=list)
    device: list[DeviceConfig] = Field(default_factory=list)
    officer: list[OfficerConfig] = Field(default_factory=list)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a configuration file, said so that IT staff can fix it."""

    where: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        at = f"line {self.line}, " if self.line else ""
        return f"{at}{self.where}: {self.message}"


class ConfigError(Exception):
    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{listing}")


_FRIENDLY = {
    "missing": "this setting is required but missing",
    "extra_forbidden": "this setting is not known (a typo?)",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text in quotes",
    "list_type": "must be a list like [\"a\", \"b\"]",
    "dict_type": "must be a table like { KTP = 1 }",
    "date_from_datetime_parsing": "must be a date like 2026-12-25",
    "date_parsing": "must be a date like 2026-12-25",
    "date_type": "must be a date like 2026-12-25",
}


_PATTERN_HINTS = {
    "prefix": "use 1 to 3 capital letters, like A or KTP",
    "color": "write a colour like #1f6feb",
}
_CODE_HINT = "use only letters, digits, '_', '.' and '-', starting with a letter or a digit"


def _friendly(error: dict[str, object]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx")
    limits = ctx if isinstance(ctx, dict) else {}
    if kind in _FRIENDLY:
        return _FRIENDLY[kind]
    if kind == "string_pattern_mismatch":
        loc = error.get("loc")
        field = str(loc[-1]) if isinstance(loc, tuple) and loc else ""
        return f"'{error.get('input')}' is not allowed here: {_PATTERN_HINTS.get(field, _CODE_HINT)}"
    if kind in {"string_too_short", "too_short"} and limits.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_short":
        return f"must be at least {limits.get('min_length')} characters long"
    if kind == "string_too_long":
        return f"must be at most {limits.get('max_length')} characters long"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return f"{error.get('msg', '')}".replace("Input should be", "must be")
    if kind == "literal_error":
        return f"{error.get('msg', '')}".replace("Input should be", "must be")
    if kind == "too_short":
        return f"must have at least {limits.get('min_length')} entries"
    if kind == "too_long":
        return f"must have at most {limits.get('max_length')} entries"
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")


def _where(loc: tuple[object, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(#.*)?$")


def _locate(lines: list[str], loc: tuple[object, ...]) -> int | None:
    """Find the 1-based line a location like ("service", 3, "fee") refers to.

    The search stays inside the table the location names, so a key missing from ``[site]`` is
    never "found" in an ``[[agency]]`` further down, and ``[site.hours]`` is searched as a table
    of its own.
    """
    if not loc:
        return None
    table = str(loc[0])
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    keys = [str(k) for k in loc[(2 if index is not None else 1) :] if not isinstance(k, int)]
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
        blocks = blocks[index : index + 1]
    if not blocks:
        inside = [number for number, _, header in headers if header.startswith(f"{name}.")]
        return inside[0] + 1 if inside and index is None else None
    block_start = blocks[0]
    if depth < len(keys):
        key = re.compile(rf"^\s*{re.escape(keys[depth])}\s*=")
        for number in range(block_start + 1, len(lines)):
            if _HEADER.match(lines[number]):
                break
            if key.match(lines[number]):
                return number + 1
    return block_start + 1


def _cross_check(hall: HallConfig) -> list[tuple[tuple[object, ...], str]]:
    problems: list[tuple[tuple[object, ...], str]] = []
    agencies = {a.code for a in hall.agency}
    services = {s.code for s in hall.service}

    def duplicates(table: str, values: Sequence[object], key: str, what: str) -> None:
        seen: set[object] = set()
        for i, value in enumerate(values):
            if value is None:  # not set: nothing to clash with
                continue
            if value in seen:
                problems.append(((table, i, key), f"{what} '{value}' is used twice"))
            seen.add(value)

    duplicates("agency", [a.code for a in hall.agency], "code", "agency code")
    duplicates("service", [s.code for s in hall.service], "code", "service code")
    duplicates("service", [s.prefix for s in hall.service], "prefix", "ticket prefix")
    duplicates("counter", [c.number for c in hall.counter], "number", "counter number")
    duplicates("device", [d.name for d in hall.device], "name", "device name")
    duplicates("officer", [o.username for o in hall.officer], "username", "username")
    duplicates("zone", [z.code for z in hall.zone], "code", "zone code")
    # the full list, so that the index names the counter (not the n-th counter with an address)
    duplicates("counter", [c.bus_address for c in hall.counter], "bus_address", "bus address")

    for i, service in enumerate(hall.service):
        if service.agency not in agencies:
            problems.append((("service", i, "agency"), f"no agency has the code '{service.agency}'"))
    service_agency = {s.code: s.agency for s in hall.service}
    for i, counter in enumerate(hall.counter):
        if counter.agency not in agencies:
            problems.append((("counter", i, "agency"), f"no agency has the code '{counter.agency}'"))
        for code in counter.services:
            if code not in services:
                problems.append((("counter", i, "services"), f"no service has the code '{code}'"))
            elif service_agency[code] != counter.agency:
                problems.append(
                    (("counter", i, "services"),
                     f"service '{code}' belongs to agency '{service_agency[code]}', "
                     f"not to this counter's agency '{counter.agency}'")
                )
    zones = {z.code for z in hall.zone}
    for i, zone in enumerate(hall.zone):
        for code in zone.agencies:
            if code not in agencies:
                problems.append((("zone", i, "agencies"), f"no agency has the code '{code}'"))
    counters = {c.number for c in hall.counter}
    for i, device in enumerate(hall.device):
        if device.zone is not None and device.zone not in zones:
            problems.append((("device", i, "zone"), f"no zone has the code '{device.zone}'"))
        if device.counter is not None and device.counter not in counters:
            problems.append((("device", i, "counter"), f"no counter has the number {device.counter}"))
    for i, officer in enumerate(hall.officer):
        if officer.agency is not None and officer.agency not in agencies:
            problems.append((("officer", i, "agency"), f"no agency has the code '{officer.agency}'"))
        if officer.role == "officer" and officer.agency is None:
            problems.append((("officer", i, "agency"), "an officer must belong to an agency"))
    return problems


def parse_hall(text: str, source: str = "<config>") -> HallConfig:
    """Parse and validate a hall's TOML text; raise ConfigError listing every problem found."""
    lines = text.splitlines()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line_match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            source,
            [ConfigProblem("file", f"is not valid TOML: {exc}",
                           int(line_match.group(1)) if line_match else None)],
        ) from exc
    try:
        hall = HallConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            ConfigProblem(_where(tuple(e["loc"])), _friendly(dict(e)), _locate(lines, tuple(e["loc"])))
            for e in exc.errors()
        ]
        raise ConfigError(source, problems) from exc
    cross = _cross_check(hall)
    if cross:
        raise ConfigError(
            source, [ConfigProblem(_where(loc), message, _locate(lines, loc)) for loc, message in cross]
        )
    return hall


def hall_warnings(hall: HallConfig, text: str) -> list[ConfigProblem]:
    """What the hall loads with but will probably regret, pointed at like a problem: a ticket
    address phones cannot reach (loopback, a name that does not resolve)."""
    from server.public_address import warnings

    if hall.site.public_base_url is None:
        return []
    where = ("site", "public_base_url")
    line = _locate(text.splitlines(), where)
    return [ConfigProblem(_where(where), message, line) for message in warnings(hall.site.public_base_url)]


def load_hall(path: Path) -> HallConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [ConfigProblem("file", f"cannot be read: {exc.strerror}")]) from exc
    return parse_hall(text, str(path))


def sample_hall_path() -> Path:
    return Path(__file__).with_name("sample_hall.toml")
