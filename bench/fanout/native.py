"""The crowd of subscribers as one native process (``crowd.c``, built with the system's C
compiler when the benchmark starts): it reads 10,000 sockets in a fraction of the time one
Python process takes, so the figures measure the servers, not the measuring client."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).with_name("crowd.c")


def build(workdir: Path) -> Path | None:
    """The crowd's binary, or None without a C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    binary = workdir / "crowd"
    subprocess.run([compiler, "-O2", "-o", str(binary), str(SOURCE)], check=True)
    return binary


class NativeCrowd:
    """The same use as ``bench.wsclient.Crowd``: connect, arm, wait."""

    def __init__(self, binary: Path, marker: bytes) -> None:
        self.binary = binary
        self.marker = marker
        self.size = 0
        self.dropped = 0
        self._process: asyncio.subprocess.Process | None = None

    async def _line(self, timeout: float) -> str:
        assert self._process is not None and self._process.stdout is not None
        line = (await asyncio.wait_for(self._process.stdout.readline(), timeout)).decode()
        if not line or line.startswith("error"):
            raise RuntimeError(f"the crowd failed: {line.strip() or 'it exited'}")
        return line

    async def _send(self, command: str) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(command.encode() + b"\n")
        await self._process.stdin.drain()

    async def connect(self, host: str, port: int, path: str, count: int,
                      ready: bytes | None = None) -> None:
        if self._process is None:
            self._process = await asyncio.create_subprocess_exec(
                str(self.binary), host, str(port), self.marker.decode(),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        await self._send(f"connect {count} {ready.decode() if ready else '-'} {path}")
        self.size = int((await self._line(180)).split()[1])

    async def arm(self) -> None:
        await self._send("arm")
        assert (await self._line(10)).startswith("armed")

    async def wait(self, timeout: float = 30) -> float:
        _, at, dropped = (await self._line(timeout)).split()
        self.dropped += int(dropped)
        return float(at)

    def close(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
