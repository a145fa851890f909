"""Shared fixtures: real databases (SQLite file, PostgreSQL), the app in-process with a clock the
test controls, and real server processes over HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL_HALL = FIXTURES / "small_hall.toml"
REQUIRE_SERVICES = os.environ.get("ANTREAN_REQUIRE_SERVICES") == "1"
POSTGRES_ADMIN_URL = os.environ.get("ANTREAN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
KIOSK = {"Authorization": "Bearer test-kiosk-token-1"}
KIOSK_2 = {"Authorization": "Bearer test-kiosk-token-2"}
DISPLAY = {"Authorization": "Bearer test-display-token-1"}
KEYPAD = {"Authorization": "Bearer test-keypad-token-1"}
PASSWORDS = {"siti": "rahasia-siti", "budi": "rahasia-budi", "manajer": "rahasia-manajer",
             "admin": "rahasia-admin"}


def far_from_midnight(config: Path, path: Path) -> Path:
    """The hall of ``config``, written to ``path``, in a time zone where it is about midday
    now: a test that runs a while against a server on the real clock must not see the service
    day change under it (at 17:00 UTC it does in Asia/Jakarta)."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12 … 11
    zone = f"Etc/GMT{-offset:+d}" if offset else "UTC"  # the Etc/GMT names count westward
    text = config.read_text(encoding="utf-8")
    assert 'timezone = "Asia/Jakarta"' in text
    path.write_text(text.replace('timezone = "Asia/Jakarta"', f'timezone = "{zone}"'),
                    encoding="utf-8")
    return path


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip without the service, unless the run demands it (ANTREAN_REQUIRE_SERVICES=1)."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and ANTREAN_REQUIRE_SERVICES=1")
    pytest.skip(message)


def need_system_package(present: bool, what: str, package: str) -> None:
    """Skip without a program or font the test drives (say which Debian package brings it),
    unless the run demands everything (ANTREAN_REQUIRE_SERVICES=1, as in CI): then fail."""
    if present:
        return
    message = f"{what} is not installed (Debian package {package})"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and ANTREAN_REQUIRE_SERVICES=1")
    pytest.skip(message)


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


async def _postgres_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL + "/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a new PostgreSQL database dropped after."""
    with fresh_database(request.param, tmp_path / "data") as url:
        yield url


@contextmanager
def fresh_database(kind: str, folder: Path,
                   before_drop: Callable[[str], Awaitable[None]] | None = None) -> Iterator[str]:
    """The URL of an empty store of ``kind``: an SQLite file in ``folder``, or a new PostgreSQL
    database, dropped after (``before_drop`` first clears what a test made beside it)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'antrean.db'}"
        return
    need_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"antrean_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_ADMIN_URL}/{name}"
    finally:
        if before_drop is not None:
            asyncio.run(before_drop(f"{POSTGRES_ADMIN_URL}/{name}"))
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class FakeClock:
    """The time the app sees; tests move it forward."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Hall:
    """The app in-process (real ASGI, real database), with helpers a test reads well with."""

    client: httpx.AsyncClient
    clock: FakeClock
    app: object

    @property
    def context(self):  # type: ignore[no-untyped-def]
        return self.app.state.context  # type: ignore[attr-defined]

    async def login(self, username: str) -> dict[str, str]:
        response = await self.client.post("/api/v1/auth/token", json={
            "username": username, "password": PASSWORDS[username]})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def counter_id(self, number: int) -> int:
        counters = (await self.client.get("/api/v1/sites/TEST/counters")).json()
        return next(c["id"] for c in counters if c["number"] == number)

    async def issue(self, service: str, headers: dict[str, str] = KIOSK, **extra: object
                    ) -> dict[str, object]:
        response = await self.client.post("/api/v1/sites/TEST/tickets",
                                          json={"service": service, **extra}, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def open_counter(self, number: int, headers: dict[str, str]) -> int:
        counter = await self.counter_id(number)
        response = await self.client.post(f"/api/v1/counters/{counter}/open", headers=headers)
        assert response.status_code == 200, response.text
        return counter


@asynccontextmanager
async def running_hall(database_url: str, data_dir: Path, config: Path = SMALL_HALL,
                       clock: FakeClock | None = None) -> AsyncIterator[Hall]:
    from server.app import create_app
    from server.settings import Settings

    clock = clock or FakeClock()
    settings = Settings(data_dir=data_dir, database_url=database_url, config_path=config,
                        maintenance_seconds=3600)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hall") as client:
            yield Hall(client, clock, app)


@pytest.fixture
async def hall(database_url: str, tmp_path: Path) -> AsyncIterator[Hall]:
    async with running_hall(database_url, tmp_path / "data") as running:
        yield running


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess:
    """`antrean serve` in its own process, reached over real HTTP."""

    database_url: str
    data_dir: Path
    config: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)  # more `antrean serve` options

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        env = {**os.environ, "ANTREAN_DATABASE_URL": self.database_url, **self.env}
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "common.cli", "serve", "--config", str(self.config),
             "--data-dir", str(self.data_dir), "--port", str(self.port), *self.args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(self.health_url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    @property
    def health_url(self) -> str:
        """Where the server answers once up: loopback, unless it listens on one address alone."""
        host = self.args[self.args.index("--host") + 1] if "--host" in self.args else "127.0.0.1"
        return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{self.port}/healthz"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"server-{self.port}.log"

    def kill(self) -> None:
        kill_process(self.process)

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


def kill_process(process: subprocess.Popen[bytes] | None) -> None:
    """kill -9, as a power cut or the OOM killer would."""
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """A polite stop (SIGTERM), then kill -9 if it does not end within ``timeout`` s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process(process)


@pytest.fixture
def server_process(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(database_url, tmp_path / "data", SMALL_HALL)
    server.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def serving(config: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    """`antrean serve` on a fresh SQLite file in ``tmp_path`` with the hall ``config``, started
    and reachable; stopped after."""
    process = ServerProcess(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                            config)
    process.data_dir.mkdir(parents=True, exist_ok=True)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """`antrean serve` on a fresh SQLite file with the small hall, started and reachable."""
    with serving(SMALL_HALL, tmp_path) as process:
        yield process


def zbar_decode(png: Path) -> list[str]:
    """The QR codes zbar (an outside decoder: zbarimg, from zbar-tools) reads in a picture."""
    import shutil

    need_system_package(shutil.which("zbarimg") is not None, "zbarimg", "zbar-tools")
    found = subprocess.run(["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(png)],
                           capture_output=True, text=True, timeout=60)
    assert found.returncode in (0, 4), found.stderr  # 4: nothing found
    return found.stdout.splitlines()
