"""Antrean central server: tickets, dispatch, audit trail, statistics and live events."""

__version__ = "0.1.0"
