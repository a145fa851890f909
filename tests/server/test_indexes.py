"""The query that finds a line's next ticket seeks an index; it never scans the day's history."""

from __future__ import annotations

from datetime import date

from conftest import Hall
from sqlalchemy import text

from server.services.queries import line_head_query


async def test_line_head_query_uses_the_line_index(hall: Hall) -> None:
    query = line_head_query(1, date(2026, 11, 25), True)
    async with hall.context.db.read() as session:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        if hall.context.db.is_sqlite:
            plan = (await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
            detail = " ".join(str(row[-1]) for row in plan)
            assert "ix_tickets_line_head" in detail, detail
            assert "TEMP B-TREE" not in detail, detail  # the index gives the order: no sort
        else:
            # The test table is tiny, so forbid the sequential scan to see what is usable.
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = (await session.execute(text(f"EXPLAIN {compiled}"))).scalars().all()
            detail = " ".join(plan)
            assert "ix_tickets_line_head" in detail, detail
            assert "Sort" not in detail, detail
