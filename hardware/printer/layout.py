"""The ticket on paper: a pure function from ticket data to a short list of print operations.

Nothing here talks to a printer. ``layout_ticket`` decides what goes where; the driver in
``hardware.printer.driver`` turns the operations into ESC/POS bytes, and the renderer in
``hardware.printer.render`` turns those bytes back into a picture.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from common.formats import clock_time, long_date
from common.protocol.models import TicketOut

Align = Literal["left", "center", "right"]

#: Font A on ESC/POS thermal printers is 12 x 24 dots.
CHAR_WIDTH_DOTS = 12
CHAR_HEIGHT_DOTS = 24


@dataclass(frozen=True)
class Paper:
    """A roll width: how many dots a line has and how many font-A characters fit in it."""

    width_mm: int
    dots: int
    columns: int

    @classmethod
    def of(cls, width_mm: int) -> Paper:
        try:
            return PAPERS[width_mm]
        except KeyError:
            raise ValueError(f"paper width must be 58 or 80 mm, not {width_mm}") from None


PAPER_58 = Paper(width_mm=58, dots=384, columns=32)
PAPER_80 = Paper(width_mm=80, dots=576, columns=48)
PAPERS = {58: PAPER_58, 80: PAPER_80}


# The print operations. Each is a small frozen value so a layout can be compared in tests.
@dataclass(frozen=True)
class Text:
    """One printed line (no newline inside); ``width``/``height`` are character multipliers."""

    text: str
    align: Align = "left"
    bold: bool = False
    width: int = 1
    height: int = 1
    invert: bool = False


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Qr:
    """A QR code; ``module_dots`` is the size of one QR module in printer dots."""

    data: str
    module_dots: int = 6


@dataclass(frozen=True)
class Logo:
    path: Path
    max_width_dots: int


@dataclass(frozen=True)
class Cut:
    pass


PrintOp = Text | Feed | Qr | Logo | Cut


PRIORITY_LABELS: dict[str, str] = {
    "disability": "Penyandang disabilitas",
    "elderly": "Lansia",
    "pregnant": "Ibu hamil",
    "child": "Anak-anak",
    "disaster_victim": "Korban bencana",
}



@dataclass(frozen=True)
class PlannedStop:
    """One stop of a visit as printed: the service, its agency and what to bring there."""

    service_name: str
    agency_name: str
    requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketData:
    """Everything printed on one ticket. Build it from a ``TicketOut`` with ``from_ticket``."""

    hall_name: str
    agency_name: str
    service_name: str
    number: str
    issued_at: datetime
    timezone: ZoneInfo
    priority: bool = False
    priority_reason: str | None = None
    people_ahead: int | None = None
    estimated_wait_minutes: int | None = None
    tracking_url: str = ""
    requirements: tuple[str, ...] = ()
    footer: str = "Terima kasih. Simpan tiket ini sampai layanan selesai."
    logo: Path | None = None
    booked_slot: datetime | None = None  # a checked-in booking's slot
    booked_online: bool = False  # a booking or a remote number, checked in
    stops: tuple[PlannedStop, ...] = ()  # a visit of several services: its plan, in order

    @classmethod
    def from_ticket(
        cls,
        ticket: TicketOut,
        *,
        hall_name: str,
        timezone: str | ZoneInfo,
        requirements: Sequence[str] = (),
        footer: str | None = None,
        logo: Path | None = None,
        checked_in: bool = False,
    ) -> TicketData:
        """``checked_in``: the ticket of a booking or a remote number, checked in at the
        kiosk: it is marked as booked online."""
        zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        extra: dict[str, Any] = {"footer": footer} if footer is not None else {}
        if ticket.visit is not None and len(ticket.visit.stops) > 1:
            extra["stops"] = tuple(
                PlannedStop(stop.service_name, stop.agency_name, tuple(stop.requirements))
                for stop in ticket.visit.stops)
        return cls(
            hall_name=hall_name,
            agency_name=ticket.agency_name,
            service_name=ticket.service_name,
            number=ticket.number,
            issued_at=ticket.issued_at,
            timezone=zone,
            priority=ticket.priority,
            priority_reason=ticket.priority_reason,
            people_ahead=ticket.people_ahead,
            estimated_wait_minutes=ticket.estimated_wait_minutes,
            tracking_url=ticket.tracking_url,
            requirements=tuple(requirements),
            logo=logo,
            booked_slot=ticket.slot_at,
            booked_online=checked_in,
            **extra,
        )


def local_time_text(moment: datetime, zone: ZoneInfo) -> str:
    """``2025-05-12 01:31 UTC`` in Asia/Jakarta → "Senin, 12 Mei 2025 08.31 WIB"."""
    if moment.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware (UTC)")
    local = moment.astimezone(zone)
    abbreviation = local.tzname() or ""
    if abbreviation[:1] in "+-":  # zones without a letter abbreviation
        abbreviation = f"UTC{abbreviation}"
    return (
        f"{long_date(local, 'id')} {clock_time(local)} {abbreviation}"
    ).rstrip()


def wait_text(minutes: int) -> str:
    if minutes <= 0:
        return "segera"
    if minutes < 60:
        return f"± {minutes} menit"
    hours, rest = divmod(minutes, 60)
    return f"± {hours} jam {rest} menit" if rest else f"± {hours} jam"


def number_size(number: str, paper: Paper) -> int:
    """The largest character multiplier (1–6) at which the ticket number fits on one line."""
    return max(1, min(6, paper.columns // max(1, len(number))))


def _wrapped(
    text: str, columns: int, *, align: Align = "left", bold: bool = False, size: int = 1
) -> list[Text]:
    lines = textwrap.wrap(text, columns, break_long_words=True, break_on_hyphens=False)
    return [Text(line, align=align, bold=bold, width=size, height=size) for line in lines]


def _hanging(lead: str, text: str, columns: int, *, bold: bool = False) -> list[Text]:
    """``lead`` then ``text``, its further lines indented under the text."""
    lines = textwrap.wrap(text, columns - len(lead), break_on_hyphens=False) or [""]
    return [Text(f"{lead}{lines[0]}", bold=bold),
            *[Text(" " * len(lead) + line, bold=bold) for line in lines[1:]]]


def layout_ticket(data: TicketData, paper: Paper = PAPER_80) -> list[PrintOp]:
    """The print operations for one ticket, top to bottom, ending with a cut."""
    cols = paper.columns
    rule = Text("-" * cols)
    ops: list[PrintOp] = []
    if data.logo is not None:
        ops.append(Logo(data.logo, max_width_dots=paper.dots * 2 // 3))
    # The hall name at double height and width when it fits on one or two lines.
    if len(data.hall_name) <= cols:
        ops += _wrapped(data.hall_name, cols // 2, align="center", bold=True, size=2)
    else:
        ops += _wrapped(data.hall_name, cols, align="center", bold=True)
    ops += _wrapped(data.agency_name, cols, align="center")
    ops.append(rule)
    ops += _wrapped(data.service_name, cols, align="center", bold=True)
    ops.append(Text("Nomor Antrean", align="center"))
    size = number_size(data.number, paper)
    ops.append(Text(data.number, align="center", bold=True, width=size, height=size))
    if data.priority:
        label = PRIORITY_LABELS.get(data.priority_reason or "", "")
        mark = f" PRIORITAS: {label.upper()} " if label else " PRIORITAS "
        # A narrow roll cannot hold the whole mark on one line: the group goes on a second.
        lines = [mark] if len(mark) <= cols else [" PRIORITAS ", f" {label.upper()} "]
        ops += [Text(line[:cols], align="center", bold=True, invert=True) for line in lines]
    if data.booked_online:
        mark = " TERDAFTAR ONLINE "
        if data.booked_slot is not None:
            mark += f"{clock_time(data.booked_slot.astimezone(data.timezone))} "
        ops.append(Text(mark[:cols], align="center", bold=True, invert=True))
    ops.append(Feed())
    ops.append(Text(local_time_text(data.issued_at, data.timezone), align="center"))
    if data.people_ahead is not None:
        ops.append(Text(f"Antrean di depan Anda: {data.people_ahead}", align="center"))
    if data.estimated_wait_minutes is not None:
        ops.append(Text(f"Perkiraan tunggu: {wait_text(data.estimated_wait_minutes)}", align="center"))
    if data.tracking_url:
        ops.append(rule)
        ops.append(Qr(data.tracking_url, module_dots=6 if paper.width_mm == 58 else 7))
        ops += _wrapped("Pindai untuk memantau antrean Anda", cols, align="center")
    if data.stops:
        # One number, several agencies: the way through the hall, each stop with what it needs.
        ops.append(rule)
        ops.append(Text("Rencana kunjungan:", bold=True))
        for position, stop in enumerate(data.stops, start=1):
            ops += _hanging(f"{position}. ", f"{stop.service_name} di {stop.agency_name}", cols,
                            bold=True)
            for item in stop.requirements:
                ops += _hanging("   - ", item, cols)
    elif data.requirements:
        ops.append(rule)
        ops.append(Text("Siapkan persyaratan:", bold=True))
        for item in data.requirements:
            lines = textwrap.wrap(item, cols - 2, break_on_hyphens=False) or [""]
            ops.append(Text(f"- {lines[0]}"))
            ops += [Text(f"  {line}") for line in lines[1:]]
    if data.footer:
        ops.append(rule)
        ops += _wrapped(data.footer, cols, align="center")
    ops.append(Cut())
    return ops
