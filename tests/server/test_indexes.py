"""The queries that find a line's next ticket seek an index; they never scan the day's history."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import Hall
from sqlalchemy import text
from sqlalchemy.sql import Executable

from server.services.queries import line_head_query, line_heads_query

DAY = date(2026, 11, 25)


def _one_line() -> Executable:
    return line_head_query(1, DAY, True)


def _every_line_of_a_counter(postgres: bool) -> Executable:
    lines = ((1, True), (1, False), (2, True), (2, False))
    return line_heads_query(lines).params(day=DAY)


@pytest.mark.parametrize("shape", ["one line", "every line of a counter"])
async def test_line_head_queries_use_the_line_index(hall: Hall, shape: str) -> None:
    postgres = not hall.context.db.is_sqlite
    query = _one_line() if shape == "one line" else _every_line_of_a_counter(postgres)
    async with hall.context.db.read() as session:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        if not postgres:
            plan = (await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
            detail = " ".join(str(row[-1]) for row in plan)
            assert "ix_tickets_line_head" in detail, detail
            assert "TEMP B-TREE" not in detail, detail  # the index gives the order: no sort
            assert "SCAN tickets" not in detail, detail
        else:
            # The test table is tiny, so forbid the sequential scan to see what is usable.
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = (await session.execute(text(f"EXPLAIN {compiled}"))).scalars().all()
            detail = " ".join(plan)
            assert "ix_tickets_line_head" in detail, detail
            assert "Sort" not in detail, detail
            assert "Seq Scan" not in detail, detail


@pytest.mark.parametrize("shape", ["a counter's lines with their counts", "a new ticket's line"])
async def test_lines_are_counted_from_the_line_index_alone(hall: Hall, shape: str) -> None:
    from server.services import queries

    postgres = not hall.context.db.is_sqlite
    lines = ((1, True), (1, False), (2, True), (2, False))
    query = (queries.line_heads_and_queue_query(lines).params(
                 day=DAY, site_id=1, service_ids=[1, 2])
             if shape.startswith("a counter") else
             queries.LINE_OF_NEW_TICKET[False].params(
                 day=DAY, site_id=1, service_id=1, ticket_id=10, queued_at=hall.clock()))
    async with hall.context.db.read() as session:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        if not postgres:
            plan = (await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
            searches = [str(row[-1]) for row in plan if "tickets" in str(row[-1])]
            assert searches and all("COVERING INDEX ix_tickets_line_head" in s
                                    for s in searches), searches
        else:
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = (await session.execute(text(f"EXPLAIN {compiled}"))).scalars().all()
            detail = " ".join(plan)
            assert "ix_tickets_line_head" in detail and "Seq Scan" not in detail, detail
