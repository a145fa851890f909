"""The region's dashboard in a real headless Chromium against real processes: a centre, a hall
that is live and a hall whose link went down. The live hall shows its queue now; the other its
figures as history, "terakhir terhubung …", and its live queue as not available.

Set ANTREAN_SCREENSHOTS=DIR to keep screenshots for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, REQUIRE_SERVICES, SMALL_HALL, far_from_midnight
from procs import Served, antrean

CHROMIUM = os.environ.get("ANTREAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser() -> Iterator[object]:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        message = f"no Chromium at {CHROMIUM} (install Debian's chromium package)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " and ANTREAN_REQUIRE_SERVICES=1")
        pytest.skip(message)
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


def _hall(code: str, name: str, folder: Path) -> Path:
    plain = folder / f"{code}-plain.toml"
    plain.write_text(SMALL_HALL.read_text(encoding="utf-8").replace(
        'code = "TEST"', f'code = "{code}"').replace(
        'name = "Mal Pelayanan Publik Uji"', f'name = "{name}"'), encoding="utf-8")
    return far_from_midnight(plain, folder / f"{code}.toml")


def _a_morning(site: Served, code: str, tickets: int) -> None:
    api = httpx.Client(base_url=site.url + "/api/v1", timeout=10)
    siti = site.login("siti", "rahasia-siti")
    counters = api.get(f"/sites/{code}/counters").json()
    counter = next(c["id"] for c in counters if c["number"] == 1)
    assert api.post(f"/counters/{counter}/open", headers=siti).status_code == 200
    for i in range(tickets):
        issued = api.post(f"/sites/{code}/tickets", json={"service": ("KTP", "KK")[i % 2]},
                          headers=KIOSK)
        assert issued.status_code == 201, issued.text
    for _ in range(2):
        called = api.post(f"/counters/{counter}/call-next", headers=siti).json()
        api.post(f"/tickets/{called['id']}/start", headers=siti)
        api.post(f"/tickets/{called['id']}/finish", headers=siti)
        api.post(f"/tickets/{called['tracking_code']}/survey",
                 json=dict.fromkeys(("requirements", "procedure", "time", "cost", "product",
                                     "competence", "behaviour", "complaints", "facilities"), 4))


@pytest.mark.slow
def test_the_region_page_shows_each_hall_as_fresh_as_it_is(browser: object,
                                                           tmp_path: Path) -> None:
    halls = {"MPP-DEPOK": _hall("MPP-DEPOK", "MPP Mini Depok", tmp_path),
             "UNIT-1": _hall("UNIT-1", "Unit Keliling 1", tmp_path)}
    centre_dir = tmp_path / "centre"
    tokens = {}
    for code, path in halls.items():
        added = antrean("region", "add", code, "--hall", str(path), "--data-dir",
                        str(centre_dir))
        assert added.returncode == 0, added.stderr
        tokens[code] = added.stdout.strip().splitlines()[-1]
    assert antrean("officer", "add", "kabid", "--name", "Kepala Bidang", "--role", "manager",
                   "--password-stdin", "--data-dir", str(centre_dir),
                   stdin="rahasia-kabid\n").returncode == 0
    centre = Served(centre_dir, env={"ANTREAN_REGION_LIVE_SECONDS": "3"}).start()
    sites = {code: Served(tmp_path / code, ["--config", str(path), "--upstream", centre.url],
                          env={"ANTREAN_SITE_TOKEN": tokens[code],
                               "ANTREAN_UPLINK_SECONDS": "0.3"})
             for code, path in halls.items()}
    try:
        for code, site in sites.items():
            site.start()
            _a_morning(site, code, 7 if code == "MPP-DEPOK" else 4)
        for site in sites.values():
            deadline = time.monotonic() + 60
            while (status := site.get("/api/v1/uplink"))["state"] != "caught_up" or \
                    status["backlog"]:
                assert time.monotonic() < deadline, status
                time.sleep(0.2)
        sites["UNIT-1"].stop()  # the mobile unit drives off: its link is gone
        time.sleep(11)

        page = browser.new_page(viewport={"width": 1366, "height": 800})  # type: ignore[attr-defined]
        page.goto(f"{centre.url}/region")
        assert page.url.endswith("/dashboard/login")
        page.fill("input[name=username]", "kabid")
        page.fill("input[name=password]", "rahasia-kabid")
        page.click("button[type=submit]")
        page.wait_for_url(f"{centre.url}/region")  # a centre with no hall of its own
        live = page.locator("tr[data-site=MPP-DEPOK]")
        gone = page.locator("tr[data-site=UNIT-1]")
        assert live.locator("[data-cell=waiting]").text_content() == "5"
        assert "terhubung" in (live.locator("[data-cell=link]").text_content() or "")
        assert gone.locator("[data-cell=waiting]").text_content() == "tidak tersedia"
        assert "terputus" in (gone.locator("[data-cell=link]").text_content() or "")
        assert "detik lalu" in (gone.locator("[data-cell=link]").text_content() or "")
        assert "4" in (gone.text_content() or "")  # its figures are still there, as history
        _shot(page, "region-two-halls")

        page.click("text=Unit Keliling 1")
        page.wait_for_selector("#banner")
        assert page.locator("[data-now=unavailable]").is_visible()
        assert "tidak tersedia" in (page.text_content("[data-now=unavailable]") or "")
        assert not page.locator("[data-now=live]").is_visible()
        assert page.text_content("[data-kpi=issued]") == "4"
        _shot(page, "region-hall-offline")

        page.goto(f"{centre.url}/region/MPP-DEPOK")
        assert page.locator("[data-now=live]").is_visible()
        assert page.text_content("[data-now=waiting]") == "5"
        assert page.text_content("[data-kpi=served]") == "2"
        sites["MPP-DEPOK"].stop()  # and now this hall's link goes too: the page says so itself
        page.wait_for_selector("[data-now=unavailable]:not([hidden])", timeout=30_000)
        assert not page.locator("[data-now=live]").is_visible()
        _shot(page, "region-hall-went-offline")
        with page.expect_download() as download:
            page.click("text=Tabel indikator (CSV)")
        assert "Mal" not in download.value.suggested_filename
        assert download.value.suggested_filename.startswith("antrean-mpp-depok-kpi-")
        page.close()
    finally:
        for site in sites.values():
            site.stop()
        centre.stop()
