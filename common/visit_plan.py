"""A visit's plan said in plain words, alike on the kiosk, the counter and the tracking page."""

from __future__ import annotations

from common.protocol.models import VisitOut


def plan_words(visit: VisitOut, language: str = "id") -> str:
    """ "1. KTP di Dukcapil · 2. Kartu BPJS di BPJS Kesehatan · 3. NPWP di Kantor Pajak"."""
    joiner = " di " if language == "id" else " at "
    parts = []
    for stop in visit.stops:
        name = stop.service_name if language == "id" else stop.service_name_en or stop.service_name
        agency = stop.agency_name if language == "id" else stop.agency_name_en or stop.agency_name
        parts.append(f"{stop.position}. {name}{joiner}{agency}")
    return " · ".join(parts)
