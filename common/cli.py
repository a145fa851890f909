"""The one `antrean` command. Each area of the project adds its own subcommands.

An area is a module with ``register(subcommands)`` that adds parsers whose defaults carry a
``run`` callable taking the parsed arguments and returning the process exit code. Areas import
their heavy dependencies (pygame, the server stack) inside ``run``, so ``antrean --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

from common import logs

AREAS = (
    "server.cli",
    "server.backup_cli",
    "server.simulate",
    "server.region.cli",
    "hardware.cli",
    "hardware.voice_cli",
    "hardware.scanner.cli",
    "kiosk.cli",
    "display.cli",
    "counter_client.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antrean",
        description="Antrean: queue and counter management for public-service halls.",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("ANTREAN_LOG_LEVEL", "INFO"),
        help="DEBUG, INFO, WARNING or ERROR (default: INFO, or ANTREAN_LOG_LEVEL)",
    )
    parser.add_argument(
        "--log-format", choices=logs.FORMATS,
        default=os.environ.get("ANTREAN_LOG_FORMAT", "text"),
        help="text for people, json for a log shipper: one object a line with the request id "
             "(default: text, or ANTREAN_LOG_FORMAT)",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for area in AREAS:
        if importlib.util.find_spec(area) is not None:
            importlib.import_module(area).register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(str(args.log_level), args.log_format)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 2
    return int(run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
