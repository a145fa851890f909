"""The GSM modem driver and SMS channel against the modem simulator over real serial lines
(socat pty pairs), and over pyserial's loop:// (a loopback plug: no modem behind it)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from hwsupport import PtyPair, pty_pair_fixture, wait_until

from common.delivery import Channel, Message
from hardware.modem import GsmModem, ModemError, SmsChannel
from hardware.modem.simulator import ModemSimulator

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from gsmmodem.pdu import decodeSmsPdu  # an independent decoder (python-gsmmodem-new)

pty_pair = pty_pair_fixture

NUMBER = "+6281234567890"


@pytest.fixture
def simulator(pty_pair: PtyPair) -> Iterator[ModemSimulator]:
    with ModemSimulator(str(pty_pair.device), send_seconds=0.15, answer_seconds=0.005) as sim:
        yield sim


@pytest.fixture
def modem(pty_pair: PtyPair, simulator: ModemSimulator) -> Iterator[GsmModem]:
    with GsmModem(str(pty_pair.host), command_timeout=1.0, send_timeout=3.0) as gsm:
        assert gsm.wait_connected(10)
        yield gsm


def channel(modem: GsmModem, attempts: int = 3) -> SmsChannel:
    return SmsChannel(modem, attempts=attempts, retry_seconds=0.05, max_retry_seconds=0.2)


def message(text: str, ident: str = "m-1") -> Message:
    return Message(id=ident, to=NUMBER, text=text, kind="called")


def test_status_of_a_ready_modem_after_its_set_up(modem: GsmModem, simulator: ModemSimulator) -> None:
    status = modem.status()
    assert status.can_send and status.state == "ok"
    assert status.signal_dbm == -113 + 2 * 18
    assert status.describe() == "Modem siap, sinyal -77 dBm (modem ready, signal -77 dBm)"
    assert simulator.commands[:3] == ["AT", "ATE0", "AT+CMEE=1"]  # echo off, numeric errors
    request = status.as_request()
    assert (request.component, request.state) == ("modem", "ok")


def test_a_short_text_goes_in_text_mode(modem: GsmModem, simulator: ModemSimulator) -> None:
    sms = channel(modem)
    assert isinstance(sms, Channel)
    result = sms.send(message("Nomor A-012 dipanggil ke Loket 5 (Dukcapil)"))
    assert result.status == "sent" and result.reference.isdigit()
    [sent] = simulator.messages
    assert (sent.number, sent.text, sent.mode, sent.parts) == (
        NUMBER, "Nomor A-012 dipanggil ke Loket 5 (Dukcapil)", "text", 1)
    assert 'AT+CMGF=1' in simulator.commands and 'AT+CSCS="GSM"' in simulator.commands


def test_a_long_text_is_split_and_joined_again(modem: GsmModem, simulator: ModemSimulator) -> None:
    text = ("Pengingat: besok pukul 09.00 Anda punya janji di Mal Pelayanan Publik, loket "
            "Dukcapil. Bawa KTP asli dan fotokopi Kartu Keluarga [2 lembar]. ") * 3
    result = channel(modem).send(message(text))
    assert result.status == "sent" and len(result.reference.split(",")) == 3
    [joined] = simulator.messages
    assert (joined.text, joined.parts, joined.mode, joined.encoding) == (text, 3, "pdu", "gsm7")
    references = {p.reference for p in simulator.parts}
    assert len(references) == 1 and [p.part for p in simulator.parts] == [1, 2, 3]
    decoded = [decodeSmsPdu(p.pdu) for p in simulator.parts]  # what really went over the line
    assert "".join(d["text"] for d in decoded) == text
    assert {d["udh"][0].reference for d in decoded} == references


def test_a_text_outside_gsm7_goes_as_ucs2(modem: GsmModem, simulator: ModemSimulator) -> None:
    text = "Antrean A-012 — silakan ke Loket 5 ✓"
    assert channel(modem).send(message(text)).status == "sent"
    [sent] = simulator.messages
    assert (sent.text, sent.encoding, sent.mode) == (text, "ucs2", "pdu")
    assert decodeSmsPdu(simulator.parts[0].pdu)["text"] == text


def test_a_temporary_cms_error_is_retried(modem: GsmModem, simulator: ModemSimulator) -> None:
    simulator.fail_next(2, 42)  # congestion, twice
    result = channel(modem, attempts=3).send(message("Giliran Anda sudah dekat"))
    assert (result.status, result.attempts) == ("sent", 3)
    assert len(simulator.messages) == 1


def test_a_temporary_cms_error_that_lasts_is_handed_back_with_its_reason(
        modem: GsmModem, simulator: ModemSimulator) -> None:
    simulator.fail_next(3, 42)
    result = channel(modem, attempts=3).send(message("Giliran Anda sudah dekat"))
    assert (result.status, result.attempts) == ("retry_later", 3)
    assert result.reason == "jaringan padat (congestion) [+CMS ERROR: 42]"
    assert result.after is not None and 0 < result.after <= 0.2
    assert simulator.messages == []


def test_a_permanent_cms_error_fails_at_once(modem: GsmModem, simulator: ModemSimulator) -> None:
    simulator.fail_next(1, 1)  # unassigned number
    result = channel(modem, attempts=3).send(message("Giliran Anda sudah dekat"))
    assert (result.status, result.attempts) == ("failed", 1)
    assert "nomor tujuan tidak terdaftar" in result.reason and "+CMS ERROR: 1" in result.reason


def test_a_failed_part_is_resent_with_the_same_reference(
        modem: GsmModem, simulator: ModemSimulator) -> None:
    text = "Pengingat janji besok pukul 09.00 di loket Dukcapil. " * 6  # 3 parts
    sms = channel(modem, attempts=1)
    simulator.fail_next(1, 42, after=1)  # part 1 goes, the network refuses part 2
    result = sms.send(message(text, "m-long"))
    assert result.status == "retry_later"
    assert [p.part for p in simulator.parts] == [1] and simulator.messages == []
    again = sms.send(message(text, "m-long"))
    assert again.status == "sent"
    assert [p.part for p in simulator.parts] == [1, 2, 3]  # part 1 not sent twice
    assert len({p.reference for p in simulator.parts}) == 1
    [joined] = simulator.messages
    assert joined.text == text


def test_no_sim_no_pin_no_signal_as_staff_read_them(
        modem: GsmModem, simulator: ModemSimulator) -> None:
    simulator.sim_present = False
    status = modem.status()
    assert status.state == "error" and status.sim == "missing"
    assert "SIM tidak terpasang" in status.describe() and "SIM not inserted" in status.describe()
    no_sim = channel(modem).send(message("halo"))
    assert no_sim.status == "failed" and "+CMS ERROR: 310" in no_sim.reason

    simulator.sim_present, simulator.pin_entered, simulator.pin = True, False, "1234"
    locked = modem.status()
    assert locked.sim == "SIM PIN" and "SIM perlu PIN" in locked.describe()
    assert channel(modem).send(message("halo")).reason.endswith("[+CMS ERROR: 311]")

    simulator.pin_entered, simulator.rssi = True, None
    weak = modem.status()
    assert weak.state == "error" and "tidak ada sinyal" in weak.describe()
    assert "not registered" in weak.describe()
    waiting = channel(modem, attempts=2).send(message("halo"))
    assert waiting.status == "retry_later" and "no network service" in waiting.reason

    simulator.rssi, simulator.registration = 20, 3
    denied = modem.status()
    assert "pendaftaran ditolak" in denied.describe() and not denied.can_send
    simulator.registration = 5
    assert modem.status().can_send and "roaming" in modem.status().describe()


def test_the_configured_pin_unlocks_the_sim(pty_pair: PtyPair) -> None:
    with ModemSimulator(str(pty_pair.device), pin="4321", send_seconds=0.05) as simulator, \
            GsmModem(str(pty_pair.host), pin="4321", command_timeout=1.0) as modem:
        assert modem.wait_connected(10)
        assert modem.status().can_send
        assert 'AT+CPIN="4321"' in simulator.commands


def test_a_send_the_network_does_not_answer_in_time(
        modem: GsmModem, simulator: ModemSimulator) -> None:
    modem.send_timeout, simulator.send_seconds = 0.3, 1.0
    result = channel(modem, attempts=1).send(message("halo"))
    assert result.status == "retry_later" and "tidak menjawab AT+CMGS" in result.reason
    # The late "+CMGS: n / OK" must not be taken for the answer to what comes next.
    simulator.send_seconds, modem.command_timeout = 0.05, 5.0  # the late answer takes 0.7 s more
    assert modem.status().can_send
    assert channel(modem).send(message("lagi", "m-2")).status == "sent"
    assert [m.text for m in simulator.messages] == ["halo", "lagi"]  # the late one went too


def test_unplugged_and_back(pty_pair: PtyPair, modem: GsmModem, simulator: ModemSimulator) -> None:
    assert modem.status().can_send
    simulator.unplug()
    pty_pair.pull()
    assert wait_until(lambda: not modem.link.connected.is_set(), 10)
    gone = modem.status()
    assert gone.state == "offline" and "modem tidak terhubung" in gone.describe()
    assert gone.as_request().state == "offline"
    result = channel(modem).send(message("halo"))
    assert result.status == "retry_later" and "not connected" in result.reason
    with pytest.raises(ModemError):
        modem.command("AT+CSQ")

    pty_pair.plug()
    simulator.replug()  # powered up afresh: echo on, bare ERRORs
    assert wait_until(lambda: modem.link.connected.is_set() and modem.link.connections == 2, 15)
    back = modem.status()
    assert back.can_send and back.connections == 2
    assert simulator.commands.count("ATE0") == 2  # set up again after the replug
    assert channel(modem).send(message("kembali", "m-3")).status == "sent"
    assert simulator.messages[-1].text == "kembali"


def test_a_loopback_plug_is_not_a_modem() -> None:
    # loop:// gives back every byte written: the echo of each command and never an answer.
    with GsmModem("loop://", command_timeout=0.2) as modem:
        assert modem.wait_connected(5)
        status = modem.status()
        assert status.state == "offline" and not status.answering
        assert "modem tidak menjawab perintah AT" in status.describe()
        result = channel(modem, attempts=1).send(message("halo"))
        assert result.status == "retry_later" and "no answer to AT" in result.reason
