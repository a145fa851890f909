"""The apps and the server run by their own unit files, under a stand-in for systemd (this
machine has no systemd running; see ``standin``): each reports ready and beats the watchdog;
killed, it is started again; frozen (SIGSTOP), its watchdog fires and it is started again;
stopped cleanly, it stays stopped. The settings come from the unit files as shipped; only the
install paths and the hall's addresses are this test's."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, SMALL_HALL, ServerProcess, free_port
from standin import StandInManager, Unit

pytestmark = pytest.mark.slow

UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/antrean/venv/bin/antrean"
SCREENLESS = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}


def settings(name: str, server: ServerProcess, tmp: Path) -> dict[str, str]:
    """What /etc/antrean/*.env would hold for this hall, for each unit."""
    common = {"ANTREAN_SERVER": server.url, **SCREENLESS}
    return {
        "antrean-server.service": {"ANTREAN_DATA_DIR": str(tmp / "data"),
                                   "ANTREAN_PORT": str(free_port()),
                                   "ANTREAN_HOST": "127.0.0.1"},
        "antrean-kiosk.service": {**common, "ANTREAN_DEVICE_TOKEN": "test-kiosk-token-1",
                                  "ANTREAN_PRINTER": "sim://"},
        "antrean-display.service": {**common, "ANTREAN_DEVICE_TOKEN": "test-display-token-1",
                                    "ANTREAN_DISPLAY_OPTIONS": "--no-sound --size 1280x720"},
        "antrean-counter-headless@.service": {**common, "ANTREAN_DEVICE_TOKEN":
                                              "test-keypad-token-1", "ANTREAN_KEYPAD": "loop://",
                                              "ANTREAN_LED": "loop://"},
        "user/antrean-counter.service": {**common, "ANTREAN_COUNTER": "1",
                                         "ANTREAN_USERNAME": "siti"},
    }[name]


def manager(name: str, server: ServerProcess, tmp: Path) -> StandInManager:
    etc = tmp / "etc"
    etc.mkdir()
    (etc / "hall.toml").write_text(SMALL_HALL.read_text(encoding="utf-8"), encoding="utf-8")
    text = (UNITS / name).read_text(encoding="utf-8")
    assert INSTALLED in text
    text = text.replace("/etc/antrean/", f"{etc}/").replace("%h/.config/antrean/", f"{etc}/")
    unit = Unit.parse(text, instance="1")
    env_file = next(Path(f.lstrip("-")) for f in unit.environment_files)
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings(name, server, tmp).items()),
                        encoding="utf-8")
    return StandInManager(unit, tmp, cwd=ROOT, log=tmp / "service.log",
                          replace_executable=[sys.executable, "-m", "common.cli"])


def exercise(standin: StandInManager, tmp: Path, *, freeze: bool) -> None:
    log = tmp / "service.log"
    first = standin.wait_ready(0, 90)
    deadline = time.monotonic() + 30
    while standin.beats(0) < 2:  # beats keep coming, not just one at start
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)

    os.kill(first.pid, signal.SIGKILL)
    second = standin.wait_ready(1, 90)
    assert standin.runs[0].ended == "signal SIGKILL"
    assert second.pid != first.pid
    assert second.started - first.started >= standin.unit.restart_seconds

    last = 1
    if freeze:
        os.kill(second.pid, signal.SIGSTOP)  # its loop stops turning: no more beats
        third = standin.wait_ready(2, standin.unit.watchdog_seconds + standin.unit.abort_seconds
                                   + 90)
        assert standin.runs[1].ended == "watchdog"
        assert third.pid != second.pid
        last = 2

    os.kill(standin.runs[last].pid, signal.SIGTERM)  # systemctl stop: stays stopped
    deadline = time.monotonic() + 30
    while standin.runs[last].ended is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(standin.unit.restart_seconds + 1)
    assert len(standin.runs) == last + 1, standin.runs


@pytest.mark.parametrize(("name", "freeze"), [
    ("antrean-kiosk.service", True),
    ("antrean-display.service", False),  # frozen like the kiosk: the same loop and beat
    ("antrean-counter-headless@.service", True),
    ("user/antrean-counter.service", False),
])
def test_an_app_is_restarted_by_its_unit(name: str, freeze: bool, server: ServerProcess,
                                         tmp_path: Path) -> None:
    standin = manager(name, server, tmp_path)
    assert standin.unit.kind == "notify" and standin.unit.restart == "on-failure"
    assert standin.unit.watchdog_seconds is not None
    standin.start()
    try:
        exercise(standin, tmp_path, freeze=freeze)
    finally:
        standin.stop()


def test_the_server_is_restarted_by_its_unit(server: ServerProcess, tmp_path: Path) -> None:
    standin = manager("antrean-server.service", server, tmp_path)
    port = standin.unit.resolved_environment()["ANTREAN_PORT"]
    standin.start()
    try:
        standin.wait_ready(0, 90)
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(url + "/readyz", timeout=10).status_code == 200
        # Frozen, it is restarted as an app is (above), after its longer watchdog (30 s).
        exercise(standin, tmp_path, freeze=False)
        with pytest.raises(httpx.ConnectError):  # stopped cleanly, it stays stopped
            httpx.get(url + "/livez", timeout=10)
    finally:
        standin.stop()
