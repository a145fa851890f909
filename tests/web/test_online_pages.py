"""Antrean online's pages in a real headless Chromium at 360 px against a real server process:
book a slot, see its QR, cancel; take today's number and watch "people ahead" fall as a
counter calls; a wrong NIK said plainly.

Set ANTREAN_SCREENSHOTS=DIR to keep screenshots for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import FIXTURES, KIOSK, PASSWORDS, ServerProcess, far_from_midnight, serving
from test_browser import _api, _counter, _login, _shot, browser  # noqa: F401

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True}


@pytest.fixture
def online_server(tmp_path: Path) -> Iterator[ServerProcess]:
    config = far_from_midnight(FIXTURES / "online_hall.toml", tmp_path / "online_hall.toml")
    with serving(config, tmp_path) as process:
        yield process


def _weight(page: object, url: str) -> int:
    """Bytes of the page and everything it loads, as the phone receives them."""
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())))  # type: ignore[attr-defined]
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    return sum(sizes)


def test_book_see_the_qr_and_cancel(browser: object, online_server: ServerProcess) -> None:  # noqa: F811
    context = browser.new_context(**PHONE)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{online_server.url}/layanan/TEST")
    _shot(page, "online-catalogue")
    page.click("[data-service=KTP] [data-way=booking]")
    assert "Pesan tanggal dan jam" in page.text_content("main")
    page.select_option("select[name=day]", index=1)  # tomorrow: every slot still ahead
    page.click("form.days button")
    page.click(".slots label >> nth=0")
    page.fill("input[name=name]", "Sri Wahyuni")
    page.fill("input[name=phone]", "0812 3456 7890")
    _shot(page, "online-booking-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("form.person button[type=submit]")
    page.wait_for_url(re.compile(r"/online/[A-Z0-9]{10}$"))
    code = page.text_content("[data-field=code]")
    assert code and page.url.endswith(code)
    assert page.locator("[data-field=qr] svg").count() == 1
    assert "Terdaftar" in page.text_content("[data-field=status]")
    assert "Fotokopi Kartu Keluarga" in page.text_content("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "online-booking-page")
    png = page.request.get(f"{online_server.url}/online/{code}/qr.png")
    assert png.status == 200 and png.body()[:8] == b"\x89PNG\r\n\x1a\n"
    ics = page.request.get(f"{online_server.url}/online/{code}/booking.ics")
    assert ics.status == 200 and "BEGIN:VEVENT" in ics.text() and code in ics.text()
    weight = _weight(context.new_page(), f"{online_server.url}/online/{code}")
    assert weight < 60_000, weight
    page.click("[data-field=cancel]")
    page.wait_for_load_state()
    assert "Dibatalkan" in page.text_content("[data-field=status]")
    assert page.locator("[data-field=qr]").count() == 0
    _shot(page, "online-booking-cancelled")


def test_a_remote_number_watches_the_people_ahead_fall(browser: object,  # noqa: F811
                                                       online_server: ServerProcess) -> None:
    with _api(online_server) as api:
        for _ in range(3):
            assert api.post("/sites/TEST/tickets", json={"service": "KTP"},
                            headers=KIOSK).status_code == 201
        context = browser.new_context(**PHONE)  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(f"{online_server.url}/layanan/TEST")
        page.click("[data-service=KTP] [data-way=remote]")
        page.fill("input[name=name]", "Bambang")
        page.fill("input[name=phone]", "081299990000")
        page.click("form.person button[type=submit]")
        page.wait_for_url(re.compile(r"/online/[A-Z0-9]{10}$"))
        assert page.text_content("[data-field=number]") == "A-004"
        ahead = page.locator("[data-field=ahead]")
        assert "3 orang lagi — silakan menuju MPP" in ahead.text_content()
        _shot(page, "online-remote-3-ahead")
        siti = _login(api, "siti")
        counter = _counter(api, 1)
        assert api.post(f"/counters/{counter}/open", headers=siti).status_code == 200
        assert api.post(f"/counters/{counter}/call-next", headers=siti).status_code == 200
        page.wait_for_selector("[data-field=ahead][data-ahead='2']", timeout=15_000)
        assert "2 orang lagi" in ahead.text_content()
        assert api.post(f"/counters/{counter}/call-next", headers=siti).status_code == 200
        page.wait_for_selector("[data-field=ahead][data-ahead='1']", timeout=15_000)
        _shot(page, "online-remote-1-ahead")
        page.goto(page.url + "?lang=en")
        assert "People ahead of you: 1 — please come" in page.text_content("[data-field=ahead]")

        # The manager sees the day's online share on the dashboard.
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # type: ignore[attr-defined]
        desk.goto(f"{online_server.url}/dashboard/login")
        desk.fill("input[name=username]", "manajer")
        desk.fill("input[name=password]", PASSWORDS["manajer"])
        desk.click("button[type=submit]")
        desk.wait_for_selector("#online")
        cells = desk.locator("#online tr[data-service=KTP] td")
        assert [cells.nth(i).text_content() for i in (1, 2, 3)] == ["3", "1", "25%"]
        desk.locator("#online").scroll_into_view_if_needed()
        _shot(desk, "online-dashboard")


def test_a_wrong_nik_is_said_plainly(browser: object, online_server: ServerProcess) -> None:  # noqa: F811
    page = browser.new_context(**PHONE).new_page()  # type: ignore[attr-defined]
    page.goto(f"{online_server.url}/online/TEST/KK/pesan")
    page.select_option("select[name=day]", index=1)
    page.click("form.days button")
    page.click(".slots label >> nth=0")
    page.fill("input[name=name]", "Dewi")
    page.fill("input[name=phone]", "081211112222")
    page.fill("input[name=nik]", "3174017203850001")  # day 72 − 40 = 32
    page.click("form.person button[type=submit]")
    error = page.text_content("#form-error") or ""
    assert "Tanggal lahir dalam NIK" in error
    assert page.input_value("input[name=name]") == "Dewi"  # what was typed is kept
    _shot(page, "online-wrong-nik")
    with httpx.Client(base_url=online_server.url) as client:
        assert client.get("/online/NOSUCHCODE1").status_code == 404
