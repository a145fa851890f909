"""The baseline: the bare `websockets` library broadcasting one message to every client.
A client that sends "fire" makes the server broadcast MESSAGE to all the others."""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.server import run_fast

CLIENTS: set[ServerConnection] = set()


async def handler(connection: ServerConnection) -> None:
    CLIENTS.add(connection)
    try:
        async for message in connection:
            if message == "fire":
                broadcast(CLIENTS - {connection}, MESSAGE)
    finally:
        CLIENTS.discard(connection)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, backlog=4096):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    MESSAGE = sys.stdin.readline().strip()  # the same ticket.called the server sends
    run_fast(main(int(sys.argv[1])))
