"""The citizen's pages, the survey and the dashboard over HTTP (no browser)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import FakeClock, Hall, running_hall
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "stats"))
from scenario import DAY, ELEMENTS, MORNING, a_morning

from server.domain.stats import bucket_of


@pytest.fixture
async def morning(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Hall, dict]]:  # type: ignore[type-arg]
    async with running_hall(database_url, tmp_path / "data", clock=FakeClock(MORNING)) as hall:
        yield hall, await a_morning(hall)


async def test_tracking_page_of_a_waiting_ticket_in_both_languages(hall: Hall) -> None:
    await hall.issue("KTP")
    ticket = await hall.issue("KTP")
    page = await hall.client.get(f"/t/{ticket['tracking_code']}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "A-002" in page.text and "KTP-el" in page.text and "Menunggu" in page.text
    assert 'data-field="people_ahead">1<' in page.text
    assert "/static/track.js" in page.text and "http" not in page.text.split("<body")[1].replace(
        "http://www.w3.org", "")  # nothing fetched from elsewhere
    english = await hall.client.get(f"/t/{ticket['tracking_code']}?lang=en")
    assert "Waiting" in english.text and "Electronic ID card" in english.text
    assert "antrean_lang=en" in english.headers["set-cookie"]
    assert ticket["tracking_url"].endswith(f"/t/{ticket['tracking_code']}")
    missing = await hall.client.get("/t/ZZZZZZZZZZ?lang=id")  # the cookie keeps English
    assert missing.status_code == 404 and "Tiket tidak ditemukan" in missing.text
    script = await hall.client.get("/static/track.js")
    assert script.status_code == 200 and "XMLHttpRequest" in script.text
    assert (await hall.client.get("/static/..%2Fpages.py")).status_code == 404


async def test_called_ticket_shows_the_counter(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    ticket = await hall.issue("KTP")
    await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    page = await hall.client.get(f"/t/{ticket['tracking_code']}")
    assert "Silakan menuju" in page.text and "Loket 1" in page.text


async def test_survey_once_per_finished_ticket(morning: tuple[Hall, dict]) -> None:  # type: ignore[type-arg]
    hall, tickets = morning
    answers = dict.fromkeys(ELEMENTS, 2)
    waiting = tickets["P-001"]["tracking_code"]
    early = await hall.client.post(f"/api/v1/tickets/{waiting}/survey", json=answers)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_finished"
    a3 = tickets["A-003"]["tracking_code"]
    first = await hall.client.post(f"/api/v1/tickets/{a3}/survey", json=answers)
    assert first.status_code == 201 and first.json()["index"] == 50.0
    same = await hall.client.post(f"/api/v1/tickets/{a3}/survey", json=answers)
    assert same.status_code == 201 and same.json()["created_at"] == first.json()["created_at"]
    other = await hall.client.post(f"/api/v1/tickets/{a3}/survey",
                                   json={**answers, "time": 4})
    assert other.status_code == 409 and other.json()["error"]["code"] == "already_surveyed"
    bad = await hall.client.post(f"/api/v1/tickets/{a3}/survey", json={**answers, "cost": 5})
    assert bad.status_code == 422
    read = await hall.client.get(f"/api/v1/tickets/{a3}/survey")
    assert read.json()["answers"]["time"] == 2


async def test_survey_form_on_the_tracking_page(morning: tuple[Hall, dict]) -> None:  # type: ignore[type-arg]
    hall, tickets = morning
    code = tickets["A-003"]["tracking_code"]
    page = await hall.client.get(f"/t/{code}")
    assert "Survei Kepuasan Masyarakat" in page.text and page.text.count('type="radio"') == 36
    incomplete = await hall.client.post(f"/t/{code}/survey", data={"requirements": "4"})
    assert incomplete.status_code == 422 and "Mohon isi kesembilan unsur" in incomplete.text
    sent = await hall.client.post(f"/t/{code}/survey",
                                  data={**dict.fromkeys(ELEMENTS, "4"), "comment": "Cepat"})
    assert sent.status_code == 303 and sent.headers["location"] == f"/t/{code}#survei"
    after = await hall.client.get(f"/t/{code}")
    assert "Survei Anda sudah kami terima" in after.text and 'type="radio"' not in after.text


async def test_catalogue_lists_requirements_fee_and_target(hall: Hall) -> None:
    redirect = await hall.client.get("/layanan")
    assert redirect.status_code == 307 and redirect.headers["location"] == "/layanan/TEST"
    page = await hall.client.get("/layanan/TEST")
    assert page.status_code == 200
    assert "Fotokopi Kartu Keluarga" in page.text and "Gratis" in page.text
    assert "30 menit" in page.text and "Samsat" in page.text
    assert "Target waiting time" in (await hall.client.get("/layanan/TEST?lang=en")).text


async def test_dashboard_needs_a_manager_login(morning: tuple[Hall, dict]) -> None:  # type: ignore[type-arg]
    hall, _ = morning
    away = await hall.client.get("/dashboard")
    assert away.status_code == 303 and away.headers["location"] == "/dashboard/login"
    wrong = await hall.client.post("/dashboard/login", data={"username": "manajer",
                                                             "password": "salah"})
    assert wrong.status_code == 401
    officer = await hall.client.post("/dashboard/login", data={"username": "siti",
                                                               "password": "rahasia-siti"})
    assert officer.status_code == 403
    ok = await hall.client.post("/dashboard/login", data={"username": "manajer",
                                                          "password": "rahasia-manajer"})
    assert ok.status_code == 303 and "httponly" in ok.headers["set-cookie"].lower()
    page = await hall.client.get(f"/dashboard?date_from={DAY}&date_to={DAY}")
    assert page.status_code == 200
    assert 'data-kpi="issued">6<' in page.text and 'data-kpi="sla">75%<' in page.text
    assert "87.50 <small>B</small>" in page.text and "<svg" in page.text
    assert "pemohon lansia, berkas lengkap" in page.text
    written = "10/03/2025"  # DAY as the form sends it: day first, whatever the browser
    hall_way = await hall.client.get("/dashboard", params={"date_from": written,
                                                           "date_to": written})
    assert 'data-kpi="issued">6<' in hall_way.text
    assert f'value="{written}"' in hall_way.text and ">10 Maret 2025<" in hall_way.text
    garbled = await hall.client.get("/dashboard", params={"date_from": "13/13/2026"})
    assert garbled.status_code == 200 and "tidak dapat dibaca" in garbled.text
    now = await hall.client.get("/dashboard/now.json")
    assert now.json()["waiting"] == 1 and now.json()["counters_open"] == 1  # P-001 waits
    await hall.client.post("/dashboard/logout")
    assert (await hall.client.get("/dashboard/now.json")).status_code == 401


async def test_exports_csv_and_xlsx(morning: tuple[Hall, dict]) -> None:  # type: ignore[type-arg]
    hall, _ = morning
    manager = await hall.login("manajer")
    params = {"date_from": DAY, "date_to": DAY}
    tickets = await hall.client.get("/api/v1/sites/TEST/export/tickets.csv", headers=manager,
                                    params=params)
    assert tickets.status_code == 200
    rows = list(csv.DictReader(io.StringIO(tickets.text)))
    assert [r["number"] for r in rows] == ["A-001", "A-002", "A-003", "A-004", "B-001", "P-001"]
    assert rows[0]["wait_seconds"] == "300.0" and rows[0]["issued_at"] == "2025-03-10 08:00:00"
    assert rows[3]["called_out_of_order"] == "1" and rows[0]["officer"] == "siti"
    kpi = await hall.client.get("/api/v1/sites/TEST/export/kpi.xlsx", headers=manager,
                                params=params)
    assert kpi.status_code == 200
    book = load_workbook(io.BytesIO(kpi.content), read_only=True)
    assert book.sheetnames == ["kpi", "counters", "officers", "ikm_elements"]
    sheet = list(book["kpi"].iter_rows(values_only=True))
    header, total = sheet[0], dict(zip(sheet[0], sheet[1], strict=True))
    assert "wait_p90_s" in header and total["issued"] == 6
    assert bucket_of(total["wait_median_s"]) == bucket_of(960)  # median: within its bucket
    assert total["ikm_index"] == 87.5
    xlsx = await hall.client.get("/api/v1/sites/TEST/export/tickets.xlsx", headers=manager,
                                 params=params)
    assert len(list(load_workbook(io.BytesIO(xlsx.content))["tickets"].iter_rows())) == 7
    siti = await hall.login("siti")
    assert (await hall.client.get("/api/v1/sites/TEST/export/kpi.csv", headers=siti,
                                  params=params)).status_code == 403
