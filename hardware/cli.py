"""``antrean printer …``, ``antrean serial …``, ``antrean modem …`` and ``antrean announce``: try
the hardware, or its simulators, from a terminal."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PRINTER_URL_HELP = (
    "printer URL: usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200, tcp://HOST:9100, "
    "file:///dev/usb/lp0, cups://QUEUE, dummy://, sim://?level=near_end; add paper=58 for "
    "58 mm paper, qr=image for printers without native QR, status=off for printers that cannot "
    "answer status requests"
)


def register(subcommands: Any) -> None:
    printer = subcommands.add_parser("printer", help="ticket printer: test, status, render, simulate")
    printer_commands = printer.add_subparsers(dest="printer_command", metavar="ACTION", required=True)

    test = printer_commands.add_parser(
        "test", help="print a sample ticket",
        description="Print a sample ticket of the hall (its name, first service and time zone, "
                    "issued now) to check a printer.")
    test.add_argument("url", help=PRINTER_URL_HELP)
    test.add_argument("--save", type=Path, help="also write the ESC/POS bytes to this file")
    _hall_option(test)
    test.set_defaults(run=_printer_test)

    status = printer_commands.add_parser("status", help="ask the printer for its status")
    status.add_argument("url", help=PRINTER_URL_HELP)
    status.set_defaults(run=_printer_status)

    render = printer_commands.add_parser(
        "render", help="draw ESC/POS bytes as a picture of the paper",
        description="Draw ESC/POS bytes as the paper would look. The bytes come from "
                    "`antrean printer test URL --save ticket.bin`, from `antrean printer simulate` "
                    "(one ticket-NNNN.bin per ticket) or from a kiosk printing to file://; without "
                    "a file, the hall's sample ticket is drawn.")
    render.add_argument("file", type=Path, nargs="?", default=None,
                        help="ESC/POS bytes (default: the hall's sample ticket, as `printer test` "
                             "prints it)")
    render.add_argument("--png", type=Path, required=True, help="where to write the picture")
    render.add_argument("--paper", type=int, choices=(58, 80), default=80, help="paper width in mm")
    _hall_option(render)
    render.set_defaults(run=_printer_render)

    simulate = printer_commands.add_parser(
        "simulate", help="be a printer on a TCP port or a serial port, saving each ticket"
    )
    where = simulate.add_mutually_exclusive_group(required=True)
    where.add_argument("--tcp", metavar="HOST:PORT", help="listen like a network printer")
    where.add_argument("--serial", metavar="PORT", help="serial port, e.g. one end of a socat pty pair")
    simulate.add_argument("--out", type=Path, default=Path("tickets"), help="folder for ticket-NNNN.bin")
    simulate.add_argument("--png", action="store_true", help="also render each ticket to PNG")
    simulate.add_argument("--paper", type=int, choices=(58, 80), default=80)
    simulate.add_argument("--level", choices=("ok", "near_end", "out"), default="ok", help="paper level")
    simulate.add_argument("--cover-open", action="store_true")
    simulate.add_argument("--offline", action="store_true", help="print nothing, answer offline")
    simulate.add_argument(
        "--silent",
        action="store_true",
        help="never answer status requests, like a model without status "
        "support (with --offline: like a printer switched off)",
    )
    simulate.add_argument(
        "--baudrate", type=int, help="with --serial: take bytes no faster than a line of this speed"
    )
    simulate.add_argument("--speed", type=float, default=150.0, metavar="MM_S",
                          help="print this many millimetres a second (default 150; 0: at once)")
    simulate.add_argument("--roll", type=float, metavar="MM",
                          help="paper left on the roll: it runs out after this much, even mid-ticket")
    simulate.set_defaults(run=_printer_simulate)

    serial_parser = subcommands.add_parser("serial", help="LED displays and keypads on serial lines")
    serial_commands = serial_parser.add_subparsers(dest="serial_command", metavar="ACTION", required=True)
    monitor = serial_commands.add_parser("monitor", help="host side: print key and rating events")
    monitor.add_argument("url", help="serial port or pyserial URL (rfc2217://, socket://, loop://)")
    monitor.add_argument("--baudrate", type=int, default=9600)
    monitor.set_defaults(run=_serial_monitor)

    show = serial_commands.add_parser("show", help="show a number on an LED display (or blank it)")
    show.add_argument("url")
    show.add_argument("address", type=int, help="the display's bus address")
    show.add_argument("number", nargs="?", help="ticket number; leave out to blank the display")
    show.add_argument("--baudrate", type=int, default=9600)
    show.set_defaults(run=_serial_show)

    keypad = serial_commands.add_parser("keypad", help="a simulated keypad: type keys, press Enter")
    keypad.add_argument("url")
    keypad.add_argument("--address", type=int, required=True)
    keypad.add_argument("--baudrate", type=int, default=9600)
    keypad.set_defaults(run=_serial_keypad)

    displays = serial_commands.add_parser("displays", help="simulated LED displays: print what they show")
    displays.add_argument("url")
    displays.add_argument("--baudrate", type=int, default=9600)
    displays.set_defaults(run=_serial_displays)

    _register_modem(subcommands)

    announce = subcommands.add_parser("announce", help="play the call for a ticket at a counter")
    announce.add_argument("number", help="ticket number, e.g. A-012")
    announce.add_argument("counter", type=int, help="counter number")
    announce.add_argument("--english", action="store_true", help="also say it in English")
    announce.add_argument("--recall", action="store_true", help="say the call twice")
    announce.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "antrean" / "audio")
    announce.set_defaults(run=_announce)


# -- printer ----------------------------------------------------------------------------------
def _hall_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help="the hall's TOML file the sample ticket is taken from (default: "
                             "ANTREAN_CONFIG, else the sample hall)")


def _sample_ticket(config: Path | None) -> Any:
    """The sample ticket of the configured hall: its name, first service, time zone, today."""
    from hardware.printer.driver import sample_ticket
    from server.config.hall import load_hall, sample_hall_path

    env = os.environ.get("ANTREAN_CONFIG")
    hall = load_hall(config or (Path(env) if env else sample_hall_path()))
    service = hall.service[0]
    agency = next(a for a in hall.agency if a.code == service.agency)
    return sample_ticket(hall_name=hall.site.name, agency_name=agency.name,
                         service_name=service.name, prefix=service.prefix,
                         requirements=service.requirements, timezone=hall.site.timezone,
                         base_url=hall.site.public_base_url or "http://127.0.0.1:8000")


def _printer_test(args: argparse.Namespace) -> int:
    from hardware.printer import PrintError, PrinterUrlError, TicketPrinter, build_job, layout_ticket
    from server.config.hall import ConfigError

    try:
        ticket = _sample_ticket(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        printer = TicketPrinter(args.url, on_status=lambda r: print(f"status: {r.state} — {r.detail}"))
    except PrinterUrlError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.save:
        ops = layout_ticket(ticket, printer.paper)
        args.save.write_bytes(build_job(ops, printer.paper, native_qr=printer.config.native_qr))
        print(f"ESC/POS bytes written to {args.save}")
    try:
        printer.print_ticket(ticket)
    except PrintError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        printer.close()
    print(f"sample ticket {ticket.number} printed on {printer.paper.width_mm} mm paper")
    return 0


def _printer_status(args: argparse.Namespace) -> int:
    from hardware.printer import PrinterUrlError, TicketPrinter

    try:
        printer = TicketPrinter(args.url)
    except PrinterUrlError as exc:
        print(exc, file=sys.stderr)
        return 2
    status = printer.status()
    printer.close()
    print(f"state:      {status.state}")
    print(f"online:     {status.online if status.known else 'unknown'}")
    print(f"paper:      {'out' if status.paper_out else 'near end' if status.paper_near_end else 'ok'}")
    print(f"cover open: {status.cover_open}")
    print(f"detail:     {status.describe()}")
    return 0 if status.can_print else 1


def _printer_render(args: argparse.Namespace) -> int:
    from hardware.printer import build_job, layout_ticket
    from hardware.printer.layout import Paper
    from hardware.printer.render import render
    from server.config.hall import ConfigError

    paper = Paper.of(args.paper)
    if args.file is None:
        try:
            ticket = _sample_ticket(args.config)
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
        data = build_job(layout_ticket(ticket, paper), paper)
        print(f"the sample ticket of {ticket.hall_name}, {ticket.number}")
    else:
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            print(f"error: cannot read {args.file}: {exc.strerror}. Save a ticket with "
                  "`antrean printer test sim:// --save ticket.bin`, or leave the file out to "
                  "draw the sample ticket.", file=sys.stderr)
            return 2
    result = render(data, paper.dots)
    result.image().save(args.png)
    print(f"{args.png}: {len(result.text_lines)} lines of text, {len(result.qr_codes)} QR codes, "
          f"{result.cuts} cuts")  # fmt: skip
    for url in result.qr_codes:
        print(f"  QR: {url}")
    if result.skipped:
        print(f"  commands not drawn: {', '.join(sorted(set(result.skipped)))}")
    return 0


def _printer_simulate(args: argparse.Namespace) -> int:
    from hardware.printer.layout import Paper
    from hardware.printer.render import render
    from hardware.printer.simulator import (
        PrinterSimulator,
        TcpPrinterServer,
        save_tickets_to,
        serve_serial,
    )

    save = save_tickets_to(args.out)
    dots = Paper.of(args.paper).dots

    def on_ticket(ticket: bytes) -> None:
        save(ticket)
        if args.png:
            path = sorted(args.out.glob("ticket-*.bin"))[-1].with_suffix(".png")
            render(ticket, dots).image().save(path)
        print(f"ticket received ({len(ticket)} bytes) → {args.out}", flush=True)

    simulator = PrinterSimulator(
        paper=args.level,
        cover_open=args.cover_open,
        online=not args.offline,
        answers_status=not args.silent,
        on_ticket=on_ticket,
        speed_mm_s=args.speed or None,
        paper_mm=args.roll,
    )
    stop = threading.Event()
    try:
        if args.tcp:
            host, _, port = args.tcp.rpartition(":")
            server = TcpPrinterServer(simulator, host or "127.0.0.1", int(port)).start()
            print(f"simulated printer at {server.url} (Ctrl-C to stop)", flush=True)
            stop.wait()
        else:
            print(f"simulated printer on {args.serial} (Ctrl-C to stop)", flush=True)
            serve_serial(simulator, args.serial, stop, baudrate=args.baudrate)
    except KeyboardInterrupt:
        stop.set()
    return 0


# -- serial -----------------------------------------------------------------------------------
def _serial_monitor(args: argparse.Namespace) -> int:
    from hardware.serial import DeviceBus, KeyEvent

    print(f"listening on {args.url} (Ctrl-C to stop)", flush=True)
    with DeviceBus(args.url, baudrate=args.baudrate) as bus:
        try:
            while True:
                event = bus.events.get()
                if isinstance(event, KeyEvent):
                    print(f"keypad {event.address}: {event.key.value} → {event.command}", flush=True)
                else:
                    print(f"satisfaction keypad {event.address}: rating {event.rating}", flush=True)
        except KeyboardInterrupt:
            return 0


def _serial_show(args: argparse.Namespace) -> int:
    from hardware.serial import DeviceBus

    with DeviceBus(args.url, baudrate=args.baudrate) as bus:
        if not bus.link.connected.wait(10):
            print(f"cannot open {args.url}", file=sys.stderr)
            return 1
        if args.number:
            bus.show(args.address, args.number)
        else:
            bus.blank(args.address)
    return 0


_KEYS = {"n": "next", "r": "recall", "s": "start", "f": "finish", "x": "no_show",
         "t": "transfer", "p": "pause"}  # fmt: skip


def _serial_keypad(args: argparse.Namespace) -> int:
    from hardware.serial import Key
    from hardware.serial.simulators import KeypadSimulator

    keypad = KeypadSimulator(args.url, args.address, baudrate=args.baudrate)
    print("keys: n next, r recall, s start, f finish, x no-show, t transfer, p pause; "
          "1-4 rating (4 very satisfied); q quit", flush=True)  # fmt: skip
    try:
        for line in sys.stdin:
            for char in line.strip().lower():
                if char == "q":
                    return 0
                if char in _KEYS:
                    keypad.press(Key(_KEYS[char]))
                elif char in "1234":
                    keypad.rate(int(char))
                else:
                    print(f"unknown key {char!r}", flush=True)
                    continue
            acks = keypad.read_acks()
            print(f"sent; {len(acks)} acknowledged", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        keypad.close()
    return 0


def _serial_displays(args: argparse.Namespace) -> int:
    from hardware.serial.simulators import LedDisplaySimulator

    displays = LedDisplaySimulator(args.url, baudrate=args.baudrate, echo=True).start()
    print(f"simulated LED displays on {args.url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        displays.stop()
    return 0


# -- GSM modem --------------------------------------------------------------------------------
MODEM_URL_HELP = ("the modem's serial port (/dev/ttyUSB2, /dev/serial/by-id/…) or a pyserial URL "
                  "(rfc2217://, socket://)")


def _register_modem(subcommands: Any) -> None:
    modem = subcommands.add_parser("modem", help="GSM modem for SMS: status, send a test SMS, simulate")
    modem_commands = modem.add_subparsers(dest="modem_command", metavar="ACTION", required=True)

    def port_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("url", help=MODEM_URL_HELP)
        parser.add_argument("--baudrate", type=int, default=115200)
        parser.add_argument("--pin", help="the SIM's PIN, if it asks for one")
        parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                            help="wait this long for the modem to open and to answer a command")

    status = modem_commands.add_parser(
        "status", help="ask the modem about its SIM, signal and network registration",
        description="Ask the modem about its SIM, signal and network, and say what stands in "
                    "the way of sending, as staff would read it. Exit 0 when it can send.")
    port_options(status)
    status.set_defaults(run=_modem_status)

    send = modem_commands.add_parser(
        "send", help="send a test SMS",
        description="Send an SMS through the modem: text mode for a short GSM text, PDU mode "
                    "(UCS2, long texts split) otherwise.")
    port_options(send)
    send.add_argument("number", help="the phone number, +62… or 08…")
    send.add_argument("text", nargs="?", default=None,
                      help="the text (default: a test message naming the time)")
    send.add_argument("--attempts", type=int, default=3, help="tries while the reason is temporary")
    send.set_defaults(run=_modem_send)

    simulate = modem_commands.add_parser(
        "simulate", help="be a GSM modem on a serial port, printing each SMS it sends",
        description="Speak a GSM modem's AT dialogue on a serial port, e.g. one end of `socat "
                    "pty,raw,echo=0,link=/tmp/modem pty,raw,echo=0,link=/tmp/modem-sim` "
                    "(then use /tmp/modem as the modem's port).")
    simulate.add_argument("--serial", required=True, metavar="PORT", help="the port to answer on")
    simulate.add_argument("--baudrate", type=int, default=115200)
    simulate.add_argument("--send-seconds", type=float, default=1.5,
                          help="how long the network takes to accept an SMS")
    simulate.add_argument("--pin", help="the SIM asks for this PIN")
    simulate.add_argument("--no-sim", action="store_true", help="no SIM card inserted")
    simulate.add_argument("--no-signal", action="store_true", help="no signal, not registered")
    simulate.add_argument("--fail", metavar="COUNT:CODE",
                          help="the first COUNT sends answer +CMS ERROR: CODE (e.g. 2:42)")
    simulate.set_defaults(run=_modem_simulate)


def _open_modem(args: argparse.Namespace) -> Any:
    from hardware.modem import GsmModem

    modem = GsmModem(args.url, baudrate=args.baudrate, pin=args.pin, command_timeout=args.timeout)
    modem.start()
    if not modem.wait_connected(args.timeout):
        modem.stop()
        print(f"cannot open {args.url}: modem tidak terhubung (modem not connected)", file=sys.stderr)
        return None
    return modem


def _modem_status(args: argparse.Namespace) -> int:
    modem = _open_modem(args)
    if modem is None:
        return 1
    try:
        status = modem.status()
    finally:
        modem.stop()
    signal = "none" if status.signal_dbm is None else f"{status.signal_dbm} dBm (CSQ {status.rssi})"
    print(f"state:        {status.state}")
    print(f"SIM:          {status.sim}")
    print(f"signal:       {signal}")
    print(f"registration: {status.registration if status.registration is not None else 'unknown'}")
    print(f"detail:       {status.describe()}")
    return 0 if status.can_send else 1


def _modem_send(args: argparse.Namespace) -> int:
    from datetime import datetime

    from common.delivery import Message
    from hardware.modem import SmsChannel

    modem = _open_modem(args)
    if modem is None:
        return 1
    text = args.text or f"Uji SMS Antrean {datetime.now():%H.%M} (Antrean test SMS)"
    try:
        result = SmsChannel(modem, attempts=args.attempts).send(
            Message(id=f"cli-{datetime.now():%Y%m%d%H%M%S}", to=args.number, text=text, kind="test"))
    finally:
        modem.stop()
    if result.status == "sent":
        print(f"sent to {args.number} (message reference {result.reference})")
        return 0
    print(f"{result.status.replace('_', ' ')}: {result.reason}", file=sys.stderr)
    return 1


def _modem_simulate(args: argparse.Namespace) -> int:
    from hardware.modem.simulator import ModemSimulator

    simulator = ModemSimulator(args.serial, baudrate=args.baudrate, send_seconds=args.send_seconds,
                               pin=args.pin, sim=not args.no_sim,
                               rssi=None if args.no_signal else 18)  # fmt: skip
    if args.fail:
        count, _, code = args.fail.partition(":")
        try:
            simulator.fail_next(int(count), int(code))
        except ValueError:
            print(f"--fail takes COUNT:CODE, e.g. 2:42, not {args.fail!r}", file=sys.stderr)
            return 2
    simulator.start()
    print(f"simulated GSM modem on {args.serial} (Ctrl-C to stop)", flush=True)
    shown = 0
    try:
        while True:
            with simulator.changed:
                simulator.changed.wait(0.5)
            messages = simulator.messages
            for sent in messages[shown:]:
                print(f"SMS to {sent.number} ({sent.parts} part(s), {sent.encoding}, {sent.mode} "
                      f"mode): {sent.text}", flush=True)  # fmt: skip
            shown = len(messages)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0


# -- audio ------------------------------------------------------------------------------------
def _announce(args: argparse.Namespace) -> int:
    from hardware.audio import Announcer, MixerPlayer

    languages = ("id", "en") if args.english else ("id",)
    announcer = Announcer(MixerPlayer(), args.cache, languages=languages)
    for language, text in announcer.sentences(args.number, args.counter).items():
        print(f"{language}: {text}")
    if not announcer.speaks:
        print("no espeak-ng voice found: playing the chime only (install espeak-ng)")
    announcer.announce(args.number, args.counter, recall=args.recall)
    announcer.wait_idle()
    announcer.close()
    return 0
