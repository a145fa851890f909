"""SMS through a GSM modem on a serial/USB port (AT commands of 3GPP TS 27.005/27.007)."""

from hardware.modem.channel import SmsChannel
from hardware.modem.driver import GsmModem, ModemError, ModemTimeout, ModemUnavailable
from hardware.modem.status import ModemStatus, SendFailure

__all__ = [
    "GsmModem",
    "ModemError",
    "ModemStatus",
    "ModemTimeout",
    "ModemUnavailable",
    "SendFailure",
    "SmsChannel",
]
