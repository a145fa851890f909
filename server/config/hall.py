"""The hall's configuration: one TOML file describing a site, its agencies, services and counters.

The file uses flat arrays of tables (``[[agency]]``, ``[[service]]``, ``[[counter]]``…) that refer
to each other by code, so IT staff can add a service without re-indenting anything, and so a
problem can be pointed at by line number.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from common.protocol.models import BUS_ADDRESSES
from server.config.checks import CHECKS, RawHall
from server.config.problems import (
    ConfigError,
    ConfigProblem,
    Finding,
    Said,
    in_file_order,
    invalid,
    plain_words,
    problem,
)
from server.domain.notify import KINDS, TextError, check_text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_NAMES = {"mon": ("Senin", "Monday"), "tue": ("Selasa", "Tuesday"), "wed": ("Rabu", "Wednesday"),
             "thu": ("Kamis", "Thursday"), "fri": ("Jumat", "Friday"), "sat": ("Sabtu", "Saturday"),
             "sun": ("Minggu", "Sunday")}
HOURS_ADVICE = ("use HH:MM-HH:MM, several separated by commas, e.g. 08:00-15:00 or "
                "08:00-11:30, 13:00-15:00; an empty text \"\" means closed",
                "tulis JJ:MM-JJ:MM, beberapa dipisah koma, mis. 08:00-15:00 atau "
                "08:00-11:30, 13:00-15:00; teks kosong \"\" berarti tutup")
_HOURS_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]


class HoursError(ValueError):
    """An opening-hours text that cannot be read; ``str()`` is English, ``message_id`` Indonesian."""

    def __init__(self, message: str, message_id: str) -> None:
        super().__init__(message)
        self.message_id = message_id


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:00-11:30, 13:00-15:30"`` → opening windows; an empty string means closed."""
    windows: list[tuple[time, time]] = []
    for part in text.split(","):
        if not part.strip():
            continue
        window = part.strip()
        match = _HOURS_RANGE.match(part)
        if match is None:
            raise HoursError(f"'{window}' is not a time range like 08:00-15:00",
                             f"'{window}' bukan rentang jam seperti 08:00-15:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise HoursError(f"'{window}' has an impossible time (hours go to 24, minutes to 59)",
                             f"'{window}' berisi jam yang tidak ada (jam sampai 24, menit sampai 59)")
        start = time(h1, m1)
        end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
        if end <= start:
            raise HoursError(f"'{window}' ends before it starts",
                             f"'{window}' berakhir sebelum dimulai")
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in pairwise(windows):
        if start < end:
            raise HoursError(f"opening windows in '{text}' overlap",
                             f"jam buka di '{text}' saling tumpang tindih")
    return tuple(windows)


def _hours_text(text: str) -> str:
    try:
        parse_hours(text)
    except HoursError as exc:
        raise invalid(str(exc), exc.message_id, *HOURS_ADVICE) from exc
    return text


HoursText = Annotated[str, AfterValidator(_hours_text)]
_WORKING_WEEK: dict[Weekday, str] = {d: "08:00-15:00" for d in ("mon", "tue", "wed", "thu", "fri")}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DispatchSettings(_Strict):
    priority_policy: Literal["strict", "interleave"] = "interleave"
    regular_per_priority: int = Field(default=2, ge=1, le=50)
    max_consecutive_priority: int = Field(default=3, ge=1, le=50)
    sla_ageing: float = Field(default=1.0, gt=0, le=10)
    max_consecutive_booked: int = Field(default=2, ge=1, le=50)


class VisitSettings(_Strict):
    """Visits: one number for several services (see docs/hall-config.md)."""

    max_stops: int = Field(default=5, ge=1, le=10,
                           description="how many services one visit may hold")
    order: Literal["plan", "shortest"] = Field(
        default="plan", description="plan: in the order chosen; shortest: the shortest line now "
                                    "among the services whose needs are met")
    grace_minutes: int = Field(default=15, ge=1, le=240,
                               description="how long a no-show holds the rest of a visit")


class VoiceConfig(_Strict):
    """How calls are worded and whose voice says them (see docs/hall-config.md)."""

    numbers: Literal["digits", "words"] = "digits"
    pack: str | None = Field(default=None, min_length=1, max_length=400,
                             description="a folder of recorded clips, relative to the hall's file")
    agencies: dict[str, str] = Field(default_factory=dict,
                                     description="agency code → the name said after the counter")

    @field_validator("agencies")
    @classmethod
    def _spoken_names(cls, value: dict[str, str]) -> dict[str, str]:
        for code, name in value.items():
            if not name.strip() or len(name) > 60:
                raise ValueError(f"the spoken name of '{code}' must be 1 to 60 characters")
        return value


class NotifyConfig(_Strict):
    """How the hall reaches citizens who subscribed a phone (see docs/notifications.md)."""

    channel: Literal["none", "modem", "webhook"] = "none"
    modem_port: str | None = Field(default=None, min_length=1, max_length=300,
                                   description="the modem's serial port, e.g. /dev/serial/by-id/…")
    modem_baudrate: int = Field(default=115200, ge=1200, le=921600)
    modem_pin_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,63}$",
                                      description="the environment variable holding the SIM's PIN")
    webhook_url: str | None = Field(default=None, max_length=500)
    webhook_secret_env: str = Field(default="ANTREAN_WEBHOOK_SECRET",
                                    pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")
    ahead: int = Field(default=3, ge=0, le=100, description="people ahead when told to come")
    ahead_per_service: dict[str, Annotated[int, Field(ge=0, le=100)]] = Field(default_factory=dict)
    per_hour: int = Field(default=10, ge=1, le=1000, description="messages per phone per hour")
    retention_days: int = Field(default=7, ge=0, le=366,
                                description="days a subscribed phone number is kept")
    texts: dict[str, str] = Field(default_factory=dict)

    @field_validator("texts")
    @classmethod
    def _known_texts(cls, value: dict[str, str]) -> dict[str, str]:
        names = {*KINDS, *(f"{kind}_en" for kind in KINDS)}
        for key, text in value.items():
            if key not in names:
                raise invalid(f"no message is called '{key}'", f"tidak ada pesan bernama '{key}'",
                              f"use one of {', '.join(sorted(names))}",
                              f"pakai salah satu dari {', '.join(sorted(names))}")
            try:
                check_text(text)
            except TextError as exc:
                raise invalid(f"text '{key}': {exc}", f"teks '{key}': {exc}") from exc
            if not text.strip() or len(text) > 600:
                raise invalid(f"text '{key}' must be 1 to 600 characters",
                              f"teks '{key}' harus 1 sampai 600 karakter")
        return value

    @model_validator(mode="after")
    def _channel_complete(self) -> NotifyConfig:
        if self.channel == "modem" and not self.modem_port:
            raise invalid("channel = \"modem\" needs modem_port",
                          "channel = \"modem\" memerlukan modem_port",
                          "name the modem's port, e.g. modem_port = \"/dev/serial/by-id/…\"",
                          "tulis port modem, mis. modem_port = \"/dev/serial/by-id/…\"")
        if self.channel == "webhook":
            parts = urlsplit(self.webhook_url or "")
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise invalid("channel = \"webhook\" needs webhook_url, an http(s) address",
                              "channel = \"webhook\" memerlukan webhook_url, alamat http(s)")
        return self


class SiteOnlineConfig(_Strict):
    """The hall's rules for bookings and remote tickets (docs/online.md)."""

    check_in_before_minutes: int = Field(default=30, ge=0, le=24 * 60)
    check_in_after_minutes: int = Field(default=15, ge=0, le=24 * 60)
    remote_grace_minutes: int = Field(default=15, ge=0, le=24 * 60)
    retention_days: int = Field(default=30, ge=1, le=3650)


class ServiceOnlineConfig(_Strict):
    """How a service is taken from a phone: a remote number today, a booked slot, or both."""

    remote: bool = False
    booking: bool = False
    online_share: float = Field(default=0.0, ge=0, le=1)
    slot_minutes: int = Field(default=30, ge=5, le=240)
    slot_capacity: int | None = Field(default=None, ge=1, le=1000)
    booking_days_ahead: int = Field(default=7, ge=0, le=90)
    nik_required: bool = False
    active_per_person: int = Field(default=1, ge=1, le=10)


class SiteConfig(_Strict):
    code: Code
    name: str = Field(min_length=1, max_length=120)
    name_en: str | None = Field(default=None, max_length=120)
    timezone: str = "Asia/Jakarta"
    public_base_url: str | None = None  # None: the server's own address (server.public_address)
    always_open: bool = False
    hours: dict[Weekday, HoursText] = Field(default_factory=lambda: dict(_WORKING_WEEK))
    holidays: list[date] = Field(default_factory=list)
    running_text: str = ""
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    reservation_seconds: int = Field(default=120, ge=10, le=3600)
    voice: VoiceConfig = Field(default_factory=VoiceConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    online: SiteOnlineConfig = Field(default_factory=SiteOnlineConfig)
    visits: VisitSettings = Field(default_factory=VisitSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise invalid(f"unknown time zone '{value}'", f"zona waktu '{value}' tidak dikenal",
                          "use Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)",
                          "pakai Asia/Jakarta (WIB), Asia/Makassar (WITA) atau Asia/Jayapura (WIT)"
                          ) from exc
        return value

    @field_validator("public_base_url")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid(f"'{value}' is not an address", f"'{value}' bukan alamat",
                          "write the address phones in the hall reach, like "
                          "http://192.168.1.20:8000", "tulis alamat yang dijangkau ponsel di "
                          "gedung, seperti http://192.168.1.20:8000")
        return value.rstrip("/")
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
    fee_note_en: str = ""
    sla_minutes: int = Field(default=30, ge=1, le=24 * 60)
    service_minutes: float = Field(default=10, gt=0, le=24 * 60)
    daily_quota: int | None = Field(default=None, ge=1)
    hours: HoursText | None = None
    online: ServiceOnlineConfig = Field(default_factory=ServiceOnlineConfig)
    needs: list[Code] = Field(default_factory=list,
                              description="services a visit must finish before this one")


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
            if isinstance(weight, bool) or not 1 <= weight <= 100:
                raise invalid(f"the weight of '{code}' must be between 1 and 100",
                              f"bobot '{code}' harus antara 1 dan 100",
                              f"write e.g. {{ {code} = 1 }}; a higher weight is served first",
                              f"tulis mis. {{ {code} = 1 }}; bobot lebih tinggi dilayani dulu")
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
class HallCheck:
    """What checking a hall file found: the hall when it can be used, and every problem."""

    hall: HallConfig | None
    problems: list[ConfigProblem]

    @property
    def errors(self) -> list[ConfigProblem]:
        return [p for p in self.problems if p.severity == "error"]


_TABLES: dict[str, type[BaseModel]] = {
    "site": SiteConfig, "dispatch": DispatchSettings, "agency": AgencyConfig,
    "service": ServiceConfig, "counter": CounterConfig, "zone": ZoneConfig,
    "device": DeviceConfig, "officer": OfficerConfig,
}


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the block a location points into may hold (for "did you mean …?")."""
    tables = [str(part) for part in loc[:-1] if isinstance(part, str)]
    model: type[BaseModel] = HallConfig
    for name in tables:
        model = _TABLES.get(name, model)
    return list(model.model_fields)


def _schema_finding(error: dict[str, Any]) -> Finding:
    loc = tuple(error["loc"])
    said = plain_words(error, _known_keys(loc))
    if len(loc) == 1 and error.get("type") in ("missing", "too_short"):
        header = "[site]" if loc[0] == "site" else f"[[{loc[0]}]]"
        said = Said(f"the file has no {header}", f"berkas ini tidak punya {header}",
                    f"add {header} (`antrean config sample` prints a whole hall to start from)",
                    f"tambahkan {header} (`antrean config sample` mencetak contoh lengkap)")
    elif loc[:2] == ("site", "hours") and len(loc) > 2:
        day = str(loc[2])
        if loc[-1] == "[key]":
            said = replace(said, message=f"'{day}' is not a day",
                           message_id=f"'{day}' bukan nama hari",
                           advice="use mon, tue, wed, thu, fri, sat or sun",
                           advice_id="pakai mon, tue, wed, thu, fri, sat atau sun (Senin = mon)")
        elif day in DAY_NAMES:
            indonesian, english = DAY_NAMES[day]
            said = replace(said, message=f"{english}: {said.message}",
                           message_id=f"{indonesian}: {said.message_id}")
    return Finding(loc, said)


def check_hall(text: str, source: str = "<config>") -> HallCheck:
    """Every problem of a hall's TOML text in one pass: the schema's and the rules across tables.

    Only a file that is not TOML at all stops at its first mistake (the reader cannot go on)."""
    lines = text.splitlines()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line_match = re.search(r"line (\d+)", str(exc))
        return HallCheck(None, [ConfigProblem(
            "file", f"is not valid TOML: {exc}", int(line_match.group(1)) if line_match else None,
            f"bukan TOML yang sah: {exc}",
            'check the quotes, brackets and "=" on this line or the one above',
            'periksa tanda kutip, kurung dan "=" di baris ini atau di atasnya')])
    findings: list[Finding] = []
    hall: HallConfig | None = None
    try:
        hall = HallConfig.model_validate(raw)
    except ValidationError as exc:
        findings += [_schema_finding(dict(e)) for e in exc.errors()]
    raw_hall = RawHall(raw)
    for check in CHECKS:
        findings += check(raw_hall)
    problems = in_file_order(problem(lines, f) for f in findings)
    usable = hall if not any(p.severity == "error" for p in problems) else None
    return HallCheck(usable, problems)


def parse_hall(text: str, source: str = "<config>") -> HallConfig:
    """Parse and validate a hall's TOML text; raise ConfigError listing every problem found."""
    checked = check_hall(text, source)
    if checked.hall is None:
        raise ConfigError(source, checked.errors)
    return checked.hall


def check_file(path: Path) -> HallCheck:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return HallCheck(None, [ConfigProblem(
            "file", f"cannot be read: {exc.strerror}", None,
            f"tidak dapat dibaca: {exc.strerror}", "check the path and the file's permissions",
            "periksa jalur dan izin berkas")])
    checked = check_hall(text, str(path))
    pack = checked.hall.site.voice.pack if checked.hall is not None else None
    if pack is not None and not (path.parent / pack).is_dir():
        where = ("site", "voice", "pack")
        checked.problems.append(problem(text.splitlines(), Finding(where, Said(
            f"no folder {pack} beside this file: espeak-ng says every call",
            f"tidak ada folder {pack} di samping berkas ini: espeak-ng mengucapkan semua panggilan",
            "`antrean voice record DIR` makes a pack", "`antrean voice record DIR` membuat paket"),
            severity="warning")))
    return checked


def load_hall(path: Path) -> HallConfig:
    """The hall of a file; its voice pack's folder is taken relative to the file."""
    checked = check_file(path)
    if checked.hall is None:
        raise ConfigError(str(path), checked.errors)
    hall = checked.hall
    voice = hall.site.voice
    if voice.pack is not None and not Path(voice.pack).is_absolute():
        absolute = str((path.parent / voice.pack).resolve())
        hall = hall.model_copy(update={"site": hall.site.model_copy(
            update={"voice": voice.model_copy(update={"pack": absolute})})})
    return hall


def sample_hall_path() -> Path:
    return Path(__file__).with_name("sample_hall.toml")
