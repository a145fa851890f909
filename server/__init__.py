"""Antrean central server: tickets, dispatch, audit trail, statistics and live events."""
