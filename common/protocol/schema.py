"""The stream's JSON schema, generated from the models: every event and control message.

``python -m common.protocol.schema > docs/events.schema.json`` writes it; a test checks that
the committed file matches the models.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import TypeAdapter

from common.protocol.events import PROTOCOL_VERSION, Event
from common.protocol.stream import ClientMessage, ServerControl


def stream_schema() -> dict[str, Any]:
    server = TypeAdapter(Event | ServerControl).json_schema(ref_template="#/$defs/{model}")
    client = TypeAdapter(ClientMessage).json_schema(ref_template="#/$defs/{model}")
    defs = {**server.pop("$defs", {}), **client.pop("$defs", {})}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://antrean.example/schema/events-v{PROTOCOL_VERSION}.json",
        "title": f"Antrean event stream, protocol version {PROTOCOL_VERSION}",
        "description": "Messages on WS /api/v1/ws. serverMessage: what the server sends "
                       "(events and control messages); clientMessage: what a client may send.",
        "$defs": {**defs, "serverMessage": server, "clientMessage": client},
        "anyOf": [{"$ref": "#/$defs/serverMessage"}, {"$ref": "#/$defs/clientMessage"}],
    }


def render() -> str:
    return json.dumps(stream_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
