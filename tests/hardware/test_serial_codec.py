"""Our framed serial protocol, byte for byte, and a decoder that survives any garbage."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as s

from hardware.serial.codec import (
    STX,
    AntreanCodec,
    Cmd,
    Deduplicator,
    Frame,
    FrameDecoder,
    Key,
    KeyEvent,
    RatingEvent,
    crc8,
    encode,
    event_of,
)

codec = AntreanCodec()


def test_crc8_check_value() -> None:
    assert crc8(b"123456789") == 0xF4  # CRC-8 (poly 0x07) standard check value
    assert crc8(b"") == 0


def test_frames_byte_for_byte() -> None:
    # the examples in docs/serial-protocol.md
    assert codec.key(3, Key.NEXT, 1) == bytes.fromhex("02 03 20 02 01 01 ac 03")
    assert codec.rating(7, 4, 9) == bytes.fromhex("02 07 21 02 04 09 4c 03")
    assert codec.show(3, "A-012") == bytes.fromhex("02 03 10 04 41 30 31 32 69 03")
    assert codec.blank(3) == bytes.fromhex("02 03 11 00 ff 03")
    ack = codec.ack(KeyEvent(3, Key.NEXT, 1))
    assert ack == bytes.fromhex("02 03 06 02 20 01 ad 03")


def test_encode_rejects_what_does_not_fit() -> None:
    for bad in (Frame(256, 1), Frame(1, 1, bytes(33))):
        try:
            encode(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} was encoded")


def test_events_of_frames() -> None:
    assert event_of(Frame(3, Cmd.KEY, b"\x05\x10")) == KeyEvent(3, Key.NO_SHOW, 0x10)
    assert event_of(Frame(3, Cmd.RATING, b"\x01\x02")) == RatingEvent(3, 1, 2)
    assert KeyEvent(3, Key.NO_SHOW, 0).command == "no-show"
    # unknown key, rating out of range, wrong payload length, our own display traffic
    for frame in (
        Frame(3, Cmd.KEY, b"\x09\x01"),
        Frame(3, Cmd.RATING, b"\x05\x01"),
        Frame(3, Cmd.KEY, b"\x01"),
        Frame(3, Cmd.SHOW, b"A012"),
        Frame(3, 0x7F, b""),
    ):
        assert event_of(frame) is None


def test_split_frames_and_garbage() -> None:
    decoder = FrameDecoder()
    frame = codec.key(3, Key.RECALL, 4)
    assert decoder.feed(b"\xff\x00junk" + frame[:3]) == []
    assert decoder.feed(frame[3:] + b"\x03\x03") == [Frame(3, Cmd.KEY, b"\x02\x04")]
    assert decoder.stats.garbage_bytes == 8
    assert decoder.pending == b""


def test_wrong_checksum_is_dropped_and_counted() -> None:
    frame = bytearray(codec.key(3, Key.FINISH, 4))
    frame[-2] ^= 0x01
    decoder = FrameDecoder()
    assert decoder.feed(bytes(frame)) == []
    assert decoder.stats.bad_checksums == 1
    good = codec.key(3, Key.FINISH, 5)
    assert decoder.feed(good) == [Frame(3, Cmd.KEY, b"\x04\x05")]


def test_a_false_start_does_not_hide_a_real_frame() -> None:
    decoder = FrameDecoder()
    # STX, then a length byte of 30: looks like the start of a long frame still arriving
    frame = codec.key(2, Key.START, 1)
    assert decoder.feed(bytes([STX, 1, 0x20, 30]) + frame) == [Frame(2, Cmd.KEY, b"\x03\x01")]


def test_a_cut_frame_followed_by_a_whole_one() -> None:
    decoder = FrameDecoder()
    first, second = codec.key(1, Key.NEXT, 1), codec.key(1, Key.NEXT, 2)
    # the cable was pulled half way through the first frame
    assert decoder.feed(first[:5] + second) == [Frame(1, Cmd.KEY, b"\x01\x02")]


def test_deduplicator() -> None:
    dedup = Deduplicator(clock=lambda: 0.0)
    assert dedup.is_new(KeyEvent(1, Key.NEXT, 7))
    assert not dedup.is_new(KeyEvent(1, Key.NEXT, 7))  # resent: no ACK seen by the keypad
    assert dedup.is_new(RatingEvent(1, 4, 7))  # another kind of event
    assert dedup.is_new(KeyEvent(2, Key.NEXT, 7))  # another keypad
    assert dedup.is_new(KeyEvent(1, Key.RECALL, 8))


# -- fuzzing ---------------------------------------------------------------------------------
def _events(data: bytes, chunks: list[int]) -> list:
    decoder = codec.decoder()
    out: list = []
    i = 0
    for n in chunks or [len(data) or 1]:
        out += decoder.feed(data[i : i + n])
        i += n
    out += decoder.feed(data[i:])
    return out


@given(s.binary(max_size=400), s.lists(s.integers(1, 50), max_size=20))
def test_garbage_never_makes_a_phantom_key(data: bytes, chunks: list[int]) -> None:
    for event in _events(data, chunks):
        # every event is a complete, correctly checksummed frame that is really in the input
        if isinstance(event, KeyEvent):
            assert codec.key(event.address, event.key, event.seq) in data
        else:
            assert codec.rating(event.address, event.rating, event.seq) in data


_KEYS = s.builds(
    lambda a, k, q, b: codec.key(a, k, q, b), s.integers(1, 254), s.sampled_from(list(Key)),
    s.integers(0, 255), s.integers(0, 255),
)  # fmt: skip
_NOISE = s.binary(max_size=40).map(lambda b: b.replace(bytes([STX]), b""))


@given(
    s.lists(s.tuples(_NOISE, _KEYS), min_size=1, max_size=10),
    _NOISE,
    s.lists(s.integers(1, 30), max_size=30),
)
def test_every_real_key_is_found_among_noise(
    pairs: list[tuple[bytes, bytes]], tail: bytes, chunks: list[int]
) -> None:
    data = b"".join(noise + frame for noise, frame in pairs) + tail
    events = _events(data, chunks)
    assert [codec.key(e.address, e.key, e.seq, e.boot) for e in events] == [f for _, f in pairs]


@given(s.lists(_KEYS, min_size=1, max_size=5), s.binary(min_size=1, max_size=60))
def test_noise_with_start_bytes_loses_no_later_frame(frames: list[bytes], noise: bytes) -> None:
    noisy = bytes([STX]) + noise
    assume(not _events(noisy, []))  # the noise itself decodes to nothing
    events = _events(noisy + b"".join(frames), [])
    found = [codec.key(e.address, e.key, e.seq, e.boot) for e in events]
    assert found[-len(frames) :] == frames


def test_a_restarted_keypad_is_not_taken_for_a_repeat() -> None:
    now = [0.0]
    dedup = Deduplicator(clock=lambda: now[0])
    assert dedup.is_new(KeyEvent(3, Key.NEXT, 1, boot=17))
    assert not dedup.is_new(KeyEvent(3, Key.NEXT, 1, boot=17))  # the resend of that press
    now[0] = 1.0
    assert dedup.is_new(KeyEvent(3, Key.NEXT, 1, boot=201))  # power-cycled: a new boot number
    # a version 1 keypad (no boot number): the key, and the time, tell a new press
    assert dedup.is_new(KeyEvent(4, Key.NEXT, 1))
    assert dedup.is_new(KeyEvent(4, Key.FINISH, 1))  # restarted, pressed another key
    now[0] = 30.0
    assert dedup.is_new(KeyEvent(4, Key.FINISH, 1))  # restarted long after: new


def test_the_boot_number_travels_and_is_acknowledged() -> None:
    frame = codec.key(3, Key.NEXT, 1, boot=0x5A)
    assert frame == bytes([STX, 3, Cmd.KEY, 3, 1, 1, 0x5A]) + frame[-2:]
    event = codec.decoder().feed(frame)[0]
    assert event == KeyEvent(3, Key.NEXT, 1, boot=0x5A)
    ack = FrameDecoder().feed(codec.ack(event))[0]
    assert ack == Frame(3, Cmd.ACK, bytes([Cmd.KEY, 1, 0x5A]))


def test_addresses_0_and_255_are_never_keypads() -> None:
    import pytest

    for address in (0, 255):
        with pytest.raises(ValueError, match="1 to 254"):
            codec.key(address, Key.NEXT, 1)
        forged = encode(Frame(address, Cmd.KEY, bytes([1, 1])))
        assert codec.decoder().feed(forged) == []  # not a press: nothing to acknowledge
    assert FrameDecoder().feed(codec.show(255, "A-001")) == [Frame(255, Cmd.SHOW, b"A001")]
    with pytest.raises(ValueError):
        codec.show(0, "A-001")
    with pytest.raises(ValueError):
        codec.poll(255)


def test_the_documented_version_2_examples() -> None:
    assert codec.key(3, Key.NEXT, 1, boot=0x5A).hex(" ") == "02 03 20 03 01 01 5a da 03"
    assert codec.ack(KeyEvent(3, Key.NEXT, 1, boot=0x5A)).hex(" ") == "02 03 06 03 20 01 5a dd 03"
    assert codec.poll(3).hex(" ") == "02 03 30 00 44 03"
    assert codec.idle(3, 0x5A).hex(" ") == "02 03 31 01 5a 24 03"
