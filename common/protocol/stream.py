"""The WebSocket stream's control messages, next to the events it carries.

A connection to ``/api/v1/ws`` reads, in order: one ``welcome``; then a ``snapshot`` or the
replayed events the client missed; one ``synced``; then live events and ``ping`` heartbeats.
The client sends ``ping`` (answered by ``pong``), ``pong`` (to the server's ping) and
``snapshot`` (ask for a fresh snapshot; the events after it follow). See docs/events.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from common.protocol.events import PROTOCOL_VERSION
from common.protocol.models import Snapshot

ResumeMode = Literal["snapshot", "replay"]

# Close codes the server uses (4000-4999 are the application's own).
CLOSE_BAD_REQUEST = 4400  # a malformed topic, an unknown message
CLOSE_UNAUTHORIZED = 4401  # no token, an unknown or expired one
CLOSE_FORBIDDEN = 4403  # the token may not read that site or topic
CLOSE_NOT_FOUND = 4404  # no such site, zone or counter
CLOSE_SILENT = 4408  # the client sent nothing for three heartbeats
CLOSE_TOO_SLOW = 4429  # the client did not read fast enough; its send queue overflowed
CLOSE_GOING_AWAY = 1001  # the server shuts down


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Welcome(_Message):
    type: Literal["welcome"] = "welcome"
    v: int = PROTOCOL_VERSION
    site: str
    topics: list[str] = Field(description="what this connection receives, after defaults")
    resume: ResumeMode = Field(
        description="replay: the events after `since` follow; snapshot: a snapshot follows")
    heartbeat_seconds: float = Field(
        description="the server pings this often; send something at least as often")


class SnapshotMessage(_Message):
    type: Literal["snapshot"] = "snapshot"
    seq: int
    snapshot: Snapshot


class Synced(_Message):
    """Everything missed has been sent; live events follow."""

    type: Literal["synced"] = "synced"
    seq: int = Field(description="the site's sequence this connection is up to")


class Ping(_Message):
    type: Literal["ping"] = "ping"
    seq: int | None = Field(default=None, description="from the server: the sequence the "
                            "connection is up to (resume from it; filtered events count too)")


class Pong(_Message):
    type: Literal["pong"] = "pong"


class SnapshotRequest(_Message):
    """From the client: send a fresh snapshot, then the events after it."""

    type: Literal["snapshot"] = "snapshot"


ServerControl = Annotated[Welcome | SnapshotMessage | Synced | Ping | Pong,
                          Field(discriminator="type")]
ClientMessage = Annotated[Ping | Pong | SnapshotRequest, Field(discriminator="type")]
SERVER_CONTROL_ADAPTER: TypeAdapter[ServerControl] = TypeAdapter(ServerControl)
CLIENT_MESSAGE_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
CONTROL_TYPES = frozenset({"welcome", "snapshot", "synced", "ping", "pong"})
