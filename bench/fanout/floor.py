"""The floor under any fan-out on this machine: one thread writing a message once to each of N
connected loopback sockets, with no framing, no protocol and nobody reading at the moment.
On loopback the kernel runs the receiving side's TCP work inside each send, so this is what N
sockets cost a single sender before any server does anything of its own.

    python -m bench.fanout.floor 10000
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time

_HOLDER = """
import socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
print("connected", flush=True)
sys.stdin.read()
"""


def floor_ms(count: int, size: int = 330, rounds: int = 5) -> float:
    """The median time, in ms, of ``count`` sends of ``size`` bytes, over ``rounds``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    # The other ends live in another process: two ends of 10,000 sockets in one would pass
    # the usual limit of open files.
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(listener.getsockname()[1]),
                               str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        ends = [listener.accept()[0] for _ in range(count)]
        assert holder.stdout is not None and holder.stdout.readline() == b"connected\n"
        for end in ends:
            end.setblocking(False)
        message = b"x" * size
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            for end in ends:
                end.send(message)
            times.append(time.perf_counter() - began)
            time.sleep(0.05)
        for end in ends:
            end.close()
        return statistics.median(times) * 1000
    finally:
        holder.kill()
        holder.wait()
        listener.close()


if __name__ == "__main__":
    from bench.server import raise_fd_limit

    raise_fd_limit()
    for count in (int(arg) for arg in sys.argv[1:] or ["1000", "5000", "10000"]):
        print(f"{count:>6} loopback sends from one thread: {floor_ms(count):6.1f} ms")
