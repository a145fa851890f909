"""The kiosk's screens as a citizen sees them, portrait and landscape, Indonesian and English,
drawn from the sample hall's real catalogue under SDL's dummy driver.

Every screen is checked through the UI kit's report: no text cut, nothing beyond the screen's
edge, every text (agency tiles and buttons included) at WCAG AA contrast. Set
ANTREAN_SCREENSHOTS=DIR to keep the pictures for a person to look at.
"""

from __future__ import annotations

import asyncio
import os
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DEJAVU, FakeClock, need_system_package, running_hall

from common import ui

ui.use_headless_drivers()
import pygame  # noqa: E402

from common.protocol.models import CounterOut, ServiceOut, ServiceQueue  # noqa: E402
from kiosk import flow  # noqa: E402
from kiosk.app import catalog_loaded, sample_ticket, screenshot_states  # noqa: E402
from kiosk.screens import KioskView  # noqa: E402
from server.config.hall import sample_hall_path  # noqa: E402

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
MONDAY_MORNING = datetime(2026, 3, 2, 2, 5, tzinfo=UTC)  # 09.05 in Jakarta
HALL = "Mal Pelayanan Publik Kabupaten Sleman"


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[list[ServiceOut], list[CounterOut]]:
    async def fetch() -> tuple[list[ServiceOut], list[CounterOut]]:
        data = tmp_path_factory.mktemp("kiosk") / "data"
        url = f"sqlite:///{data / 'antrean.db'}"
        async with running_hall(url, data, sample_hall_path(), FakeClock(MONDAY_MORNING)) as hall:
            services = (await hall.client.get("/api/v1/sites/mpp-sleman/services")).json()
            counters = (await hall.client.get("/api/v1/sites/mpp-sleman/counters")).json()
        return ([ServiceOut.model_validate(s) for s in services],
                [CounterOut.model_validate(c) for c in counters])

    return asyncio.run(fetch())


@pytest.fixture(autouse=True)
def _pygame() -> None:
    # the screens are measured in the DejaVu fonts the apps use (pygame's own font differs)
    need_system_package(DEJAVU.exists(), "the DejaVu fonts", "fonts-dejavu-core")
    pygame.init()


def draw(state: flow.KioskState, size: tuple[int, int]
         ) -> tuple[pygame.Surface, list[ui.Target], ui.TextReport]:
    surface = pygame.Surface(size)
    with ui.watching_text() as report:
        targets = KioskView(HALL).draw(surface, state, MONDAY_MORNING)
    return surface, targets, report


def keep(surface: pygame.Surface, name: str) -> None:
    folder = os.environ.get("ANTREAN_SCREENSHOTS")
    if folder:
        ui.save_screenshot(surface, Path(folder) / f"{name}.png")


def all_states(catalogue: tuple[list[ServiceOut], list[CounterOut]]
               ) -> list[tuple[str, flow.KioskState]]:
    services, counters = catalogue
    return screenshot_states(services, counters, sample_ticket(services[0]))


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("orientation", list(SIZES))
def test_every_screen_is_whole_inside_and_readable(
        catalogue: tuple[list[ServiceOut], list[CounterOut]], orientation: str,
        language: str) -> None:
    for name, state in all_states(catalogue):
        surface, targets, report = draw(replace(state, language=language), SIZES[orientation])
        keep(surface, f"kiosk-{orientation}-{language}-{name}")
        where = f"{orientation} {language} {name}"
        assert report.cut == [], f"{where}: text cut: {report.cut}"
        assert report.outside == [], f"{where}: beyond the screen: {report.outside}"
        assert report.low_contrast() == [], f"{where}: below WCAG AA: {report.low_contrast()}"
        assert report.overlapping() == [], f"{where}: text over text: {report.overlapping()}"
        screen = surface.get_rect()
        assert all(screen.contains(t.rect) for t in targets), where
        assert report.drawn, where


def test_every_agency_tile_reads_at_wcag_aa(catalogue: tuple[list[ServiceOut], list[CounterOut]]
                                            ) -> None:
    services, counters = catalogue
    state = replace(flow.step(flow.KioskState(), catalog_loaded(services, counters))[0],
                    screen="agencies")
    for orientation, size in SIZES.items():
        _, _, report = draw(state, size)
        for agency in {s.agency.code: s.agency for s in services}.values():
            words = [t for t in report.drawn if t.text in agency.name]
            assert words, (orientation, agency.code)
            for text in words:
                assert ui.contrast(text.ink, text.background) >= ui.AA_CONTRAST, (
                    agency.code, agency.color, text)


def test_agencies_in_the_hall_files_order_and_how_long_each_line_is(
        catalogue: tuple[list[ServiceOut], list[CounterOut]]) -> None:
    services, counters = catalogue
    state = replace(flow.step(flow.KioskState(), catalog_loaded(services, counters))[0],
                    screen="agencies")
    raw = tomllib.loads(sample_hall_path().read_text(encoding="utf-8"))
    order = [a["code"] for a in raw["agency"]]
    _, targets, report = draw(state, SIZES["portrait"])
    assert [t.action for t in targets if t.action.startswith("agency:")] == \
        [f"agency:{code}" for code in order]  # Dukcapil first, as the file has it
    texts = [t.text for t in report.drawn]
    assert texts.count("Tidak ada antrean") == len(order)  # nobody waits anywhere yet
    assert not any("0 menunggu" in t or "±0" in t for t in texts)

    queues = (ServiceQueue(service="KTP", agency="DUKCAPIL", waiting=3, waiting_priority=0,
                           estimated_wait_minutes=12),
              ServiceQueue(service="SKCK-BARU", agency="POLRES", waiting=2, waiting_priority=0,
                           estimated_wait_minutes=0))
    busy, _ = flow.step(state, flow.QueuesChanged(queues))
    texts = [t.text for t in draw(busy, SIZES["portrait"])[2].drawn]
    assert "3 menunggu · ±12 menit" in texts  # a wait only when there is one
    assert "2 menunggu" in texts
    assert texts.count("Tidak ada antrean") == len(order) - 2


def test_the_landscape_ticket_screen_keeps_done_on_the_screen(
        catalogue: tuple[list[ServiceOut], list[CounterOut]]) -> None:
    states = dict(all_states(catalogue))
    surface, targets, _ = draw(states["5-ticket"], SIZES["landscape"])
    done = next(t.rect for t in targets if t.action == "done")
    assert surface.get_rect().contains(done) and done.height >= 90


def test_print_again_looks_like_a_button_once_the_printer_is_back(
        catalogue: tuple[list[ServiceOut], list[CounterOut]]) -> None:
    states = dict(all_states(catalogue))
    for size in SIZES.values():
        surface, targets, report = draw(states["6-print-failed"], size)
        assert "reprint" not in {t.action for t in targets}  # no grey button that does nothing
        assert any("setelah printer siap" in t.text for t in report.drawn)
        surface, targets, report = draw(states["6b-print-failed-printer-back"], size)
        reprint = next(t.rect for t in targets if t.action == "reprint")
        assert tuple(surface.get_at(reprint.center))[:3] != ui.DISABLED
        label = next(t for t in report.drawn if t.text == "Cetak ulang")
        assert not label.exempt and ui.contrast(label.ink, label.background) >= ui.AA_CONTRAST


def test_the_clock_the_whole_hall_name_and_readable_requirements(
        catalogue: tuple[list[ServiceOut], list[CounterOut]]) -> None:
    states = dict(all_states(catalogue))
    u = 1080 // 36
    _, _, report = draw(states["3b-services-few"], SIZES["portrait"])
    texts = [t.text for t in report.drawn]
    assert "09.05" in texts  # the hall's clock as the displays write it
    assert " ".join(t for t in texts if t in HALL) == HALL  # on two lines, not "Mal Pelayanan …"
    needs = [t for t in report.drawn if t.text.startswith("• ")]
    assert needs and all(t.size >= int(u * 0.9) and t.ink == ui.INK for t in needs)

    _, _, report = draw(states["4-priority"], SIZES["landscape"])
    service = next(s for s in catalogue[0] if s.code == states["4-priority"].service)
    listed = " ".join(t.text for t in report.drawn)
    assert all(need in listed for need in service.requirements)  # the full list, before issuing
    assert min(t.size for t in report.drawn if t.text.startswith("• ")) >= u


def test_in_english_the_fee_note_is_english(catalogue: tuple[list[ServiceOut], list[CounterOut]]
                                            ) -> None:
    services, counters = catalogue
    base = flow.step(flow.KioskState(), catalog_loaded(services, counters))[0]
    tax = next(s for s in services if s.code == "BAYAR-PAJAK")
    state = replace(base, screen="priority", agency=tax.agency.code, service=tax.code,
                    language="en")
    listed = " ".join(t.text for t in draw(state, SIZES["portrait"])[2].drawn)
    assert tax.fee_note_en.split()[0] in listed and "As regulated" in listed
    assert tax.fee_note.split(";")[0] not in listed


def test_the_english_ticket_names_the_agency_in_english(
        catalogue: tuple[list[ServiceOut], list[CounterOut]]) -> None:
    states = dict(all_states(catalogue))
    state = replace(states["5-ticket"], language="en")
    texts = [t.text for t in draw(state, SIZES["portrait"])[2].drawn]
    assert "Civil Registry Office" in texts
    assert "Dinas Kependudukan dan Pencatatan Sipil" not in texts
