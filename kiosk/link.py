"""The kiosk's ends: the server through the shared client, the printer through hardware.printer."""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

import httpx

from common.client import ApiError, BackgroundClient
from common.protocol.events import QueueSummary
from common.protocol.models import (
    CounterOut,
    DeviceStatusRequest,
    PriorityReason,
    ServiceOut,
    ServiceQueue,
    TicketOut,
)
from hardware.printer import PrintError, TicketData, TicketPrinter
from kiosk.app import Refused, Unreachable

log = logging.getLogger(__name__)

ANSWER_SECONDS = 20.0


class ServerLink:
    """KioskServer over HTTP, with the live queue counts from the kiosk feed."""

    def __init__(self, client: BackgroundClient, site: str) -> None:
        self.client = client
        self.site = site

    def _wait(self, future: concurrent.futures.Future[Any]) -> Any:
        try:
            return future.result(timeout=ANSWER_SECONDS)
        except ApiError as exc:
            if exc.status >= 500:
                raise Unreachable(f"server error {exc.status}") from exc
            raise Refused(exc.message, exc.message_en, exc.code) from exc
        except (httpx.HTTPError, OSError, concurrent.futures.TimeoutError) as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc

    def services(self) -> list[ServiceOut]:
        rows = self._wait(self.client.get(f"/api/v1/sites/{self.site}/services"))
        return [ServiceOut.model_validate(row) for row in rows]

    def counters(self) -> list[CounterOut]:
        rows = self._wait(self.client.get(f"/api/v1/sites/{self.site}/counters"))
        return [CounterOut.model_validate(row) for row in rows]

    def issue(self, service: str, priority_reason: PriorityReason | None, key: str,
              visit: tuple[str, ...] = ()) -> TicketOut:
        """One service's ticket; or, with ``visit``, one number for all those services."""
        if visit:
            body: dict[str, object] = {"services": list(visit),
                                       "priority_reason": priority_reason, "reserve": True}
            path = f"/api/v1/sites/{self.site}/visits"
        else:
            body = {"service": service, "priority_reason": priority_reason, "reserve": True}
            path = f"/api/v1/sites/{self.site}/tickets"
        answer = self._wait(self.client.submit(path, body, key=key))
        return TicketOut.model_validate(answer)

    def confirm(self, ticket_id: int) -> None:
        self._wait(self.client.submit(f"/api/v1/tickets/{ticket_id}/confirm",
                                      key=f"confirm-{ticket_id}"))

    def cancel(self, ticket_id: int) -> None:
        self._wait(self.client.submit(f"/api/v1/tickets/{ticket_id}/cancel",
                                      {"reason": "dibatalkan di kios"},
                                      key=f"cancel-{ticket_id}"))

    def check_in(self, code: str, key: str) -> TicketOut:
        answer = self._wait(self.client.submit(f"/api/v1/sites/{self.site}/check-in",
                                               {"code": code}, key=key))
        return TicketOut.model_validate(answer)

    def report_status(self, report: DeviceStatusRequest) -> None:
        self._wait(self.client.submit("/api/v1/devices/status", report.model_dump()))

    def queue_updates(self) -> list[ServiceQueue]:
        """The newest waiting counts pushed since the last call; never blocks."""
        queues: list[ServiceQueue] = []
        for item in self.client.poll():
            if isinstance(item, QueueSummary):
                queues.extend(item.queues)
        return queues


class PrinterLink:
    """KioskPrinter on a real (or simulated) ESC/POS printer."""

    def __init__(self, printer: TicketPrinter, hall_name: str, timezone: str) -> None:
        self.printer = printer
        self.hall_name = hall_name
        self.timezone = timezone

    def print(self, ticket: TicketOut, requirements: list[str], *, checked_in: bool = False
              ) -> None:
        data = TicketData.from_ticket(ticket, hall_name=self.hall_name, timezone=self.timezone,
                                      requirements=requirements, checked_in=checked_in)
        self.printer.print_ticket(data)  # raises PrintError with the reason

    def ready(self) -> tuple[bool, str]:
        status = self.printer.status()
        return status.can_print, status.describe()


__all__ = ["PrintError", "PrinterLink", "ServerLink"]
