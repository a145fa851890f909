"""Real processes of a region for the tests: a centre and its site servers (`antrean serve`), the
`antrean region` and `antrean simulate` commands."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from conftest import ROOT, free_port, kill_process, stop_process


def antrean(*arguments: str, env: dict[str, str] | None = None, stdin: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "common.cli", "--log-level", "WARNING",
                           *arguments], cwd=ROOT, capture_output=True, text=True, input=stdin,
                          env={**os.environ, **(env or {})}, timeout=timeout)


@dataclass
class Served:
    """`antrean serve` in its own process on a fresh SQLite store in ``data_dir``."""

    data_dir: Path
    arguments: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.data_dir / "antrean.db"

    def start(self, timeout: float = 60) -> Served:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        environment = {**os.environ, **self.env}
        environment.pop("ANTREAN_DATABASE_URL", None)
        log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "common.cli", "serve", *self.arguments, "--data-dir",
             str(self.data_dir), "--port", str(self.port)],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        kill_process(self.process)

    def stop(self) -> None:
        stop_process(self.process, timeout=15)

    def login(self, username: str, password: str) -> dict[str, str]:
        answer = httpx.post(self.url + "/api/v1/auth/token", timeout=10,
                            json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        answer = httpx.get(self.url + path, headers=headers, params=params, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()
