"""Helpers for the hardware tests: socat pty pairs stand in for serial cables."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import need_system_package


@dataclass
class PtyPair:
    """Two linked serial ports; ``pull()`` and ``plug()`` unplug and replug the cable."""

    host: Path
    device: Path
    _process: subprocess.Popen[bytes] | None = None

    def plug(self) -> None:
        self._process = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.host}", f"pty,raw,echo=0,link={self.device}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not (self.host.exists() and self.device.exists()):
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.02)

    def pull(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll ``condition`` until true; the timeout is only a safety net against a hung test."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture(name="pty_pair")
def pty_pair_fixture(tmp_path: Path) -> Iterator[PtyPair]:
    need_system_package(shutil.which("socat") is not None, "socat", "socat")
    pair = PtyPair(host=tmp_path / "host", device=tmp_path / "device")
    pair.plug()
    yield pair
    pair.pull()
