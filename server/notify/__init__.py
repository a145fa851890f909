"""Notification channels the server drives (the hall's GSM modem is ``hardware.modem``)."""
