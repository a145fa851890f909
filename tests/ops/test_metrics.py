"""`/metrics` as Prometheus reads it: parsed by the Prometheus client library's own parser, with
values that follow a ticket through its life on a real server process; and the pieces behind
it (histogram buckets, the workers' shared folder) read back by the same parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import DISPLAY, KIOSK, PASSWORDS, SMALL_HALL, ServerProcess, free_port
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from server import __version__
from server.observe.metrics import Pool, Registry, render
from server.store.migrate import head_revision

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> tuple[Samples, dict[str, str]]:
    """Every sample by (name, labels), and each family's type, as the library reads them."""
    samples: Samples = {}
    kinds = {}
    for family in text_string_to_metric_families(text):
        kinds[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, kinds


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(server: ServerProcess) -> Samples:
    response = httpx.get(server.url + "/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)[0]


@pytest.fixture
def running(server_process: ServerProcess) -> Iterator[ServerProcess]:
    server_process.start()
    yield server_process


def test_metrics_follow_a_ticket_through_its_life(running: ServerProcess) -> None:
    url = running.url
    ktp = {"site": "TEST", "service": "KTP"}
    before = scrape(running)
    assert value(before, "antrean_tickets_waiting", **ktp) == 0
    assert value(before, "antrean_tickets_issued_total", **ktp) == 0
    kinds = parse(httpx.get(url + "/metrics").text)[1]
    assert kinds["antrean_tickets_issued"] == "counter"
    assert kinds["antrean_call_next_duration_seconds"] == "histogram"
    assert kinds["antrean_tickets_waiting"] == "gauge"

    issued = httpx.post(url + "/api/v1/sites/TEST/tickets", headers=KIOSK,
                        json={"service": "KTP"})
    assert issued.status_code == 201
    after_issue = scrape(running)
    assert value(after_issue, "antrean_tickets_issued_total", **ktp) == 1
    assert value(after_issue, "antrean_tickets_waiting", **ktp) == 1
    assert value(after_issue, "antrean_tickets_issued_today", **ktp) == 1
    assert value(after_issue, "antrean_issue_duration_seconds_count") == 1
    assert value(after_issue, "antrean_issue_duration_seconds_bucket", le="+Inf") == 1

    login = httpx.post(url + "/api/v1/auth/token",
                       json={"username": "siti", "password": PASSWORDS["siti"]})
    officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    counters = httpx.get(url + "/api/v1/sites/TEST/counters").json()
    counter = next(c["id"] for c in counters if c["number"] == 1)
    assert httpx.post(f"{url}/api/v1/counters/{counter}/open", headers=officer).status_code == 200
    called = httpx.post(f"{url}/api/v1/counters/{counter}/call-next", headers=officer)
    assert called.status_code == 200
    ticket = called.json()["id"]
    after_call = scrape(running)
    assert value(after_call, "antrean_tickets_called_total", **ktp) == 1
    assert value(after_call, "antrean_tickets_waiting", **ktp) == 0
    assert value(after_call, "antrean_counters", site="TEST", state="open") == 1
    assert value(after_call, "antrean_counters", site="TEST", state="closed") == 2
    assert value(after_call, "antrean_call_next_duration_seconds_count") == 1
    assert value(after_call, "antrean_call_next_duration_seconds_sum") > 0

    for step in ("start", "finish"):
        assert httpx.post(f"{url}/api/v1/tickets/{ticket}/{step}",
                          headers=officer).status_code == 200
    assert value(scrape(running), "antrean_tickets_finished_total", **ktp) == 1

    httpx.post(url + "/api/v1/sites/TEST/tickets", headers=KIOSK, json={"service": "KTP"})
    second = httpx.post(f"{url}/api/v1/counters/{counter}/call-next", headers=officer).json()
    assert httpx.post(f"{url}/api/v1/tickets/{second['id']}/no-show",
                      headers=officer).status_code == 200
    final = scrape(running)
    assert value(final, "antrean_tickets_issued_total", **ktp) == 2
    assert value(final, "antrean_tickets_called_total", **ktp) == 2
    assert value(final, "antrean_tickets_no_show_total", **ktp) == 1
    assert value(final, "antrean_tickets_issued_today", **ktp) == 2
    assert value(final, "antrean_call_next_duration_seconds_count") == 2


def test_metrics_show_devices_and_sockets(running: ServerProcess) -> None:
    url = running.url
    reported = httpx.post(url + "/api/v1/devices/status", headers=KIOSK,
                          json={"component": "printer", "state": "paper_out"})
    assert reported.status_code == 204
    samples = scrape(running)
    printer = {"site": "TEST", "device": "kiosk-1", "kind": "kiosk", "component": "printer"}
    assert value(samples, "antrean_device_state", **printer, state="paper_out") == 1
    assert value(samples, "antrean_device_last_report_timestamp_seconds", site="TEST",
                 device="kiosk-1", kind="kiosk") > 1.7e9
    httpx.post(url + "/api/v1/devices/status", headers=KIOSK,
               json={"component": "printer", "state": "ok"})
    samples = scrape(running)
    assert value(samples, "antrean_device_state", **printer, state="ok") == 1
    assert ("antrean_device_state",
            frozenset({**printer, "state": "paper_out"}.items())) not in samples

    token = DISPLAY["Authorization"].split()[1]
    with connect(url.replace("http", "ws") + f"/api/v1/ws?token={token}") as socket_:
        while json.loads(socket_.recv(timeout=10))["type"] != "synced":
            pass
        assert value(scrape(running), "antrean_websocket_connections") == 1
    dialect = "sqlite" if running.database_url.startswith("sqlite") else "postgresql"
    assert value(scrape(running), "antrean_build_info", version=__version__, database=dialect,
                 schema=head_revision()) == 1


def test_histogram_buckets_are_cumulative_as_the_parser_reads_them() -> None:
    registry = Registry()
    latency = registry.histogram("antrean_test_seconds", "a test", buckets=(0.01, 0.1, 1.0))
    for seconds in (0.005, 0.01, 0.05, 0.5, 0.5, 3.0):
        latency.observe(seconds)
    counter = registry.counter("antrean_test_total", 'quotes " and \\ backslashes', ("who",))
    counter.inc('a "quoted"\nname')
    samples, kinds = parse(render(registry.families([(None, registry.snapshot())])))
    assert kinds == {"antrean_test_seconds": "histogram", "antrean_test": "counter"}
    assert [value(samples, "antrean_test_seconds_bucket", le=le)
            for le in ("0.01", "0.1", "1.0", "+Inf")] == [2, 3, 5, 6]
    assert value(samples, "antrean_test_seconds_count") == 6
    assert value(samples, "antrean_test_seconds_sum") == pytest.approx(4.065)
    assert value(samples, "antrean_test_total", who='a "quoted"\nname') == 1


def test_workers_pool_their_figures_and_a_dead_one_leaves(tmp_path: Path) -> None:
    ours = Registry()
    issued = ours.counter("antrean_tickets_issued_total", "issued", ("site",))
    issued.inc("TEST", amount=3)
    pool = Pool(tmp_path)
    pool.write(ours.snapshot())
    # Another worker, still alive, and one that has exited: its file goes with it.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    try:
        snapshot = {"antrean_tickets_issued_total": [[["TEST"], 5.0]]}
        for pid in (other.pid, int(gone.stdout)):
            (tmp_path / f"{pid}.json").write_text(json.dumps(snapshot), encoding="utf-8")
        samples, _ = parse(render(ours.families(pool.read())))
    finally:
        other.kill()
        other.wait()
    assert value(samples, "antrean_tickets_issued_total", site="TEST", worker=str(os.getpid())) == 3
    assert value(samples, "antrean_tickets_issued_total", site="TEST", worker=str(other.pid)) == 5
    assert not (tmp_path / f"{int(gone.stdout)}.json").exists()
    assert len([k for k in samples if k[0] == "antrean_tickets_issued_total"]) == 2


def test_a_site_server_shows_its_outbox_backlog_while_its_centre_is_away(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # a centre that is not there (yet)
    server = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                           SMALL_HALL, args=["--upstream", nowhere, "--site-token", "t-1"])
    server.data_dir.mkdir(parents=True)
    server.start()
    try:
        before = value(scrape(server), "antrean_outbox_backlog")
        for _ in range(3):
            assert httpx.post(server.url + "/api/v1/sites/TEST/tickets", headers=KIOSK,
                              json={"service": "KK"}).status_code == 201
        samples = scrape(server)
        assert value(samples, "antrean_outbox_backlog") >= before + 3  # a ticket row each, at least
        states = {dict(labels)["state"] for (name, labels) in samples
                  if name == "antrean_uplink_state"}
        assert states <= {"starting", "offline"} and len(states) == 1
    finally:
        server.stop()
