"""A PostgreSQL server of the test's own: initdb into a temporary folder, started on a free
port, stopped and started again at will. Outage tests stop this one, never a shared server."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REQUIRE_SERVICES, free_port


def postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, or where Debian puts each version."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)
    return versions[-1].parent if versions else None


@dataclass
class ThrowawayPostgres:
    folder: Path
    bin: Path
    port: int
    user: str | None  # run as this system user (PostgreSQL refuses to run as root)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bin / command[0]), *command[1:]], check=check,
                              capture_output=True, text=True, user=self.user, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=120")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "postgres.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: the server ends every session ("terminating connection due to
        administrator command") and shuts down, as an administrator's restart does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop",
                  check=False)


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A started instance, removed afterwards; skips (fails under ANTREAN_REQUIRE_SERVICES=1)
    where PostgreSQL's programs are not installed."""
    bindir = postgres_bin()
    if bindir is None:
        message = "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    user = None
    folder = Path(tempfile.mkdtemp(prefix="antrean-pg-"))
    if os.geteuid() == 0:
        user = "postgres"
        owner = pwd.getpwnam(user)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = ThrowawayPostgres(folder, bindir, free_port(), user)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
