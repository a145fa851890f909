"""The places where Antrean reaches into a library's private parts, and a probe for each.

Each reach is a last resort, kept because it buys something measured (see the module named);
the library's range is pinned in pyproject.toml. When an upgrade moves what a reach relies on,
``check`` names the package, the reach and what is missing, instead of a request failing in a
hall. ``tests/test_reaches.py`` runs it, and the installed versions against the pinned ranges.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Reach:
    package: str  # as pyproject.toml names it
    where: str  # our module that reaches
    what: str
    probe: Callable[[], None]  # raises when the reach no longer fits


def _needs(module: str, name: str, *attributes: str) -> Callable[[], None]:
    def probe() -> None:
        owner = getattr(importlib.import_module(module), name)
        missing = [a for a in attributes if not hasattr(owner, a)]
        if missing:
            raise AttributeError(f"{module}.{name} has no {', '.join(missing)}")
    return probe


def _sansio_connection() -> None:
    """uvicorn's protocol keeps a websockets ServerProtocol as ``conn``; the hub reads its
    state and extensions, and the handshake refusal its parser's error."""
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    connection = ServerProtocol()
    for attribute in ("state", "extensions", "parser_exc", "handshake_exc", "receive_data",
                      "events_received", "data_to_send"):
        if not hasattr(connection, attribute):
            raise AttributeError(f"websockets' ServerProtocol has no {attribute}")
    if connection.state is not State.CONNECTING:
        raise AttributeError("a new websockets ServerProtocol is not CONNECTING")


REACHES = (
    Reach("uvicorn", "server/realtime/direct.py",
          "the sans-I/O WebSocket protocol: its transport, conn, close_sent, handle_events",
          _needs("uvicorn.protocols.websockets.websockets_sansio_impl",
                 "WebSocketsSansIOProtocol", "data_received", "handle_events", "send",
                 "handle_parser_exception")),
    Reach("websockets", "server/realtime/direct.py", "ServerProtocol's state and parser",
          _sansio_connection),
    Reach("sqlalchemy", "server/store/inline_sqlite.py",
          "the aiosqlite adapter's cursor and connection classes",
          _needs("sqlalchemy.dialects.sqlite.aiosqlite", "AsyncAdapt_aiosqlite_cursor",
                 "_make_new_cursor", "_aenter_cursor", "_awaitable_cursor_close", "execute",
                 "executemany")),
    Reach("sqlalchemy", "server/store/inline_sqlite.py", "the aiosqlite adapter's connection",
          _needs("sqlalchemy.dialects.sqlite.aiosqlite", "AsyncAdapt_aiosqlite_connection",
                 "_cursor_cls", "_handle_exception")),
    Reach("sqlalchemy", "server/store/inline_sqlite.py", "the aiosqlite DBAPI and dialect",
          _needs("sqlalchemy.dialects.sqlite.aiosqlite", "SQLiteDialect_aiosqlite",
                 "import_dbapi", "do_savepoint", "do_release_savepoint",
                 "do_rollback_to_savepoint")),
    Reach("python-escpos", "hardware/printer/driver.py", "Escpos._read and Escpos._raw",
          _needs("escpos.escpos", "Escpos", "_read", "_raw")),
)


def check() -> list[str]:
    """What no longer fits, one line per reach, each naming its package (empty: all fit)."""
    problems = []
    for reach in REACHES:
        try:
            reach.probe()
        except Exception as exc:
            problems.append(f"{reach.package}: {reach.where} reaches {reach.what}, and "
                            f"the installed version no longer fits: {exc}")
    return problems
