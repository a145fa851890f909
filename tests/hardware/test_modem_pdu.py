"""SMS texts as PDUs: the spec's vector, the segment limits, and an outside decoder's reading."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.modem import pdu
from hardware.modem.driver import text_mode_safe
from hardware.modem.status import parse_error

with warnings.catch_warnings():  # the library's modem module has Python 2 era comparisons
    warnings.simplefilter("ignore", SyntaxWarning)
    from gsmmodem.pdu import decodeSmsPdu  # an independent decoder (python-gsmmodem-new)

GSM_CHARS = pdu.GSM7_BASIC.replace("\x1b", "") + "".join(pdu.GSM7_EXTENSION)


def test_the_classic_submit_vector() -> None:
    # "hellohello" to +46708251358, relative validity AA (4 days): the widely published example
    # of an SMS-SUBMIT PDU (and the packed septets of TS 23.038's own example text).
    [only] = pdu.submit_pdus("+46708251358", "hellohello", validity_minutes=4 * 24 * 60)
    assert only.hex == "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
    assert only.tpdu_length == 23
    assert pdu.pack_septets(pdu.gsm7_codes("hellohello")).hex().upper() == "E8329BFD4697D9EC37"


@pytest.mark.parametrize(("text", "encoding", "sizes"), [
    ("a" * 160, "gsm7", [160]),
    ("a" * 161, "gsm7", [153, 8]),
    ("€" * 80, "gsm7", [160]),  # an extension character takes two septets
    ("a" + "€" * 80, "gsm7", [153, 8]),  # 152 + a € that would straddle: moved on whole
    ("ç" * 70, "ucs2", [70]),  # ç is not GSM (Ç is): the whole text goes as UCS2
    ("ç" * 71, "ucs2", [67, 4]),
    ("🙂" * 35, "ucs2", [70]),  # a surrogate pair is two units
    ("🙂" * 36, "ucs2", [66, 6]),  # … and never split
])  # fmt: skip
def test_segment_limits(text: str, encoding: str, sizes: list[int]) -> None:
    assert pdu.encoding_for(text) == encoding
    parts = pdu.split(text)
    assert [pdu.length(p, encoding) for p in parts] == sizes
    assert "".join(parts) == text


def test_an_outside_decoder_reads_a_long_gsm7_text_back_in_order() -> None:
    text = "Nomor antrean A-012: silakan menuju Loket 5 (Dukcapil) [lantai 2] €0. " * 5
    pdus = pdu.submit_pdus("+6281234567890", text, reference=77)
    assert len(pdus) == 3
    decoded = [decodeSmsPdu(p.hex) for p in pdus]
    assert {d["number"] for d in decoded} == {"+6281234567890"}
    assert [(d["udh"][0].reference, d["udh"][0].number, d["udh"][0].parts) for d in decoded] == [
        (77, 1, 3), (77, 2, 3), (77, 3, 3)]
    assert "".join(d["text"] for d in decoded) == text
    assert all(d["tpdu_length"] == p.tpdu_length for d, p in zip(decoded, pdus, strict=True))


def test_an_outside_decoder_reads_ucs2() -> None:
    text = "Antrean A-012 — dipanggil ke Loket 5 ✓ (Anda dipanggil)"
    [only] = pdu.submit_pdus("081234567890", text)
    decoded = decodeSmsPdu(only.hex)
    assert decoded["text"] == text and decoded["number"] == "081234567890"
    assert pdu.decode_submit(only.hex).encoding == "ucs2"


@given(st.text(alphabet=GSM_CHARS, max_size=500), st.integers(0, 255))
def test_gsm7_round_trip(text: str, reference: int) -> None:
    parts = [pdu.decode_submit(p.hex) for p in pdu.submit_pdus("+628111", text, reference=reference)]
    assert "".join(p.text for p in parts) == text
    assert all(p.encoding == "gsm7" for p in parts)
    if len(parts) > 1:
        assert {p.reference for p in parts} == {reference}
        assert [p.part for p in parts] == list(range(1, len(parts) + 1))


@given(st.text(max_size=300).filter(lambda t: not pdu.is_gsm7(t)))
def test_ucs2_round_trip(text: str) -> None:
    pieces = pdu.split(text)
    assert all(pdu.length(p, "ucs2") <= (70 if len(pieces) == 1 else 67) for p in pieces)
    assert "".join(pdu.decode_submit(p.hex).text for p in pdu.submit_pdus("+628111", text)) == text


def test_text_mode_only_for_what_it_carries_exactly() -> None:
    assert text_mode_safe("Nomor A-012 dipanggil ke Loket 5")
    assert not text_mode_safe("Biaya $0 @ loket")  # $ and @ are GSM codes 2 and 0
    assert not text_mode_safe("harga €5")  # an escape in the text
    assert not text_mode_safe("baris\nbaru")
    assert not text_mode_safe("a" * 161)
    assert not text_mode_safe("Loket ✓")


def test_numbers_that_are_not_refused() -> None:
    for wrong in ("", "+", "0812-3456", "+62 812", "1" * 21):
        with pytest.raises(pdu.PduError):
            pdu.encode_address(wrong)


def test_errors_are_temporary_or_permanent() -> None:
    congestion = parse_error("+CMS ERROR: 42")
    assert congestion is not None and congestion.temporary and congestion.code == 42
    unassigned = parse_error("+CMS ERROR: 1")
    assert unassigned is not None and not unassigned.temporary
    assert "nomor tujuan tidak terdaftar" in unassigned.describe()
    no_sim = parse_error("+CME ERROR: 10")
    assert no_sim is not None and not no_sim.temporary and "SIM" in no_sim.text
    unknown = parse_error("+CMS ERROR: 499")
    assert unknown is not None and unknown.temporary and "499" in unknown.text
    verbose = parse_error("+CME ERROR: SIM busy")
    assert verbose is not None and "SIM busy" in verbose.text
    assert parse_error("OK") is None and parse_error("+CMGS: 4") is None
