"""The ticket layout is a pure function: check what it puts on paper without a printer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from common.protocol.models import TicketOut
from hardware.printer.driver import sample_ticket
from hardware.printer.layout import (
    PAPER_58,
    PAPER_80,
    Cut,
    Paper,
    Qr,
    Text,
    TicketData,
    layout_ticket,
    local_time_text,
    wait_text,
)


def sample() -> TicketData:
    return sample_ticket(hall_name="Mal Pelayanan Publik Kota Contoh",
                         service_name="Perekaman & Pencetakan KTP-el",
                         requirements=("Fotokopi Kartu Keluarga", "Surat pengantar RT/RW (asli)"),
                         base_url="https://antrean.example.go.id/",
                         issued_at=datetime(2025, 5, 12, 1, 31, tzinfo=UTC))


def _texts(ops: list) -> list[Text]:
    return [op for op in ops if isinstance(op, Text)]


@pytest.mark.parametrize("paper", [PAPER_58, PAPER_80])
def test_every_line_fits_the_paper(paper: Paper) -> None:
    ops = layout_ticket(sample(), paper)
    for op in _texts(ops):
        assert len(op.text) * op.width <= paper.columns, op


@pytest.mark.parametrize("paper", [PAPER_58, PAPER_80])
def test_number_is_the_largest_text_and_centered(paper: Paper) -> None:
    ops = layout_ticket(sample(), paper)
    number = next(op for op in _texts(ops) if op.text == "A-012")
    assert number.align == "center" and number.bold
    assert number.width >= 4 and number.height >= 4
    assert all(op.width <= number.width for op in _texts(ops))


def test_ticket_contents_in_order() -> None:
    ops = layout_ticket(sample(), PAPER_80)
    lines = [op.text for op in _texts(ops)]
    assert "Dinas Kependudukan dan Pencatatan Sipil" in lines
    assert "Perekaman & Pencetakan KTP-el" in lines
    assert " PRIORITAS: LANSIA " in lines
    assert "Senin, 12 Mei 2025 08.31 WIB" in lines
    assert "Antrean di depan Anda: 4" in lines
    assert "Perkiraan tunggu: ± 25 menit" in lines
    assert "- Fotokopi Kartu Keluarga" in lines
    assert [op.data for op in ops if isinstance(op, Qr)] == ["https://antrean.example.go.id/t/CONTOH2345"]
    assert isinstance(ops[-1], Cut) and sum(isinstance(op, Cut) for op in ops) == 1
    assert lines.index("A-012") < lines.index(" PRIORITAS: LANSIA ")


def test_no_priority_mark_without_priority_and_no_qr_without_url() -> None:
    data = TicketData(
        hall_name="MPP",
        agency_name="BPJS",
        service_name="Informasi",
        number="B-003",
        issued_at=datetime(2025, 1, 1, tzinfo=UTC),
        timezone=ZoneInfo("Asia/Jakarta"),
    )
    ops = layout_ticket(data, PAPER_58)
    assert not any("PRIORITAS" in op.text for op in _texts(ops))
    assert not any(isinstance(op, Qr) for op in ops)
    assert not any("depan Anda" in op.text for op in _texts(ops))


def test_long_requirement_wraps_with_hanging_indent() -> None:
    data = sample()
    long = "Surat keterangan pindah dari daerah asal yang sudah dilegalisir oleh Disdukcapil"
    ops = layout_ticket(TicketData(**{**data.__dict__, "requirements": (long,)}), PAPER_58)
    lines = [op.text for op in _texts(ops)]
    start = lines.index("Siapkan persyaratan:") + 1
    assert lines[start].startswith("- Surat")
    assert lines[start + 1].startswith("  ") and not lines[start + 1].startswith("  -")


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Jakarta", "Senin, 12 Mei 2025 08.31 WIB"),
        ("Asia/Makassar", "Senin, 12 Mei 2025 09.31 WITA"),
        ("Asia/Jayapura", "Senin, 12 Mei 2025 10.31 WIT"),
    ],
)
def test_local_time_in_the_halls_zone(zone: str, expected: str) -> None:
    moment = datetime(2025, 5, 12, 1, 31, tzinfo=UTC)
    assert local_time_text(moment, ZoneInfo(zone)) == expected


def test_local_time_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        local_time_text(datetime(2025, 5, 12, 1, 31), ZoneInfo("Asia/Jakarta"))


def test_wait_text() -> None:
    assert wait_text(0) == "segera"
    assert wait_text(45) == "± 45 menit"
    assert wait_text(60) == "± 1 jam"
    assert wait_text(95) == "± 1 jam 35 menit"


def test_from_ticket_out() -> None:
    ticket = TicketOut(
        id=7, number="C-101", tracking_code="XYZ", tracking_url="https://h/t/XYZ", site="bdg",
        service="PAS", service_name="Paspor Baru", service_name_en=None, agency="IMI",
        agency_name="Kantor Imigrasi", status="waiting", priority=False, priority_reason=None,
        channel="kiosk", service_day=date(2025, 5, 12),
        issued_at=datetime(2025, 5, 12, 23, 59, tzinfo=UTC), reserve_expires_at=None,
        people_ahead=0, estimated_wait_minutes=0, counter_id=None, counter_number=None,
        counter_name=None, call_count=0, called_at=None, started_at=None, finished_at=None,
    )  # fmt: skip
    data = TicketData.from_ticket(
        ticket, hall_name="MPP Kota Bandung", timezone="Asia/Jakarta", requirements=["Paspor lama"]
    )
    lines = [op.text for op in _texts(layout_ticket(data, PAPER_80))]
    assert "C-101" in lines and "Kantor Imigrasi" in lines
    assert "Selasa, 13 Mei 2025 06.59 WIB" in lines  # issued after midnight local time
    assert "Perkiraan tunggu: segera" in lines


def test_a_long_priority_mark_wraps_on_58_mm_and_keeps_one_line_on_80() -> None:
    data = replace(sample(), priority=True, priority_reason="disability")
    narrow = [op.text.strip() for op in layout_ticket(data, PAPER_58)
              if isinstance(op, Text) and op.invert]
    assert narrow == ["PRIORITAS", "PENYANDANG DISABILITAS"]
    wide = [op.text.strip() for op in layout_ticket(data, PAPER_80)
            if isinstance(op, Text) and op.invert]
    assert wide == ["PRIORITAS: PENYANDANG DISABILITAS"]


def test_a_visit_prints_its_plan_with_each_stops_requirements(tmp_path: Path) -> None:
    """One number, three agencies: rendered through the simulator's paper, the plan reads in
    order, each stop with what to bring there."""
    from common.protocol.models import VisitOut, VisitStopOut
    from hardware.printer.driver import TicketPrinter
    from hardware.printer.render import render, render_png

    def stop(position: int, service: str, name: str, agency: str,
             requirements: list[str]) -> VisitStopOut:
        return VisitStopOut(position=position, service=service, service_name=name,
                            service_name_en=None, agency=agency, agency_name=agency,
                            agency_name_en=None, requirements=requirements,
                            requirements_en=[], status="waiting" if position == 1 else "pending",
                            joined_at=None, called_at=None, finished_at=None)

    issued = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    ticket = TicketOut(
        id=1, number="A-001", tracking_code="ABCDEFGHJK", tracking_url="http://hall/t/ABCDEFGHJK",
        site="TEST", service="KTP", service_name="KTP", service_name_en=None, agency="DUKCAPIL",
        agency_name="Dukcapil", status="waiting", priority=False, priority_reason=None,
        channel="kiosk", service_day=issued.date(), issued_at=issued, reserve_expires_at=None,
        people_ahead=0, estimated_wait_minutes=0, counter_id=None, counter_number=None,
        counter_name=None, call_count=0, called_at=None, started_at=None, finished_at=None,
        visit=VisitOut(status="active", held_until=None, current=1, next_service="BPJS", stops=[
            stop(1, "KTP", "KTP", "Dukcapil", ["Fotokopi Kartu Keluarga"]),
            stop(2, "BPJS", "Kartu BPJS", "BPJS Kesehatan", ["KTP", "Kartu Keluarga"]),
            stop(3, "NPWP", "NPWP", "Kantor Pajak", ["KTP"])]))
    data = TicketData.from_ticket(ticket, hall_name="MPP Uji", timezone="Asia/Jakarta")
    printer = TicketPrinter("sim://?paper=80")
    assert printer.print_ticket(data).state == "ok"
    raw = printer.device.simulator.tickets[0]  # type: ignore[attr-defined]
    lines = [line.strip() for line in render(raw, 576).text_lines]
    start = lines.index("Rencana kunjungan:")
    assert lines[start + 1:start + 7] == [
        "1. KTP di Dukcapil", "- Fotokopi Kartu Keluarga",
        "2. Kartu BPJS di BPJS Kesehatan", "- KTP", "- Kartu Keluarga",
        "3. NPWP di Kantor Pajak"]
    assert "A-001" in lines
    assert "Siapkan persyaratan:" not in lines  # each stop says its own
    picture = render_png(raw, tmp_path / "visit-ticket.png", 576)
    assert picture.stat().st_size > 0
