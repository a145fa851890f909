"""The touchscreen kiosk where citizens take a ticket."""
