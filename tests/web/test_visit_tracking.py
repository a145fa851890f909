"""The citizen's tracking page of a visit, in a real headless Chromium against a real server
process: the plan in order, where the citizen is now, and the progress as stops finish.

Set ANTREAN_SCREENSHOTS=DIR to keep the screenshots for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import FIXTURES, KIOSK, ServerProcess, far_from_midnight, serving
from test_browser import browser as browser  # the fixture, by its name

PASSWORDS = {"siti": "rahasia-siti", "joko": "rahasia-joko"}


@pytest.fixture
def visit_server(tmp_path: Path) -> Iterator[ServerProcess]:
    config = far_from_midnight(FIXTURES / "visit_hall.toml", tmp_path / "hall.toml")
    with serving(config, tmp_path) as process:
        yield process


def _shot(page: object, name: str) -> None:
    folder = os.environ.get("ANTREAN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _statuses(page: object) -> list[str]:
    return page.eval_on_selector_all(  # type: ignore[attr-defined, no-any-return]
        "[data-stop]", "items => items.map(i => i.dataset.stop + ':' + i.dataset.stopStatus)")


def test_the_tracking_page_shows_where_the_citizen_is_in_the_plan(
        browser: object, visit_server: ServerProcess) -> None:
    with httpx.Client(base_url=visit_server.url + "/api/v1", timeout=10) as api:
        ticket = api.post("/sites/TEST/visits", json={"services": ["KTP", "BPJS", "NPWP"]},
                          headers=KIOSK).json()
        context = browser.new_context(viewport={"width": 360, "height": 740},  # type: ignore[attr-defined]
                                      device_scale_factor=2, is_mobile=True)
        page = context.new_page()
        page.goto(f"{visit_server.url}/t/{ticket['tracking_code']}")
        assert _statuses(page) == ["KTP:waiting", "BPJS:pending", "NPWP:pending"]
        assert "Layanan 1 dari 3" in (page.text_content("[data-field=visit-step]") or "")
        assert "KTP di Dukcapil" in " ".join((page.text_content("#visit") or "").split())
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        _shot(page, "track-visit-first-stop-360")

        token = api.post("/auth/token", json={"username": "siti",
                                              "password": PASSWORDS["siti"]}).json()
        siti = {"Authorization": f"Bearer {token['access_token']}"}
        counter = next(c["id"] for c in api.get("/sites/TEST/counters").json()
                       if c["number"] == 1)
        api.post(f"/counters/{counter}/open", headers=siti)
        api.post(f"/counters/{counter}/call-next", headers=siti)
        page.wait_for_selector("[data-field=counter]", timeout=15_000)  # called: it reloaded
        assert _statuses(page)[0] == "KTP:at_counter"
        api.post(f"/tickets/{ticket['id']}/finish", headers=siti)
        page.wait_for_selector("[data-stop=BPJS][data-stop-status=waiting]", timeout=15_000)
        assert _statuses(page) == ["KTP:done", "BPJS:waiting", "NPWP:pending"]
        assert "Layanan 2 dari 3" in (page.text_content("[data-field=visit-step]") or "")
        _shot(page, "track-visit-second-stop-360")
        page.click("a.lang")
        page.wait_for_selector("text=Your visit")
        assert "Service 2 of 3" in (page.text_content("[data-field=visit-step]") or "")
        _shot(page, "track-visit-second-stop-en-360")
