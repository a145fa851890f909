"""`antrean modem status|send|simulate` end to end, over a socat pty pair."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hwsupport import PtyPair, pty_pair_fixture

from common.cli import main
from hardware.modem.simulator import ModemSimulator

pty_pair = pty_pair_fixture
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def simulator(pty_pair: PtyPair) -> Iterator[ModemSimulator]:
    with ModemSimulator(str(pty_pair.device), send_seconds=0.1, answer_seconds=0.005) as sim:
        yield sim


def test_status_and_a_test_sms(pty_pair: PtyPair, simulator: ModemSimulator,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["modem", "status", str(pty_pair.host), "--timeout", "2"]) == 0
    out = capsys.readouterr().out
    assert "state:        ok" in out and "SIM:          READY" in out and "-77 dBm" in out
    assert main(["modem", "send", str(pty_pair.host), "+6281234567890", "Uji SMS dari loket"]) == 0
    assert "sent to +6281234567890" in capsys.readouterr().out
    assert [m.text for m in simulator.messages] == ["Uji SMS dari loket"]


def test_status_names_the_problem(pty_pair: PtyPair, simulator: ModemSimulator,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    simulator.sim_present = False
    assert main(["modem", "status", str(pty_pair.host), "--timeout", "2"]) == 1
    assert "SIM tidak terpasang; periksa kartu SIM" in capsys.readouterr().out
    assert main(["modem", "send", str(pty_pair.host), "+6281234567890", "halo"]) == 1
    assert "failed: SIM tidak terpasang (SIM not inserted) [+CMS ERROR: 310]" in capsys.readouterr().err


def test_a_port_with_no_modem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["modem", "status", str(tmp_path / "ttyUSB9"), "--timeout", "0.5"]) == 1
    assert "modem tidak terhubung" in capsys.readouterr().err


def test_the_simulator_command_prints_what_it_sends(pty_pair: PtyPair,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    simulate = subprocess.Popen(
        [sys.executable, "-c", "import sys; from common.cli import main; sys.exit(main(sys.argv[1:]))",
         "modem", "simulate", "--serial", str(pty_pair.device), "--send-seconds", "0.1",
         "--fail", "1:42"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert simulate.stdout is not None
        assert "simulated GSM modem on" in simulate.stdout.readline()
        text = "Antrean A-012 — Loket 5 ✓"
        assert main(["modem", "send", str(pty_pair.host), "081234567890", text]) == 0
        assert "sent to 081234567890" in capsys.readouterr().out  # after one congestion retry
        line = simulate.stdout.readline()
        assert line.strip() == f"SMS to 081234567890 (1 part(s), ucs2, pdu mode): {text}"
    finally:
        simulate.terminate()
        simulate.wait(timeout=10)
