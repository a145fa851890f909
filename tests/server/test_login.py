"""Logging in checks the password off the loop and outside any transaction, then records the
session only if what was checked still holds."""

from __future__ import annotations

import asyncio

import pytest
from conftest import PASSWORDS, Hall
from sqlalchemy import select, update

from server.services import auth
from server.store import models as m


async def test_an_officer_disabled_while_the_password_is_checked_is_refused(
    hall: Hall, monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    real_verify = auth.verify_password

    async def disable_siti() -> None:
        async with hall.context.db.write() as session:
            await session.execute(
                update(m.Officer).where(m.Officer.username == "siti").values(active=False))

    def verify_while_an_admin_disables_her(password: str, stored: str | None) -> bool:
        matches = real_verify(password, stored)
        asyncio.run_coroutine_threadsafe(disable_siti(), loop).result(timeout=30)
        return matches

    monkeypatch.setattr(auth, "verify_password", verify_while_an_admin_disables_her)
    response = await hall.client.post("/api/v1/auth/token",
                                      json={"username": "siti", "password": PASSWORDS["siti"]})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "bad_credentials"


async def test_the_right_password_gives_a_session_and_an_audit_row(hall: Hall) -> None:
    headers = await hall.login("siti")
    me = await hall.client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["username"] == "siti"
    async with hall.context.db.read() as session:
        logins = (await session.scalars(select(m.AuditEntry.actor_name).where(
            m.AuditEntry.action == "officer.login"))).all()
    assert logins == ["siti"]
