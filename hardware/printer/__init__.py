"""Ticket printing on ESC/POS printers, chosen by URL, with status and a simulator.

printer = TicketPrinter("tcp://192.168.1.50:9100?paper=80", on_status=post_to_server)
printer.print_ticket(TicketData.from_ticket(ticket_out, hall_name=..., timezone=...))
"""

from hardware.printer.backends import PrinterUrlError, open_device
from hardware.printer.driver import PrintError, TicketPrinter, build_job, read_status
from hardware.printer.layout import PAPER_58, PAPER_80, Paper, TicketData, layout_ticket
from hardware.printer.status import PrinterStatus

__all__ = [
    "PAPER_58",
    "PAPER_80",
    "Paper",
    "PrintError",
    "PrinterStatus",
    "PrinterUrlError",
    "TicketData",
    "TicketPrinter",
    "build_job",
    "layout_ticket",
    "open_device",
    "read_status",
]
