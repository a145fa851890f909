"""Who is asking: an officer (with a role) or a device (kiosk, display, keypad)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from server.services.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    kind: Literal["officer", "device", "system"]
    id: int | None
    name: str
    role: str  # officer|manager|admin for officers; kiosk|display|keypad for devices
    site_id: int | None = None
    agency_id: int | None = None
    counter_id: int | None = None  # a keypad bound to one counter
    zone_code: str | None = None  # a display showing one zone of the hall
    ticket_code: str | None = None  # a citizen, known only by the ticket they hold

    @property
    def principal(self) -> str:
        """Whose Idempotency-Keys these are: each caller's keys are its own."""
        if self.ticket_code is not None:
            return f"ticket:{self.ticket_code}"
        return f"{self.kind}:{self.id}"

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(
                "Anda tidak berwenang melakukan tindakan ini.",
                f"A {self.role} may not do this; it needs one of: {', '.join(roles)}.",
            )

    def require_site(self, site_id: int) -> None:
        if self.site_id is not None and self.site_id != site_id:
            raise Forbidden("Perangkat atau akun ini milik gedung lain.",
                            "This device or account belongs to another site.")


SYSTEM = Actor(kind="system", id=None, name="system", role="admin")
