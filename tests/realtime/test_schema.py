"""The published JSON schema of the stream is the one the models generate, and it accepts
what the server really sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema_rs

from common.protocol.events import CounterRef, TicketCalled, TicketRef
from common.protocol.schema import render, stream_schema
from common.protocol.stream import Ping, Synced

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "events.schema.json"


def test_committed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), (
        "regenerate it: python -m common.protocol.schema > docs/events.schema.json")


def test_schema_accepts_real_messages_and_refuses_wrong_ones() -> None:
    validator = jsonschema_rs.validator_for(stream_schema())
    ticket = TicketRef(id=1, number="A-001", service="KTP", service_name="KTP-el",
                       service_name_en=None, agency="DUKCAPIL", agency_name="Dukcapil",
                       priority=False, status="called")
    call = TicketCalled(site="TEST", seq=7, at=datetime.now(UTC), ticket=ticket,
                        counter=CounterRef(id=1, number=1, name="Loket 1", agency="DUKCAPIL"),
                        announce="Nomor antrean A nol nol satu, silakan ke loket satu",
                        announce_en="Number A-001, please go to counter 1")
    for message in (call, Ping(seq=7), Synced(seq=7)):
        assert validator.is_valid(json.loads(message.model_dump_json()))
    assert not validator.is_valid({"type": "ticket.called", "site": "TEST"})
    assert validator.is_valid({"type": "snapshot"})  # a client's request
