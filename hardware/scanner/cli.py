"""``antrean scanner read|simulate``: try a barcode/QR scanner, or be one, from a terminal."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from hardware.scanner.spec import SPEC_HELP

SIMULATE_KEYS = "a line is a code to scan; !noise sends line noise, !unplug and !plug the cable, !quit"


def register(subcommands: Any) -> None:
    scanner = subcommands.add_parser("scanner", help="barcode/QR scanner of the kiosk: read, simulate")
    actions = scanner.add_subparsers(dest="scanner_command", metavar="ACTION", required=True)

    read = actions.add_parser(
        "read", help="print the codes a scanner reads, and its status",
        description="Print each code the scanner reads and each change of its status, to check "
                    "a scanner and its settings before the kiosk uses it. A keyboard-wedge "
                    "scanner (hid) types into this terminal: each scan shows as a line.")
    read.add_argument("spec", help=SPEC_HELP)
    read.add_argument("--count", type=int, default=0, help="stop after this many codes (0: never)")
    read.add_argument("--seconds", type=float, default=0, help="stop after this long (0: never)")
    read.set_defaults(run=_read)

    simulate = actions.add_parser(
        "simulate", help="be a serial scanner: type codes, each line is scanned",
        description="A simulated serial scanner on a port of its own, at the real speed of its "
                    f"baud rate; point the kiosk at serial:PORT. {SIMULATE_KEYS}.")
    simulate.add_argument("--link", type=Path, default=Path("/tmp/antrean-scanner"),
                          help="the port's name, for the kiosk (default /tmp/antrean-scanner)")
    simulate.add_argument("--baud", type=int, default=9600)
    simulate.set_defaults(run=_simulate)


def _read(args: argparse.Namespace) -> int:
    from hardware.scanner.spec import ScannerSpecError, make_scanner

    if args.spec.strip().lower() == "hid":
        print("scan a code: a keyboard-wedge scanner types it here, then Enter (Ctrl-D to stop)",
              flush=True)
        for read, line in enumerate(sys.stdin, start=1):
            print(f"code: {line.rstrip(chr(10))!r}", flush=True)
            if read == args.count:
                break
        return 0
    try:
        scanner = make_scanner(args.spec)
    except ScannerSpecError as exc:
        print(exc, file=sys.stderr)
        return 2
    if scanner is None:
        print("no scanner set (none)", file=sys.stderr)
        return 2
    said = ""
    codes = 0
    end = time.monotonic() + args.seconds if args.seconds else float("inf")
    try:
        while time.monotonic() < end and not (args.count and codes >= args.count):
            status = scanner.status().text
            if status != said:
                print(f"status: {status}", flush=True)
                said = status
            for code in scanner.poll():
                codes += 1
                print(f"code: {code!r}", flush=True)
            time.sleep(0.02)
    except KeyboardInterrupt:
        pass
    finally:
        scanner.close()
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from hardware.scanner.simulator import SerialScannerSimulator

    simulator = SerialScannerSimulator(link=args.link, baudrate=args.baud)
    print(f"simulated scanner at {simulator.url}, {args.baud} 8N1, CR after each code; the kiosk: "
          f"serial:{simulator.url}?baud={args.baud}\n{SIMULATE_KEYS}", flush=True)
    try:
        for line in sys.stdin:
            code = line.strip()
            try:
                if code == "!quit":
                    break
                if code == "!noise":
                    simulator.noise()
                elif code == "!unplug":
                    simulator.unplug()
                elif code == "!plug":
                    simulator.plug()
                elif code:
                    sent = simulator.scan(code)
                    print(f"scanned {code!r} in {(sent.finished - sent.started) * 1000:.1f} ms",
                          flush=True)
            except RuntimeError as exc:  # scanning while unplugged
                print(exc, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.close()
    return 0
