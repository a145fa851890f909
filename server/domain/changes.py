"""Applying a run of a site's changes to its copy at the centre: what to write, in what order.

A site records every change to the records its centre keeps as (position, table, key, op, row):
op "U" says the row now stands as given (inserted or updated), "D" that it was deleted. The
positions follow the site's commits. The centre applies a batch of them at once, so:

- Only the last change of each row counts: the row as it stood at the batch's end. Applying
  every change in turn would end the same way, with more writes.
- Changes at or before the position the copy has already reached are skipped: a batch sent
  again, or overlapping one applied before, changes nothing.
- Deletions come first, children before parents; then the rows, parents before children. The
  site's state at the batch's end satisfies every foreign key, so written in that order each
  row finds the rows it refers to already there, and no row is deleted while another still
  refers to it.

``tables`` lists the tables parents first (``server.region.capture.UPWARD``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["U", "D"]


@dataclass(frozen=True)
class Change:
    position: int
    table: str
    key: tuple[Any, ...]
    op: Op
    row: dict[str, Any]


@dataclass
class Plan:
    deletes: list[tuple[str, list[tuple[Any, ...]]]] = field(default_factory=list)
    upserts: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    applied: int = 0  # changes past the copy's position (the others were applied before)

    @property
    def rows(self) -> int:
        return sum(len(keys) for _, keys in self.deletes) + sum(
            len(rows) for _, rows in self.upserts)


class UnknownTable(ValueError):
    pass


def plan(changes: Iterable[Change], tables: Sequence[str], after: int) -> Plan:
    """What to write for the ``changes`` past position ``after``, in the order that keeps every
    foreign key satisfied at each step."""
    order = {name: index for index, name in enumerate(tables)}
    last: dict[tuple[str, tuple[Any, ...]], Change] = {}
    result = Plan()
    for change in changes:
        if change.table not in order:
            raise UnknownTable(change.table)
        if change.position <= after:
            continue
        result.applied += 1
        key = (change.table, change.key)
        previous = last.get(key)
        if previous is None or previous.position < change.position:
            last[key] = change
    by_table: dict[str, list[Change]] = {}
    for change in sorted(last.values(), key=lambda c: c.position):
        by_table.setdefault(change.table, []).append(change)
    for table in sorted(by_table, key=order.__getitem__, reverse=True):
        keys = [c.key for c in by_table[table] if c.op == "D"]
        if keys:
            result.deletes.append((table, keys))
    for table in sorted(by_table, key=order.__getitem__):
        rows = [c.row for c in by_table[table] if c.op == "U"]
        if rows:
            result.upserts.append((table, rows))
    return result
