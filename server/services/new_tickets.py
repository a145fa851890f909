"""A new ticket into the store: its number of the day, its row and, for one that joins the line
at once, where it stands in it.

Each statement is a round trip to PostgreSQL, and costs this process more than it costs the
database: there the number is taken, the ticket written and its line read in one statement.
SQLite, in the process and on the loop's thread, takes three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from server.domain.numbering import NUMBER_DIGITS, format_number
from server.services.queries import (
    LINE_OF_NEW_TICKET,
    apart_from_open_counters,
    line_of,
    open_counter_rows,
)
from server.store import models as m

_TICKETS = m.Ticket.core_table()


@dataclass(frozen=True)
class Stored:
    """A new ticket as the store has it: its id, its sequence of the day and its number."""

    id: int
    sequence: int
    number: str


@dataclass(frozen=True)
class Place:
    """Where a ticket that just joined its line stands: who waits before it, the line's
    waiting tickets (all, priority) with itself, and the site's open counters."""

    ahead: int
    waiting: tuple[int, int]
    open_ids: set[int]


def _next_sequence_statement(dialect: str) -> ReturningInsert[int]:
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The table, not the mapped class: the ORM's path for an upsert costs more than the upsert.
    sequences = m.DailySequence.core_table()
    return insert_(sequences).values(
        service_id=bindparam("service_id"), service_day=bindparam("day"), last_sequence=1,
    ).on_conflict_do_update(
        index_elements=[sequences.c.service_id, sequences.c.service_day],
        set_={"last_sequence": sequences.c.last_sequence + 1},
    ).returning(sequences.c.last_sequence)


_NEXT_SEQUENCE = _next_sequence_statement("sqlite")
# Through the table: the unit of work's flush of one new object costs more than the insert.
_TICKET_INSERT = insert(_TICKETS).returning(_TICKETS.c.id)


def number_sql(sequence: ColumnElement[int]) -> ColumnElement[str]:
    """``format_number`` in SQL (PostgreSQL), the prefix bound as ``prefix``."""
    digits = cast(sequence, Text)
    return (bindparam("prefix", type_=String()) + "-"
            + func.lpad(digits, func.greatest(NUMBER_DIGITS, func.length(digits)), "0"))


@lru_cache(maxsize=32)
def _postgres_statement(columns: tuple[str, ...], priority: bool, joins_line: bool
                        ) -> Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]:
    """The day's next number taken, the ticket inserted with it (its other values bound as
    ``new_COLUMN``), and for one that joins the line what ``LINE_OF_NEW_TICKET`` reads. The
    reads share the insert's snapshot: they see the line as it was before the ticket."""
    taken = _next_sequence_statement("postgresql").cte("taken")
    sequence = taken.c.last_sequence
    new = (insert(_TICKETS).from_select(
        [*columns, "sequence", "number"],
        select(*[bindparam(f"new_{column}", type_=_TICKETS.c[column].type)
                 for column in columns], sequence, number_sql(sequence)))
           .returning(_TICKETS.c.id, _TICKETS.c.sequence).cte("new_ticket"))
    ticket = select(literal("new"), new.c.id, new.c.sequence, literal(0))
    if not joins_line:
        return ticket
    return union_all(ticket, line_of(priority, select(new.c.id).scalar_subquery()),
                     open_counter_rows(4))


async def insert_new_ticket(session: AsyncSession, row: dict[str, Any], prefix: str, *,
                            joins_line: bool) -> tuple[Stored, Place | None]:
    """Store a new ticket: ``row`` holds its columns but the sequence and the number, which
    come from the service's count of the day (``prefix``: the service's letter). The ticket
    as stored and, if it ``joins_line``, its place."""
    day: date = row["service_day"]
    line = {"service_id": row["service_id"], "day": day, "queued_at": row["queued_at"],
            "site_id": row["site_id"]}
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(
            _postgres_statement(tuple(sorted(row)), row["priority"], joins_line),
            {**line, "prefix": prefix, **{f"new_{column}": value for column, value in row.items()}})
        itself = 1  # the line was read without it
    else:
        sequence = int((await session.execute(_NEXT_SEQUENCE, line)).scalar_one())
        number = format_number(prefix, sequence)
        ticket_id = (await session.execute(_TICKET_INSERT, {
            **row, "sequence": sequence, "number": number})).scalar_one()
        if not joins_line:
            return Stored(ticket_id, sequence, number), None
        result = await session.execute(LINE_OF_NEW_TICKET[row["priority"]],
                                       {**line, "ticket_id": ticket_id})
        itself = 0
    rows, open_ids = apart_from_open_counters(result)
    place = None
    for tag, first, second, third in rows:
        if tag == "new":  # numbered in the statement as format_number numbers it
            ticket_id, sequence, number = first, second, format_number(prefix, second)
        else:
            place = Place(ahead=int(third or 0), open_ids=open_ids, waiting=(
                int(first) + itself, int(second or 0) + (itself if row["priority"] else 0)))
    return Stored(ticket_id, sequence, number), place
