"""The deployment files, checked by their own tools: the systemd units by `systemd-analyze
verify`, the reverse proxy by `nginx -t` and then by nginx itself serving the public pages over
TLS in front of a real server (and nothing else), the compose set by `docker compose config`.
The tools are installed by .ci/run; a test skips without one only outside CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import KIOSK, REQUIRE_SERVICES, ROOT, ServerProcess, free_port

DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/antrean/venv/bin/antrean"
SYSTEM_UNITS = ["antrean-server.service", "antrean-kiosk.service", "antrean-display.service",
                "antrean-counter-headless@.service", "antrean-backup.service",
                "antrean-backup.timer"]


def need_tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = f"{' or '.join(names)} is not installed (.ci/run installs it)"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def units_as_installed(folder: Path) -> None:
    """Our units, with the program where this checkout has it (verify checks it exists)."""
    antrean = Path(sys.executable).with_name("antrean")
    assert antrean.exists(), antrean
    for source in [*(DEPLOY / "systemd").glob("*.service"), *(DEPLOY / "systemd").glob("*.timer"),
                   *(DEPLOY / "systemd" / "user").glob("*.service")]:
        text = source.read_text(encoding="utf-8")
        assert INSTALLED in text or source.suffix == ".timer", source
        (folder / source.name).write_text(text.replace(INSTALLED, str(antrean)),
                                          encoding="utf-8")


def test_systemd_units_verify_cleanly(tmp_path: Path) -> None:
    analyze = need_tool("systemd-analyze")
    units_as_installed(tmp_path)
    # A template is verified through an instance of it.
    (tmp_path / "antrean-counter-headless@12.service").symlink_to(
        tmp_path / "antrean-counter-headless@.service")
    names = [n for n in SYSTEM_UNITS if "@." not in n] + ["antrean-counter-headless@12.service"]
    system = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in names)],
                            capture_output=True, text=True, timeout=120)
    assert system.returncode == 0 and system.stderr == "", system.stderr
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    user = subprocess.run([analyze, "--user", "verify", str(tmp_path / "antrean-counter.service")],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    assert user.returncode == 0 and user.stderr == "", user.stderr


def test_systemd_verify_would_catch_a_mistake(tmp_path: Path) -> None:
    analyze = need_tool("systemd-analyze")
    units_as_installed(tmp_path)
    unit = tmp_path / "antrean-kiosk.service"
    unit.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert "Restart" in result.stderr or "restart" in result.stderr


def test_every_app_and_the_server_restart_on_failure_with_a_watchdog() -> None:
    for name in ("antrean-server.service", "antrean-kiosk.service", "antrean-display.service",
                 "antrean-counter-headless@.service", "user/antrean-counter.service"):
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        for line in ("Type=notify", "Restart=on-failure", "WatchdogSec="):
            assert line in text, (name, line)


class Nginx:
    """nginx from the Debian package, run as the test's own, on free ports."""

    def __init__(self, root: Path, upstream_port: int) -> None:
        self.binary = need_tool("nginx")
        self.root = root
        self.https = free_port()
        self.http = free_port()
        certs = root / "certs"
        certs.mkdir(parents=True)
        subprocess.run([need_tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem"),
                        "-days", "1", "-subj", "/CN=antrean.example.go.id"],
                       check=True, capture_output=True)
        site = (DEPLOY / "nginx" / "antrean.conf").read_text(encoding="utf-8")
        site = (site.replace("/etc/letsencrypt/live/antrean.example.go.id", str(certs))
                .replace("listen 443", f"listen {self.https}")
                .replace("listen [::]:443", f"listen [::]:{self.https}")
                .replace("listen 80", f"listen {self.http}")
                .replace("listen [::]:80", f"listen [::]:{self.http}"))
        upstream = (DEPLOY / "nginx" / "antrean-upstream.conf").read_text(encoding="utf-8")
        (root / "site.conf").write_text(site, encoding="utf-8")
        (root / "upstream.conf").write_text(upstream.replace("127.0.0.1:8000",
                                                             f"127.0.0.1:{upstream_port}"))
        temp = root / "temp"
        temp.mkdir()
        paths = "".join(f"    {kind}_temp_path {temp};\n" for kind in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (root / "nginx.conf").write_text(
            f"error_log {root / 'error.log'};\npid {root / 'nginx.pid'};\n"
            f"events {{}}\nhttp {{\n    access_log off;\n{paths}"
            f"    include {root / 'upstream.conf'};\n    include {root / 'site.conf'};\n}}\n")
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.root), "-c", str(self.root / "nginx.conf"), *extra]

    def start(self) -> None:
        self.process = subprocess.Popen(self.command("-g", "daemon off;"))
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.http}/", timeout=1)
                return
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (self.root / "error.log").read_text()
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def proxy(server: ServerProcess, tmp_path: Path) -> Iterator[Nginx]:
    nginx = Nginx(tmp_path / "nginx", server.port)
    tested = subprocess.run(nginx.command("-t"), capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    assert "test is successful" in tested.stderr
    nginx.start()
    try:
        yield nginx
    finally:
        nginx.stop()


def test_the_proxy_serves_the_public_pages_over_tls_and_nothing_else(
    server: ServerProcess, proxy: Nginx
) -> None:
    ticket = httpx.post(server.url + "/api/v1/sites/TEST/tickets", headers=KIOSK,
                        json={"service": "KTP"}).json()
    code = ticket["tracking_code"]
    base = f"https://127.0.0.1:{proxy.https}"
    with httpx.Client(base_url=base, verify=False, timeout=10) as internet:  # self-signed
        page = internet.get(f"/t/{code}")
        assert page.status_code == 200 and ticket["number"] in page.text
        assert page.headers["strict-transport-security"].startswith("max-age=")
        tracked = internet.get(f"/api/v1/tickets/{code}")
        assert tracked.status_code == 200 and tracked.json()["number"] == ticket["number"]
        # nginx names the request; the server answers with the same id.
        assert len(tracked.headers["x-request-id"]) == 32
        catalogue = internet.get("/layanan", follow_redirects=True)
        assert catalogue.status_code == 200 and "KTP" in catalogue.text
        assert catalogue.url.scheme == "https" and catalogue.url.port == proxy.https
        assert internet.get("/api/v1/sites/TEST/services").status_code == 200
        for private in ("/dashboard", "/metrics", "/readyz", "/docs", "/openapi.json",
                        "/api/v1/sites/TEST/snapshot", "/api/v1/auth/token"):
            assert internet.get(private).status_code == 404, private
        assert internet.post("/api/v1/sites/TEST/tickets", headers=KIOSK,
                             json={"service": "KTP"}).status_code == 404
        assert internet.post("/api/v1/sites", json={}).status_code == 403
    plain = httpx.get(f"http://127.0.0.1:{proxy.http}/t/{code}")
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://127.0.0.1/t/{code}"


def test_the_compose_set_is_valid(tmp_path: Path) -> None:
    compose_file = DEPLOY / "compose" / "compose.yaml"
    docker = shutil.which("docker")
    plugin = docker is not None and subprocess.run(
        [docker, "compose", "version"], capture_output=True).returncode == 0
    command = [docker, "compose"] if plugin and docker else [need_tool("docker-compose")]
    env = {**os.environ, "POSTGRES_PASSWORD": "a-test-password"}
    checked = subprocess.run([*command, "-f", str(compose_file), "config"], capture_output=True,
                             text=True, env=env, timeout=120)
    assert checked.returncode == 0, checked.stderr
    for service in ("postgres:", "redis:", "server:", "proxy:", "backup:"):
        assert service in checked.stdout
    assert "--workers" in checked.stdout and "redis://redis:6379/0" in checked.stdout
    without = subprocess.run([*command, "-f", str(compose_file), "config"], capture_output=True,
                             text=True, env={k: v for k, v in os.environ.items()
                                             if k != "POSTGRES_PASSWORD"}, timeout=120)
    assert without.returncode != 0 and "POSTGRES_PASSWORD" in without.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text(compose_file.read_text().replace("restart: unless-stopped",
                                                      "restart: [unless-stopped]", 1))
    assert subprocess.run([*command, "-f", str(broken), "config"], capture_output=True,
                          env=env, timeout=120).returncode != 0
