"""A centre and two site servers, each its own process on its own SQLite file, the links between
them through proxies the test controls.

A seeded day is played at each hall (`antrean simulate --server`) while hall A's link flaps (it
goes down and up, slows, cuts batches on the way, loses answers, and the centre itself is killed
and started again) and hall B's link is down all day (the mobile unit, synced in the evening).
Then the links are restored: the centre's statistics for each hall equal the hall's own exactly,
and its records hold every row of the hall's once."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, SMALL_HALL, far_from_midnight
from procs import Served, antrean
from proxy import LinkProxy
from regionsupport import sqlite_rows

from server.region.mirror import mirror_url

CODES = ("SITE-A", "SITE-B")
REGION_MANAGER = ("wilayah", "rahasia-wilayah")
ELEMENTS = ("requirements", "procedure", "time", "cost", "product", "competence", "behaviour",
            "complaints", "facilities")
HISTORY = (("tickets", "id"), ("surveys", "id"), ("audit_log", "id"), ("events", "seq"),
           ("counters", "id"), ("counter_services", "counter_id, service_id"))


def _hall_file(code: str, folder: Path) -> Path:
    plain = folder / f"{code}-plain.toml"
    plain.write_text(SMALL_HALL.read_text(encoding="utf-8").replace(
        'code = "TEST"', f'code = "{code}"'), encoding="utf-8")
    return far_from_midnight(plain, folder / f"{code}.toml")


class Flapping(threading.Thread):
    """Hall A's bad day: down, up, slow, batches cut on the way, answers lost."""

    def __init__(self, proxy: LinkProxy) -> None:
        super().__init__(daemon=True)
        self.proxy, self.stop, self.rng = proxy, threading.Event(), random.Random(23)

    def run(self) -> None:
        while not self.stop.is_set():
            fault = self.rng.choice(("down", "slow", "cut", "drop", "calm"))
            if fault == "down":
                self.proxy.down()
                self.stop.wait(self.rng.uniform(0.3, 1.5))
                self.proxy.up()
            elif fault == "slow":
                self.proxy.set(delay=0.05)
                self.stop.wait(1.0)
                self.proxy.set(delay=0.0)
            elif fault == "cut":
                self.proxy.set(cuts=1)
            elif fault == "drop":
                self.proxy.set(drops=1)
            self.stop.wait(self.rng.uniform(0.4, 1.2))


def _simulate(site: Served, hall: Path, seed: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "common.cli", "--log-level", "WARNING", "simulate", "--server",
         site.url, "--config", str(hall), "--speed", "1500", "--tickets-per-day", "110",
         "--seed", str(seed)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def _survey(site: Served, count: int) -> int:
    with sqlite3.connect(site.database) as db:
        codes = [row[0] for row in db.execute(
            "SELECT tracking_code FROM tickets WHERE status = 'finished' ORDER BY id LIMIT ?",
            (count,))]
    for n, code in enumerate(codes):
        answer = httpx.post(f"{site.url}/api/v1/tickets/{code}/survey", timeout=10,
                            json={e: 1 + (n + i) % 4 for i, e in enumerate(ELEMENTS)})
        assert answer.status_code == 201, answer.text
    return len(codes)


def _close_the_day(site: Served) -> None:
    """Counters the played day left open are closed (their tickets in hand finished first), so
    that no figure still grows with the clock when the hall and the centre are compared."""
    officers = {"DUKCAPIL": site.login("siti", "rahasia-siti"),
                "SAMSAT": site.login("budi", "rahasia-budi")}
    with sqlite3.connect(site.database) as db:
        open_counters = db.execute(
            "SELECT c.id, a.code, t.id, t.status FROM counters c JOIN agencies a "
            "ON a.id = c.agency_id LEFT JOIN tickets t ON t.id = c.current_ticket_id "
            "WHERE c.state != 'closed'").fetchall()
    for counter, agency, ticket, status in open_counters:
        officer = officers[agency]
        if ticket is not None:
            step = "finish" if status == "serving" else "no-show"
            done = httpx.post(f"{site.url}/api/v1/tickets/{ticket}/{step}", headers=officer,
                              timeout=10)
            assert done.status_code == 200, done.text
        closed = httpx.post(f"{site.url}/api/v1/counters/{counter}/close", headers=officer,
                            timeout=10)
        assert closed.status_code == 200, closed.text


def _wait_caught_up(centre: Served, sites: dict[str, Served], manager: dict[str, str],
                    timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        links = {s["code"]: s for s in _region_links(centre, manager)}
        done = True
        for code, site in sites.items():
            status = site.get("/api/v1/uplink")
            if (status["state"] != "caught_up" or status["backlog"]
                    or links[code]["acked"] != status["acked"]):
                done = False
        if done:
            return
        time.sleep(0.5)
    raise AssertionError(f"the halls did not catch up: {links}")


def _region_links(centre: Served, manager: dict[str, str]) -> list[dict[str, Any]]:
    return [{"code": h["site"], **h["link"]}
            for h in centre.get("/api/v1/region", manager)["halls"]]


def _without_time(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "generated_at"}


@pytest.fixture
def region(tmp_path: Path) -> Iterator[dict[str, Any]]:
    halls = {code: _hall_file(code, tmp_path) for code in CODES}
    centre_dir = tmp_path / "centre"
    tokens = {}
    for code in CODES:
        added = antrean("region", "add", code, "--name", f"Gedung {code}", "--hall",
                        str(halls[code]), "--data-dir", str(centre_dir))
        assert added.returncode == 0, added.stderr
        tokens[code] = added.stdout.strip().splitlines()[-1]
    manager = antrean("officer", "add", REGION_MANAGER[0], "--role", "manager",
                      "--password-stdin", "--data-dir", str(centre_dir),
                      stdin=REGION_MANAGER[1] + "\n")
    assert manager.returncode == 0, manager.stderr
    centre = Served(centre_dir, env={"ANTREAN_REGION_LIVE_SECONDS": "5"})
    proxies: dict[str, LinkProxy] = {}
    sites: dict[str, Served] = {}
    try:
        centre.start()
        for code in CODES:
            proxies[code] = LinkProxy(centre.port).start()
        proxies["SITE-B"].down()  # the mobile unit: no network all day
        for code in CODES:
            sites[code] = Served(tmp_path / code, [
                "--config", str(halls[code]), "--upstream", proxies[code].url], env={
                "ANTREAN_SITE_TOKEN": tokens[code], "ANTREAN_UPLINK_SECONDS": "0.3",
                "ANTREAN_UPLINK_BATCH": "120"}).start()
        yield {"centre": centre, "sites": sites, "proxies": proxies, "halls": halls,
               "tokens": tokens}
    finally:
        for served in (*sites.values(), centre):
            served.stop()
        for proxy in proxies.values():
            proxy.stop()


@pytest.mark.slow
def test_a_day_at_two_halls_over_bad_links_reaches_the_centre_exactly(
        region: dict[str, Any]) -> None:
    centre: Served = region["centre"]
    sites: dict[str, Served] = region["sites"]
    proxies: dict[str, LinkProxy] = region["proxies"]
    flapping = Flapping(proxies["SITE-A"])
    flapping.start()
    days = {code: _simulate(sites[code], region["halls"][code], seed)
            for code, seed in zip(CODES, (3, 5), strict=True)}

    # Midday, the centre dies and stays away a while; both halls go on.
    time.sleep(6)
    centre.kill()
    away_from = datetime.now(UTC)
    time.sleep(5)
    away_until = datetime.now(UTC)
    centre.start()

    for code, played in days.items():
        out, err = played.communicate(timeout=600)
        assert played.returncode == 0, (code, err)
        assert "Traceback" not in err and "issued" in out, (code, err)
    surveyed = {code: _survey(sites[code], 4) for code in CODES}  # while A's link still flaps
    assert all(surveyed.values())
    for site in sites.values():
        _close_the_day(site)

    manager = centre.login(*REGION_MANAGER)
    mobile = next(h for h in centre.get("/api/v1/region", manager)["halls"]
                  if h["site"] == "SITE-B")
    assert mobile["link"]["freshness"] == "never" and mobile["now"] is None
    assert mobile["totals"] is None  # nothing of the mobile unit's day has reached the centre

    flapping.stop.set()
    flapping.join(10)
    for proxy in proxies.values():
        proxy.heal()  # the evening: every link is good
    site_managers = {code: sites[code].login("manajer", "rahasia-manajer") for code in CODES}
    _wait_caught_up(centre, sites, manager)

    a = proxies["SITE-A"]
    assert a.cut and a.dropped, (a.cut, a.dropped)  # the faults did happen
    for code, site in sites.items():
        mirror = Path(mirror_url(f"sqlite:///{centre.database}", code).split("///", 1)[1])
        for table, key in HISTORY:
            at_site = sqlite_rows(site.database, table, key)
            at_centre = sqlite_rows(mirror, table, key)
            assert at_centre == at_site, (code, table, len(at_centre), len(at_site))
        with sqlite3.connect(site.database) as db:
            seqs = [row[0] for row in db.execute("SELECT seq FROM events ORDER BY seq")]
            tickets = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
            during = db.execute(
                "SELECT count(*) FROM tickets WHERE issued_at BETWEEN ? AND ? AND "
                "first_called_at BETWEEN ? AND ?",
                (*(t.strftime("%Y-%m-%d %H:%M:%S") for t in (away_from, away_until)),) * 2
            ).fetchone()[0]
        assert seqs == list(range(1, len(seqs) + 1)) and tickets > 50
        assert during > 0, f"{code} issued and called nothing while the centre was away"
        with sqlite3.connect(mirror) as db:
            batches, duplicates = db.execute(
                "SELECT batches, duplicates FROM mirror_state").fetchone()
        assert batches > 5
        if code == "SITE-A":
            assert duplicates > 0  # answers lost: batches came again and changed nothing

        day = site.get("/api/v1/sites")[0]["service_day"]
        for group_by in ("service", "agency", "counter", "officer", "hour"):
            params = {"date_from": day, "date_to": day, "group_by": group_by}
            own = site.get(f"/api/v1/sites/{code}/stats", site_managers[code], **params)
            held = centre.get(f"/api/v1/region/sites/{code}/stats", manager, **params)
            assert _without_time(held) == _without_time(own), (code, group_by)
        assert own["totals"]["issued"] == tickets

    halls = {h["site"]: h for h in centre.get("/api/v1/region", manager)["halls"]}
    for code in CODES:
        assert halls[code]["link"]["freshness"] == "live"
        assert halls[code]["now"] is not None and halls[code]["totals"]["issued"] > 50


@pytest.mark.slow
def test_a_site_token_cannot_send_another_site_s_records(region: dict[str, Any]) -> None:
    centre: Served = region["centre"]
    a_token = region["tokens"]["SITE-A"]
    batch = {"site": "SITE-B", "revision": "x", "first": 0, "last": 1, "backlog": 0,
             "clock": datetime.now(UTC).isoformat(), "hall_version": 0,
             "changes": [[1, "sites", "U", {"id": 1, "code": "SITE-B"}]]}
    refused = httpx.post(centre.url + "/api/v1/region/uplink", json=batch, timeout=10,
                         headers={"Authorization": f"Bearer {a_token}"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "wrong_site"
    batch["site"] = None  # unsaid, the records still tell
    refused = httpx.post(centre.url + "/api/v1/region/uplink", json=batch, timeout=10,
                         headers={"Authorization": f"Bearer {a_token}"})
    assert refused.status_code == 403, refused.text
    # the hall servers themselves refuse to start without their token or with a bad address
    site = region["sites"]["SITE-A"]
    for flags in (["--upstream", centre.url], ["--upstream", "centre.example",
                                                "--site-token", "x"]):
        started = antrean("serve", "--data-dir", str(site.data_dir.parent / "other"), *flags,
                          env={"ANTREAN_SITE_TOKEN": ""}, timeout=30)
        assert started.returncode == 2 and "--upstream" in started.stderr


def _services(site: Served) -> dict[str, str]:
    try:
        sites = site.get("/api/v1/sites")
    except (AssertionError, httpx.HTTPError):
        return {}
    if not sites:
        return {}
    return {s["code"]: s["name"] for s in site.get(f"/api/v1/sites/{sites[0]['code']}/services")}


def _until(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"not so after {timeout} s: {check}")


@pytest.mark.slow
def test_hall_files_flow_down_and_an_offline_hall_keeps_its_last(tmp_path: Path) -> None:
    hall = _hall_file("SITE-C", tmp_path)
    centre_dir = tmp_path / "centre"
    added = antrean("region", "add", "SITE-C", "--hall", str(hall), "--data-dir",
                    str(centre_dir))
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]

    def publish(version: int, **renamed: str) -> None:
        text = hall.read_text(encoding="utf-8")
        for old, new in renamed.items():
            text = text.replace(f'name = "{old}"', f'name = "{new}"')
        path = tmp_path / f"v{version}.toml"
        path.write_text(text, encoding="utf-8")
        done = antrean("region", "hall", "SITE-C", str(path), "--data-dir", str(centre_dir))
        assert done.returncode == 0 and f"version {version} is the newest" in done.stdout, done

    centre = Served(centre_dir).start()
    # No --config: the hall starts empty and runs the centre's file once it has it.
    site = Served(tmp_path / "site", ["--upstream", centre.url], env={
        "ANTREAN_SITE_TOKEN": token, "ANTREAN_UPLINK_SECONDS": "0.3"})
    try:
        site.start()
        assert _until(lambda: _services(site).get("KTP")) == "KTP-el"
        publish(2, **{"KTP-el": "KTP elektronik"})
        assert _until(lambda: _services(site).get("KTP") == "KTP elektronik")
        assert site.get("/api/v1/uplink")["hall_version"] == 2

        centre.stop()
        publish(3, **{"KTP-el": "KTP (versi 3)"})  # published while the hall cannot hear
        site.stop()
        site.start()  # restarted offline: it runs the newest file it has seen, not none
        assert _services(site)["KTP"] == "KTP elektronik"
        ticket = httpx.post(f"{site.url}/api/v1/sites/SITE-C/tickets", json={"service": "KTP"},
                            headers={"Authorization": "Bearer test-kiosk-token-1"}, timeout=10)
        assert ticket.status_code == 201, ticket.text  # and serves
        assert _until(lambda: site.get("/api/v1/uplink")["state"] == "offline")

        centre.start()
        assert _until(lambda: _services(site).get("KTP") == "KTP (versi 3)")
        assert _until(lambda: "hall file 3/3" in antrean(
            "region", "list", "--data-dir", str(centre_dir)).stdout)

        renewed = antrean("region", "token", "SITE-C", "--data-dir", str(centre_dir))
        assert renewed.returncode == 0 and "old one no longer works" in renewed.stdout
        assert _until(lambda: site.get("/api/v1/uplink")["state"] == "refused")
        assert "bad_token" in site.get("/api/v1/uplink")["last_error"]
    finally:
        site.stop()
        centre.stop()
