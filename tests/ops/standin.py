"""A stand-in for systemd, where it is not running (a container): it reads a unit file and runs
its service the way systemd.service(5) says, as far as our units use it.

- ``ExecStart=``: ``${NAME}`` becomes one word (empty if unset), ``$NAME`` splits into words
  (none if empty); ``%i`` is the instance, ``%h`` the home folder. ``Environment=`` lines, then
  ``EnvironmentFile=`` (whose settings override them; a leading ``-`` makes it optional).
- ``Type=notify``: ``NOTIFY_SOCKET`` is a datagram socket of ours; the service is ready at
  ``READY=1``. ``WatchdogSec=``: ``WATCHDOG_USEC`` is set, and a service that sends no
  ``WATCHDOG=1`` for that long is sent SIGABRT, then SIGKILL after ``TimeoutAbortSec=``.
- ``Restart=on-failure``, ``RestartSec=``: a service that exits with a status other than 0,
  is killed by a signal other than SIGHUP, SIGINT, SIGTERM or SIGPIPE, or trips its watchdog
  is started again after RestartSec; one that exits cleanly stays stopped.

Settings it does not implement (User=, sandboxing, StateDirectory=) are read and ignored.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CLEAN_SIGNALS = {signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE}


def _seconds(value: str) -> float:
    """systemd time spans as our units write them: 10, 10s, 5min, 500ms."""
    match = re.fullmatch(r"\s*([\d.]+)\s*(ms|s|min|h)?\s*", value)
    if match is None:
        raise ValueError(f"a time span the stand-in cannot read: {value!r}")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1, "min": 60, "h": 3600}[unit]


@dataclass
class Unit:
    exec_start: str
    kind: str = "simple"
    restart: str = "no"
    restart_seconds: float = 0.1  # systemd's default RestartSec
    watchdog_seconds: float | None = None
    abort_seconds: float = 90.0
    environment: dict[str, str] = field(default_factory=dict)
    environment_files: list[str] = field(default_factory=list)
    working_directory: str | None = None

    @classmethod
    def parse(cls, text: str, instance: str = "") -> Unit:
        """The [Service] section of a unit file's text."""
        text = text.replace("%i", instance).replace("%h", str(Path.home()))
        section = ""
        values: dict[str, list[str]] = {}
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            if section == "Service":
                key, _, value = line.partition("=")
                values.setdefault(key.strip(), []).append(value.strip())
        unit = cls(exec_start=values["ExecStart"][-1])
        unit.kind = values.get("Type", ["simple"])[-1]
        unit.restart = values.get("Restart", ["no"])[-1]
        if "RestartSec" in values:
            unit.restart_seconds = _seconds(values["RestartSec"][-1])
        if "WatchdogSec" in values:
            unit.watchdog_seconds = _seconds(values["WatchdogSec"][-1])
        if "TimeoutAbortSec" in values:
            unit.abort_seconds = _seconds(values["TimeoutAbortSec"][-1])
        for assignment in values.get("Environment", []):
            for word in shlex.split(assignment):
                name, _, value = word.partition("=")
                unit.environment[name] = value
        unit.environment_files = values.get("EnvironmentFile", [])
        unit.working_directory = values.get("WorkingDirectory", [None])[-1]
        return unit

    def resolved_environment(self) -> dict[str, str]:
        environment = dict(self.environment)
        for name in self.environment_files:
            optional = name.startswith("-")
            path = Path(name.lstrip("-"))
            if not path.exists():
                if optional:
                    continue
                raise FileNotFoundError(f"EnvironmentFile {path} is missing")
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith(("#", ";")) and "=" in line:
                    key, _, value = line.partition("=")
                    environment[key.strip()] = value.strip().strip('"')
        return environment

    def command(self, environment: dict[str, str]) -> list[str]:
        words: list[str] = []
        for word in shlex.split(self.exec_start):
            whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
            if whole:  # $NAME: split into words, none when empty
                words += environment.get(whole.group(1), "").split()
                continue
            words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                                lambda m: environment.get(m.group(1), ""), word))
        return words


@dataclass
class Run:
    pid: int
    started: float
    ready_at: float | None = None
    ended: str | None = None  # "exit 0", "exit 2", "signal SIGKILL", "watchdog"


class StandInManager:
    """Runs one unit's service until ``stop()``, restarting it as the unit says."""

    def __init__(self, unit: Unit, socket_dir: Path, *, cwd: Path | None = None,
                 replace_executable: list[str] | None = None, log: Path | None = None) -> None:
        self.unit = unit
        self.cwd = cwd
        self.replace_executable = replace_executable
        self.log = log
        self.runs: list[Run] = []
        self.messages: list[tuple[int | None, str]] = []  # (run index, message)
        self._socket_path = socket_dir / "notify.sock"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self._socket_path))
        self._socket.settimeout(0.05)
        self._process: subprocess.Popen[bytes] | None = None
        self._last_beat = 0.0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, daemon=True)

    # -- what a test asks

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    @property
    def current(self) -> Run:
        return self.runs[-1]

    def wait_ready(self, run: int, timeout: float) -> Run:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.runs) > run and self.runs[run].ready_at is not None:
                return self.runs[run]
            time.sleep(0.05)
        raise TimeoutError(f"run {run} was not ready within {timeout}s: {self.runs}")

    def beats(self, run: int) -> int:
        return sum(1 for index, message in self.messages
                   if index == run and "WATCHDOG=1" in message.split("\n"))

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._socket.close()

    # -- the manager's own work

    def _spawn(self) -> None:
        environment = {**os.environ, **self.unit.resolved_environment(),
                       "NOTIFY_SOCKET": str(self._socket_path)}
        if self.unit.watchdog_seconds is not None:
            environment["WATCHDOG_USEC"] = str(int(self.unit.watchdog_seconds * 1_000_000))
        command = self.unit.command(environment)
        if self.replace_executable is not None:
            command = [*self.replace_executable, *command[1:]]
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            command, env=environment, cwd=self.cwd or self.unit.working_directory,
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.runs.append(Run(self._process.pid, time.monotonic()))
        self._last_beat = time.monotonic()

    def _read_messages(self) -> None:
        try:
            data = self._socket.recv(4096)
        except TimeoutError:
            return
        message = data.decode(errors="replace")
        self.messages.append((len(self.runs) - 1, message))
        fields = message.split("\n")
        if "READY=1" in fields and self.current.ready_at is None:
            self.current.ready_at = time.monotonic()
        if "WATCHDOG=1" in fields:
            self._last_beat = time.monotonic()

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            self._read_messages()
            assert self._process is not None
            code = self._process.poll()
            if code is None:
                watchdog = self.unit.watchdog_seconds
                if watchdog is not None and time.monotonic() - self._last_beat > watchdog:
                    self._watchdog_kill()
                    self._restart_if_due(failed=True)
                continue
            run = self.current
            if code >= 0:
                run.ended = f"exit {code}"
                failed = code != 0
            else:
                run.ended = f"signal {signal.Signals(-code).name}"
                failed = signal.Signals(-code) not in CLEAN_SIGNALS
            self._restart_if_due(failed)

    def _watchdog_kill(self) -> None:
        assert self._process is not None
        self.current.ended = "watchdog"
        self._process.send_signal(signal.SIGABRT)
        try:
            self._process.wait(self.unit.abort_seconds)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _restart_if_due(self, failed: bool) -> None:
        if self.unit.restart == "always" or (self.unit.restart == "on-failure" and failed):
            if self._stopping.wait(self.unit.restart_seconds):
                return
            self._spawn()
            return
        self._stopping.wait()  # it stays stopped, as systemd leaves it
