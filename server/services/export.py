"""Exports for managers: ticket-level data and the KPI tables, as CSV or XLSX.

Ticket rows are streamed from the database in batches (a year of a busy hall is ~450,000 rows);
the XLSX is written with openpyxl's write-only workbook, row by row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import Response
from fastapi.responses import StreamingResponse
from openpyxl import Workbook

from common.protocol.stats import StatsOut, StatsRow
from server.domain.stats import IKM_ELEMENTS
from server.services import stats
from server.services.catalog import Catalog, SiteInfo
from server.services.runner import Clock
from server.store import models as m
from server.store.db import Database

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = m.Ticket

TICKET_COLUMNS = (
    "service_day", "number", "agency", "service", "priority_reason", "channel", "status",
    "issued_at", "first_called_at", "started_at", "finished_at", "ended_at", "wait_seconds",
    "walk_seconds", "service_seconds", "counter", "officer", "transfers", "call_count",
    "called_out_of_order", "rating", "visit_id",
)
KPI_COLUMNS = (
    "group", "key", "label", "issued", "served", "no_shows", "cancelled", "expired",
    "transferred", "priority", "wait_mean_s", "wait_median_s", "wait_p90_s", "wait_max_s",
    "walk_mean_s", "walk_median_s", "walk_p90_s", "walk_max_s", "service_mean_s",
    "service_median_s", "service_p90_s", "service_max_s", "called", "called_within_sla",
    "sla_share", "out_of_order", "ikm_respondents", "ikm_index", "ikm_band", "ratings",
    "rating_mean",
)


class Store(Protocol):
    """Where the figures come from: a server's own store (its context), or a centre's mirror
    of a site (``server.region.view.MirrorView``)."""

    @property
    def db(self) -> Database: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def clock(self) -> Clock: ...


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else round((end - start).total_seconds(), 1)


async def ticket_rows(context: Store, sel: stats.Selection) -> AsyncIterator[list[Any]]:
    zone = ZoneInfo(sel.site.timezone)
    catalog = context.catalog

    def local(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    async with context.db.read(streaming=True) as session:
        statement = (sel.tickets(T, m.Officer.username)
                     .outerjoin(m.Officer, m.Officer.id == T.officer_id)
                     .order_by(T.service_day, T.issued_at, T.id)
                     .execution_options(yield_per=2000))
        result = await session.stream(statement)
        async for ticket, username in result:
            service = catalog.services.get(ticket.service_id)
            agency = catalog.agencies.get(service.agency_id) if service else None
            counter = catalog.counters.get(ticket.counter_id or 0)
            yield [
                ticket.service_day.isoformat(), ticket.number, agency.code if agency else "",
                service.code if service else "", ticket.priority_reason or "", ticket.channel,
                ticket.status, local(ticket.issued_at), local(ticket.first_called_at),
                local(ticket.started_at), local(ticket.finished_at), local(ticket.ended_at),
                _seconds(ticket.issued_at, ticket.first_called_at),
                _seconds(ticket.first_called_at, ticket.started_at),
                _seconds(ticket.started_at, ticket.finished_at),
                counter.number if counter else "", username or "", ticket.transfer_count,
                ticket.call_count, int(ticket.called_out_of_order),
                "" if ticket.rating is None else ticket.rating,
                # A visit of several stops is one ticket: its id names the visit; the times
                # above are its last stop's (each stop's own are in the visit's plan).
                ticket.id if ticket.in_visit else "",
            ]


def kpi_figures(row: StatsRow) -> list[Any]:
    """A row's figures in the order of ``KPI_COLUMNS`` after group, key and label."""
    figures: list[Any] = [row.issued, row.served, row.no_shows, row.cancelled, row.expired,
                          row.transferred, row.priority]
    for d in (row.wait, row.walk, row.service):
        figures += [d.mean, d.median, d.p90, d.max]
    s = row.satisfaction
    figures += [row.called, row.called_within_sla,
                None if row.sla_share is None else round(row.sla_share, 4),
                row.out_of_order, s.respondents, s.index, s.band, s.ratings, s.rating_mean]
    return figures


def kpi_rows(result: StatsOut) -> Iterable[list[Any]]:
    for group, rows in (("total", [result.totals]), (result.group_by, result.rows)):
        for row in rows:
            yield [group, row.key, row.label, *kpi_figures(row)]


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _csv_line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_blank(v) for v in values])
    return buffer.getvalue()


def _filename(site: SiteInfo, kind: str, query: stats.StatsQuery, fmt: str) -> str:
    return f"antrean-{site.code.lower()}-{kind}-{query.date_from}_{query.date_to}.{fmt}"


Sheets = dict[str, tuple[Sequence[str], list[list[Any]]]]


def sheets_response(sheets: Sheets, fmt: str, filename: str) -> Response:
    """The sheets as an XLSX workbook, or the first of them as CSV."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        columns, rows = next(iter(sheets.values()))
        text = "".join(_csv_line(r) for r in [list(columns), *rows])
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
    return Response(_xlsx(sheets), media_type=XLSX_TYPE, headers=headers)


async def response(context: Store, site: SiteInfo, query: stats.StatsQuery, kind: str,
                   fmt: str) -> Response:
    headers = {"Content-Disposition":
               f'attachment; filename="{_filename(site, kind, query, fmt)}"'}
    if kind == "kpi":
        async with context.db.read() as session:
            result = await stats.statistics(session, context.catalog, site, query,
                                            context.clock())
        sheets: Sheets = {
            "kpi": (KPI_COLUMNS, list(kpi_rows(result))),
            "counters": (("counter", "name", "agency", "open_seconds", "serving_seconds",
                          "utilisation", "served"),
                         [[c.counter, c.name, c.agency, c.open_seconds, c.serving_seconds,
                           c.utilisation, c.served] for c in result.counters]),
            "officers": (("username", "name", "open_seconds", "served", "tickets_per_hour",
                          "ikm_index", "ikm_band"),
                         [[o.username, o.name, o.open_seconds, o.served, o.tickets_per_hour,
                           o.satisfaction.index, o.satisfaction.band] for o in result.officers]),
            "ikm_elements": (("key", "label", *IKM_ELEMENTS),
                             [[r.key, r.label, *(r.satisfaction.elements.get(e)
                                                 for e in IKM_ELEMENTS)]
                              for r in [result.totals, *result.rows]
                              if r.satisfaction.respondents]),
        }
        if result.online:
            sheets["online"] = (
                ("service", "label", "walk_in", "online", "online_share", "bookings",
                 "checked_in", "lapsed", "no_show_rate", "punctuality_mean_seconds",
                 "punctuality_median_seconds", "quota", "quota_used", "quota_use"),
                [[o.service, o.label, o.walk_in, o.online, o.online_share, o.bookings,
                  o.checked_in, o.lapsed, o.no_show_rate, o.punctuality_mean_seconds,
                  o.punctuality_median_seconds, o.quota, o.quota_used, o.quota_use]
                 for o in result.online])
        return sheets_response(sheets, fmt, _filename(site, kind, query, fmt))

    # Checked here, before the answer starts: once the file's first line is out, a refusal
    # can only cut it short.
    sel = stats.Selection(context.catalog, site, query, context.db.dialect, context.clock())

    if fmt == "csv":
        async def lines() -> AsyncIterator[str]:
            yield _csv_line(TICKET_COLUMNS)
            async for row in ticket_rows(context, sel):
                yield _csv_line(row)
        return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)
    rows = [row async for row in ticket_rows(context, sel)]
    return Response(_xlsx({"tickets": (TICKET_COLUMNS, rows)}), media_type=XLSX_TYPE,
                    headers=headers)


def _xlsx(sheets: Sheets) -> bytes:
    workbook = Workbook(write_only=True)
    for title, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([_blank(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()



