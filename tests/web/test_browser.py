"""The pages in a real headless Chromium (Debian's package) against a real server process.

Set ANTREAN_SCREENSHOTS=DIR to keep screenshots of every page for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import KIOSK, PASSWORDS, ServerProcess, need_system_package

CHROMIUM = os.environ.get("ANTREAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ELEMENTS = ("requirements", "procedure", "time", "cost", "product", "competence", "behaviour",
            "complaints", "facilities")


def _need_chromium() -> None:
    need_system_package(bool(shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()),
                        f"Chromium at {CHROMIUM}", "chromium")


@pytest.fixture
def browser() -> Iterator[object]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()



def _shot(page: object, name: str) -> None:
    folder = os.environ.get("ANTREAN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _api(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/api/v1", timeout=10)


def _login(api: httpx.Client, username: str) -> dict[str, str]:
    token = api.post("/auth/token", json={"username": username,
                                          "password": PASSWORDS[username]}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _counter(api: httpx.Client, number: int) -> int:
    return next(c["id"] for c in api.get("/sites/TEST/counters").json() if c["number"] == number)


def test_tracking_page_on_a_phone_follows_the_ticket(browser: object, server: ServerProcess
                                                     ) -> None:
    with _api(server) as api:
        for _ in range(2):
            api.post("/sites/TEST/tickets", json={"service": "KTP"}, headers=KIOSK)
        ticket = api.post("/sites/TEST/tickets", json={"service": "KTP"}, headers=KIOSK).json()
        context = browser.new_context(viewport={"width": 360, "height": 740},  # type: ignore[attr-defined]
                                      device_scale_factor=2, is_mobile=True)
        page = context.new_page()
        page.goto(f"{server.url}/t/{ticket['tracking_code']}")
        assert page.text_content("[data-field=number]") == "A-003"
        assert page.text_content("[data-field=people_ahead]") == "2"
        assert "Menunggu" in (page.text_content("[data-field=status]") or "")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, "the page must not scroll sideways on a phone"
        _shot(page, "track-waiting-360")

        siti = _login(api, "siti")
        counter = _counter(api, 1)
        api.post(f"/counters/{counter}/open", headers=siti)
        api.post(f"/counters/{counter}/call-next", headers=siti)  # A-001 leaves the line
        page.wait_for_function(
            "document.querySelector('[data-field=people_ahead]').textContent === '1'",
            timeout=15_000)
        api.post(f"/counters/{counter}/call-next", headers=siti)
        api.post(f"/counters/{counter}/call-next", headers=siti)  # A-003 is called
        page.wait_for_selector("[data-field=counter]", timeout=15_000)  # the page reloaded
        assert "Loket 1" in (page.text_content("[data-field=counter]") or "")
        _shot(page, "track-called-360")

        api.post(f"/tickets/{ticket['id']}/finish", headers=siti)
        page.reload()
        for element in ELEMENTS:
            page.check(f"input[name={element}][value='4']", force=True)
        page.fill("textarea[name=comment]", "Pelayanan cepat")
        _shot(page, "track-survey-360")
        page.click("form button[type=submit]")
        page.wait_for_selector(".thanks")
        assert api.get(f"/tickets/{ticket['tracking_code']}/survey").json()["index"] == 100.0

        page.click("a.lang")
        page.wait_for_selector("text=Finished")
        _shot(page, "track-finished-en-360")

        page.goto(f"{server.url}/layanan/TEST")
        card = page.locator("[data-service=KTP]")
        assert "Fotokopi Kartu Keluarga" in (card.text_content() or "")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        _shot(page, "catalogue-360")
        context.close()


def test_manager_dashboard_reads_figures_and_goes_live(browser: object, server: ServerProcess
                                                       ) -> None:
    with _api(server) as api:
        siti = _login(api, "siti")
        counter = _counter(api, 1)
        api.post(f"/counters/{counter}/open", headers=siti)
        for service in ("KTP", "KTP", "KK", "PKB"):
            api.post("/sites/TEST/tickets", json={"service": service}, headers=KIOSK)
        called = api.post(f"/counters/{counter}/call-next", headers=siti).json()
        api.post(f"/tickets/{called['id']}/start", headers=siti)
        api.post(f"/tickets/{called['id']}/finish", headers=siti)
        api.post(f"/tickets/{called['tracking_code']}/survey", json=dict.fromkeys(ELEMENTS, 3))

        page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page.goto(f"{server.url}/dashboard")
        assert page.url.endswith("/dashboard/login")
        page.fill("input[name=username]", "manajer")
        page.fill("input[name=password]", "salah")
        page.click("button[type=submit]")
        assert page.locator(".error").is_visible()
        page.fill("input[name=username]", "manajer")
        page.fill("input[name=password]", PASSWORDS["manajer"])
        page.click("button[type=submit]")
        page.wait_for_selector("#kpi")
        assert page.text_content("[data-kpi=issued]") == "4"
        assert page.text_content("[data-kpi=served]") == "1"
        assert page.text_content("[data-kpi=sla]") == "100%"
        assert (page.text_content("[data-kpi=ikm]") or "").startswith("75.00")
        assert page.text_content("[data-now=waiting]") == "3"
        assert page.text_content("[data-now=open]") == "1"
        assert page.locator("svg.chart").count() == 3
        assert page.locator("#kpi-table tr[data-key=KTP] td").nth(1).text_content() == "2"
        _shot(page, "dashboard")

        api.post("/sites/TEST/tickets", json={"service": "PKB"}, headers=KIOSK)
        page.wait_for_function("document.querySelector('[data-now=waiting]').textContent === '4'",
                               timeout=15_000)
        with page.expect_download() as download:
            page.click("text=Data tiket (CSV)")
        lines = Path(download.value.path()).read_text().splitlines()
        assert lines[0].startswith("service_day,number") and len(lines) == 6
        page.select_option("select[name=group_by]", "officer")
        page.click("form.filters button")
        page.wait_for_selector("#kpi-table tr[data-key=siti]")
        _shot(page, "dashboard-officers")


def _manager_page(browser: object, server: ServerProcess, width: int) -> object:
    """The dashboard, logged in, in a browser set to US English in New York: the page must
    still write the hall's dates and time, not the browser's."""
    context = browser.new_context(viewport={"width": width, "height": 900},  # type: ignore[attr-defined]
                                  locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{server.url}/dashboard/login")
    page.fill("input[name=username]", "manajer")
    page.fill("input[name=password]", PASSWORDS["manajer"])
    page.click("button[type=submit]")
    page.wait_for_selector("#kpi")
    return page


def test_the_dashboard_at_1280_shows_every_column_and_the_halls_dates(
        browser: object, server: ServerProcess) -> None:
    with _api(server) as api:
        siti = _login(api, "siti")
        counter = _counter(api, 1)
        api.post(f"/counters/{counter}/open", headers=siti)
        for service in ("KTP", "KTP", "KK", "PKB"):
            api.post("/sites/TEST/tickets", json={"service": service}, headers=KIOSK)
        called = api.post(f"/counters/{counter}/call-next", headers=siti).json()
        api.post(f"/tickets/{called['id']}/finish", headers=siti)
        api.post(f"/tickets/{called['tracking_code']}/survey", json=dict.fromkeys(ELEMENTS, 3))
    for width in (1280, 1440):
        page = _manager_page(browser, server, width)
        overflow = page.evaluate("""() => [document.documentElement.scrollWidth,
            ...[...document.querySelectorAll('.scroll')].map(e => e.scrollWidth - e.clientWidth)]""")
        assert overflow[0] <= width and max(overflow[1:]) <= 0, overflow  # no sideways scroll
        heads = page.locator("#kpi-table th")
        for name in ("SLA", "Di luar urutan", "IKM"):
            box = heads.filter(has_text=name).bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, name
        _shot(page, f"dashboard-{width}")
        page.context.close()

    page = _manager_page(browser, server, 1280)
    today = page.input_value("input[name=date_from]")
    day, month, year = (int(part) for part in today.split("/"))  # DD/MM/YYYY, not MM/DD/YYYY
    assert len(today) == 10 and 1 <= month <= 12 and year >= 2025
    months = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
              "September", "Oktober", "November", "Desember")
    assert page.text_content("[data-field=period]") == f"{day} {months[month - 1]} {year}"
    clock = page.text_content("[data-now=at]") or ""
    page.wait_for_function("document.querySelector('[data-now=at]').textContent !== "
                           f"{clock!r}", timeout=15_000)  # the script refreshed it
    refreshed = page.text_content("[data-now=at]") or ""
    hour = int(refreshed.split(".")[0])
    jakarta = datetime.now(ZoneInfo("Asia/Jakarta")).hour
    assert len(refreshed) == 8 and refreshed.count(".") == 2 and hour in (jakarta, (jakarta + 1) % 24)
    # the hall's way of writing a date is what the form takes back
    page.fill("input[name=date_from]", f"01/{month:02d}/{year}")
    page.click("form.filters button")
    page.wait_for_selector("#kpi")
    assert page.text_content("[data-field=period]") == (
        f"1 {months[month - 1]} {year}" + ("" if day == 1 else f" – {day} {months[month - 1]} {year}"))
    assert page.input_value("input[name=date_from]") == f"01/{month:02d}/{year}"

    chart = page.locator("figure svg.chart").first
    labels = chart.locator("text.lbl").all_text_contents()
    assert "menit" in labels and "tiket" in labels and "jam" in labels
    assert {"0", "1"} <= set(labels)  # round steps on both axes, from 0
    _shot(page, "dashboard-1280-filtered")
    page.context.close()


def test_the_english_tracking_page_names_the_agency_in_english(
        browser: object, server: ServerProcess) -> None:
    with _api(server) as api:
        ticket = api.post("/sites/TEST/tickets", json={"service": "KTP"}, headers=KIOSK).json()
    context = browser.new_context(viewport={"width": 360, "height": 740},  # type: ignore[attr-defined]
                                  device_scale_factor=2, is_mobile=True, locale="en-US",
                                  timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{server.url}/t/{ticket['tracking_code']}?lang=en")
    assert page.text_content("[data-field=agency]") == "Civil Registry Office"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.wait_for_timeout(5_500)  # one refresh by the page's script
    updated = page.text_content("[data-field=updated]") or ""
    jakarta = datetime.now(ZoneInfo("Asia/Jakarta")).hour
    assert int(updated.split(".")[0]) in (jakarta, (jakarta + 1) % 24) and len(updated) == 5
    _shot(page, "track-waiting-en-360")
    page.goto(f"{server.url}/t/{ticket['tracking_code']}?lang=id")
    assert page.text_content("[data-field=agency]") == "Dinas Kependudukan dan Pencatatan Sipil"
    context.close()
