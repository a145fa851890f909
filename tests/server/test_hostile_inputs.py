"""Inputs an outside tester sent that crashed a request or slipped past a rule: each now gets a
4xx with our error body, before anything is read or written that should not be."""

from __future__ import annotations

import socket

import pytest
from conftest import DISPLAY, KIOSK, Hall, ServerProcess

from server.services import auth

ANSWERS = dict.fromkeys(("requirements", "procedure", "time", "cost", "product", "competence",
                         "behaviour", "complaints", "facilities"), 3)


def assert_error(response, status: int, code: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["message"] and error["message_en"]
    if code is not None:
        assert error["code"] == code, error


async def _finished(hall: Hall) -> dict[str, object]:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    ticket = await hall.issue("KTP")
    await hall.client.post(f"/api/v1/counters/{counter}/call-next", headers=siti)
    finished = await hall.client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=siti)
    assert finished.status_code == 200, finished.text
    return ticket


# ---------------------------------------------------------------- defect 5: crashing inputs

async def test_an_id_past_64_bits_is_refused(hall: Hall) -> None:
    siti = await hall.login("siti")
    counter = await hall.open_counter(1, siti)
    response = await hall.client.post(f"/api/v1/counters/{counter}/call", headers=siti,
                                      json={"ticket_id": 9223372036854775808, "reason": "uji"})
    assert_error(response, 422, "invalid_request")


@pytest.mark.parametrize("dates", ["date_to=9999-12-31", "date_from=0001-01-01",
                                   "date_from=0001-01-01&date_to=0001-01-02"])
@pytest.mark.parametrize("where", ["stats", "export/kpi.xlsx", "export/tickets.xlsx",
                                   "export/tickets.csv"])
async def test_dates_out_of_range_are_refused(hall: Hall, dates: str, where: str) -> None:
    manager = await hall.login("manajer")
    response = await hall.client.get(f"/api/v1/sites/TEST/{where}?{dates}", headers=manager)
    assert_error(response, 422, "date_out_of_range")


async def test_dashboard_dates_out_of_range_say_so(hall: Hall) -> None:
    login = await hall.client.post("/dashboard/login", data={
        "username": "manajer", "password": "rahasia-manajer"})
    assert login.status_code == 303
    page = await hall.client.get("/dashboard?date_to=9999-12-31")
    assert page.status_code == 200 and "2999-12-31" in page.text
    export = await hall.client.get("/dashboard/export/tickets.csv?date_from=0001-01-01")
    assert_error(export, 422, "date_out_of_range")


async def test_nul_characters_are_refused_everywhere(hall: Hall) -> None:
    manager = await hall.login("manajer")
    assert_error(await hall.client.get("/api/v1/sites/TEST/stats?officer=a%00b",
                                       headers=manager), 400, "nul_character")
    ticket = await _finished(hall)
    survey = await hall.client.post(f"/api/v1/tickets/{ticket['tracking_code']}/survey",
                                    json={**ANSWERS, "comment": "baik\x00sekali"})
    assert_error(survey, 422, "invalid_request")
    page = await hall.client.post("/dashboard/login", data={"username": "man\x00ajer",
                                                            "password": "x"})
    assert page.status_code == 422 and "tidak sah" in page.text


# ---------------------------------------------------------------- defect 6: exports

@pytest.mark.parametrize("query", ["counter=99999", "agency=NOPE", "service=NOPE",
                                   "date_from=2026-01-02&date_to=2026-01-01"])
async def test_a_csv_export_is_refused_before_its_first_byte(hall: Hall, query: str) -> None:
    await hall.issue("KTP")
    manager = await hall.login("manajer")
    response = await hall.client.get(f"/api/v1/sites/TEST/export/tickets.csv?{query}",
                                     headers=manager)
    assert response.status_code in (404, 422), response.text
    assert "service_day" not in response.text  # no header row of a file cut short
    assert_error(response, response.status_code)


# ---------------------------------------------------------------- defect 8: who may

async def test_only_an_officer_of_its_agency_confirms_a_reservation(hall: Hall) -> None:
    reserved = await hall.issue("KTP", reserve=True)  # DUKCAPIL's service
    budi = await hall.login("budi")  # SAMSAT
    refused = await hall.client.post(f"/api/v1/tickets/{reserved['id']}/confirm", headers=budi)
    assert_error(refused, 403, "wrong_agency")
    other_kiosk = await hall.client.post(f"/api/v1/tickets/{reserved['id']}/confirm",
                                         headers={"Authorization": "Bearer test-kiosk-token-2"})
    assert_error(other_kiosk, 403)
    siti = await hall.login("siti")
    confirmed = await hall.client.post(f"/api/v1/tickets/{reserved['id']}/confirm", headers=siti)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "waiting"


async def test_an_officer_issues_only_for_their_own_agency(hall: Hall) -> None:
    budi = await hall.login("budi")
    refused = await hall.client.post("/api/v1/sites/TEST/tickets", headers=budi,
                                     json={"service": "KTP"})
    assert_error(refused, 403, "wrong_agency")
    own = await hall.client.post("/api/v1/sites/TEST/tickets", headers=budi,
                                 json={"service": "PKB"})
    assert own.status_code == 201
    manager = await hall.login("manajer")
    assert (await hall.client.post("/api/v1/sites/TEST/tickets", headers=manager,
                                   json={"service": "KTP"})).status_code == 201


async def test_the_survey_honours_its_idempotency_key(hall: Hall) -> None:
    ticket = await _finished(hall)
    path = f"/api/v1/tickets/{ticket['tracking_code']}/survey"
    first = await hall.client.post(path, json=ANSWERS, headers={"Idempotency-Key": "s-1"})
    assert first.status_code == 201
    again = await hall.client.post(path, json=ANSWERS, headers={"Idempotency-Key": "s-1"})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    other = await hall.client.post(path, json={**ANSWERS, "cost": 1},
                                   headers={"Idempotency-Key": "s-1"})
    assert_error(other, 422, "idempotency_key_reused")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
async def test_a_json_route_refuses_other_content_types(hall: Hall, content_type: str) -> None:
    response = await hall.client.post("/api/v1/sites/TEST/tickets", headers={
        **KIOSK, "Content-Type": content_type}, content=b'{"service": "KTP"}')
    assert_error(response, 415, "unsupported_media_type")
    login = await hall.client.post("/api/v1/auth/token", headers={"Content-Type": content_type},
                                   content=b'{"username": "siti", "password": "x"}')
    assert_error(login, 415)


# ---------------------------------------------------------------- defect 3: sizes and tokens

async def test_a_body_over_the_limit_is_refused_unread(hall: Hall) -> None:
    big = b'{"service": "KTP", "x": "' + b"a" * 100_000 + b'"}'
    response = await hall.client.post("/api/v1/sites/TEST/tickets", content=big,
                                      headers={**KIOSK, "Content-Type": "application/json"})
    assert_error(response, 413, "too_large")

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"a" * 8192

    chunked = await hall.client.post("/api/v1/sites/TEST/tickets", content=chunks(),
                                     headers={**KIOSK, "Content-Type": "application/json"})
    assert_error(chunked, 413)


async def test_an_upload_route_takes_its_own_larger_limit(hall: Hall) -> None:
    import io
    import random

    from PIL import Image

    picture = io.BytesIO()  # noise does not compress: a photograph's size
    Image.frombytes("RGB", (256, 256), random.Random(7).randbytes(256 * 256 * 3)).save(
        picture, "PNG")
    assert len(picture.getvalue()) > 64 * 1024  # over the limit of commands
    manager = await hall.login("manajer")
    added = await hall.client.put("/api/v1/sites/TEST/media/01-gradient.png",
                                  content=picture.getvalue(),
                                  headers={**manager, "Content-Type": "image/png"})
    assert added.status_code == 201, added.text
    stranger = await hall.client.put("/api/v1/sites/TEST/media/02-gradient.png",
                                     content=picture.getvalue(),
                                     headers={**KIOSK, "Content-Type": "image/png"})
    assert_error(stranger, 403)  # the token decides before the large body is read


async def test_the_token_is_checked_before_the_body(hall: Hall) -> None:
    body = b'{"service": "KTP"}'
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await hall.client.post("/api/v1/sites/TEST/tickets", content=body,
                                          headers={**headers, "Content-Type": "text/plain"})
        assert_error(response, 401)  # not 415: the body's kind is not looked at without a token
    display = await hall.client.post("/api/v1/sites/TEST/tickets", json={"service": "KTP"},
                                     headers=DISPLAY)
    assert_error(display, 403)


# ---------------------------------------------------------------- defect 4: logins

async def test_wrong_passwords_lock_the_username_for_a_while(hall: Hall) -> None:
    for _ in range(4):
        bad = await hall.client.post("/api/v1/auth/token",
                                     json={"username": "siti", "password": "salah-salah"})
        assert_error(bad, 401, "bad_credentials")
    fifth = await hall.client.post("/api/v1/auth/token",
                                   json={"username": "siti", "password": "salah-salah"})
    assert_error(fifth, 401, "bad_credentials")
    locked = await hall.client.post("/api/v1/auth/token",
                                    json={"username": "siti", "password": "rahasia-siti"})
    assert_error(locked, 429, "login_locked")
    assert int(locked.headers["Retry-After"]) == 30
    page = await hall.client.post("/dashboard/login", data={"username": "siti",
                                                            "password": "rahasia-siti"})
    assert page.status_code == 429 and page.headers["Retry-After"] == "30"

    admin = await hall.login("admin")
    lockouts = (await hall.client.get("/api/v1/auth/lockouts", headers=admin)).json()
    assert [(lock["key"], lock["failures"]) for lock in lockouts] == [("user:siti", 5)]
    assert (await hall.client.get("/api/v1/auth/lockouts",
                                  headers=await hall.login("manajer"))).status_code == 403

    hall.clock.advance(seconds=31)
    assert (await hall.client.post("/api/v1/auth/token", json={
        "username": "siti", "password": "salah-salah"})).status_code == 401
    again = await hall.client.post("/api/v1/auth/token",
                                   json={"username": "siti", "password": "rahasia-siti"})
    assert_error(again, 429)
    assert int(again.headers["Retry-After"]) == 60  # each failure past the limit doubles it
    hall.clock.advance(seconds=61)
    assert (await hall.client.post("/api/v1/auth/token", json={
        "username": "siti", "password": "rahasia-siti"})).status_code == 200
    async with hall.context.db.read() as session:
        from sqlalchemy import select

        from server.store import models as m
        actions = (await session.scalars(select(m.AuditEntry.action).where(
            m.AuditEntry.action == "login.locked_out"))).all()
    assert len(actions) == 2


async def test_many_usernames_from_one_address_lock_the_address(hall: Hall) -> None:
    for n in range(20):
        await hall.client.post("/api/v1/auth/token",
                               json={"username": f"tamu{n}", "password": "salah-salah"})
    refused = await hall.client.post("/api/v1/auth/token",
                                     json={"username": "siti", "password": "rahasia-siti"})
    assert_error(refused, 429, "login_locked")


async def test_an_unknown_username_costs_a_password_check_too(
        hall: Hall, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[bool] = []
    real = auth.verify_password

    def counting(password: str, stored: str | None) -> bool:
        checked.append(stored is not None)
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", counting)
    for username in ("siti", "nobody-here"):
        response = await hall.client.post("/api/v1/auth/token",
                                          json={"username": username, "password": "salah"})
        assert_error(response, 401, "bad_credentials")
    assert checked == [True, True]  # a real scrypt check for the unknown name as well


def _first_answer(server: ServerProcess, head: str) -> bytes:
    """Send only a request's head (its body announced, never sent); the server's answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head.encode("latin-1"))
        try:
            return connection.recv(65536)
        except TimeoutError:
            return b"(no answer: the server waits for the body)"


@pytest.mark.parametrize(("headers", "status"), [
    ("Authorization: Bearer test-kiosk-token-1\r\nContent-Length: 104857600\r\n", b" 413 "),
    ("Content-Length: 1000\r\n", b" 401 "),
    ("Authorization: Bearer not-a-token\r\nContent-Length: 1000\r\n", b" 401 "),
])
def test_refusals_come_before_the_body_is_sent(server: ServerProcess, headers: str,
                                               status: bytes) -> None:
    answer = _first_answer(server, "POST /api/v1/sites/TEST/tickets HTTP/1.1\r\n"
                                   "Host: hall\r\nContent-Type: application/json\r\n"
                                   f"{headers}\r\n")
    assert status in answer.split(b"\r\n", 1)[0], answer[:200]
    assert b"application/json" in answer
