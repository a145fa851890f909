"""Starting `antrean serve` for a benchmark: a free port, the fd limit, and a server process
that answers /healthz before the measuring starts."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]


def run_fast(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop when it is installed, the loop `antrean serve` runs on: the
    measuring process's thousands of sockets then cost it less, and a baseline server gets
    the same loop as the server it is compared with."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return asyncio.run(main)


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_antrean(arguments: list[str], workdir: Path, port: int, *, env: dict[str, str],
                  unset: tuple[str, ...] = (), timeout: float, code: Path = ROOT
                  ) -> subprocess.Popen[bytes]:
    """`antrean serve ARGUMENTS --data-dir WORKDIR/data --port PORT`, logging to
    WORKDIR/server.log, once it answers; ``unset`` is left out of this process's environment
    (so is the Redis bus, unless ``env`` names one: one process is measured) and ``env`` added;
    ``code``: the source tree to run (another revision's, for a before/after comparison)."""
    environment = {**os.environ, "ANTREAN_LOG_LEVEL": "WARNING"}
    for name in ("ANTREAN_REDIS_URL", *unset):
        environment.pop(name, None)
    environment.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "common.cli", "serve", *arguments, "--data-dir",
         str(workdir / "data"), "--port", str(port)], cwd=code, env=environment,
        stdout=open(workdir / "server.log", "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the server did not start; see {workdir / 'server.log'}")


async def open_desks(base_url: str, clients: int, sites: int) -> list[tuple[int, dict[str, str]]]:
    """One open counter per client, spread over the bench halls S000… (each with its
    ``officerNNN``): (counter id, that officer's headers)."""
    desks: list[tuple[int, dict[str, str]]] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        for i in range(clients):
            site = i % sites
            login = await http.post("/api/v1/auth/token", json={
                "username": f"officer{site:03d}", "password": "bench-password"})
            officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            counters = (await http.get(f"/api/v1/sites/S{site:03d}/counters")).json()
            counter = counters[(i // sites) % len(counters)]["id"]
            await http.post(f"/api/v1/counters/{counter}/open", headers=officer)
            desks.append((counter, officer))
    return desks


def process_tree_cpu_seconds(pid: int) -> float:
    """The user and system CPU time a process and its children (the workers of `serve
    --workers N`) have used so far."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/stat", encoding="ascii") as stat:
                fields = stat.read().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as children:
                pending += [int(child) for child in children.read().split()]
        except FileNotFoundError:  # it ended meanwhile
            continue
    return total
