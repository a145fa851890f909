"""Counter devices on serial lines: LED displays, call keypads, satisfaction keypads."""

from hardware.serial.codec import (
    CODECS,
    KEY_COMMANDS,
    AntreanCodec,
    DeviceEvent,
    Frame,
    FrameDecoder,
    Key,
    KeyEvent,
    RatingEvent,
    WireCodec,
)
from hardware.serial.devices import Backoff, DeviceBus, RatingTracker, SerialLink

__all__ = [
    "CODECS",
    "KEY_COMMANDS",
    "AntreanCodec",
    "Backoff",
    "DeviceBus",
    "DeviceEvent",
    "Frame",
    "FrameDecoder",
    "Key",
    "KeyEvent",
    "RatingEvent",
    "RatingTracker",
    "SerialLink",
    "WireCodec",
]
