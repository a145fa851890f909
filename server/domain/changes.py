"""Applying a run of a site's changes to its copy at the centre: what to write, in what order.

A site records every change to the records its centre keeps as (position, table, key, op, row):
op "U" says the row now stands as given (inserted or updated), "D" that it was deleted. The
positions follow the site's commits. The centre applies a batch of them at once, so:

- Only the last change of each row counts: the row as it stood at the batch's end. Applying
  every change in turn would end the same way, with more writes.
- Changes at or before the position the copy has already reached are skipped: a batch sent
  again, or overlapping one applied before, changes nothing.
- The site's state at the batch's end satisfies every foreign key, and the writes keep it so at
  every step: first the deletions of rows nothing can refer to (their tables are referred to by
  none: a hall's zones, a counter's services, deleted and made anew when the hall file is
  applied, so their unique codes are free before the new rows come); then the rows, parents
  before children, each finding the rows it refers to already there; last the deletions of
  rows others may refer to, children before parents, once every row that referred to them has
  been written as it now stands. (So a row of a table others refer to may not be deleted and
  its unique values reused within one batch.)

``tables`` lists the tables parents first (``server.region.capture.UPWARD``); ``referred``
names those that other tables refer to.
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


Keys = list[tuple[str, list[tuple[Any, ...]]]]


@dataclass
class Plan:
    """In this order: ``deletes_first``, ``upserts``, ``deletes_last``."""

    deletes_first: Keys = field(default_factory=list)
    upserts: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    deletes_last: Keys = field(default_factory=list)
    applied: int = 0  # changes past the copy's position (the others were applied before)

    @property
    def rows(self) -> int:
        return (sum(len(keys) for _, keys in self.deletes_first + self.deletes_last)
                + sum(len(rows) for _, rows in self.upserts))

    @property
    def tables(self) -> set[str]:
        return {t for t, _ in self.deletes_first + self.deletes_last} | {
            t for t, _ in self.upserts}


class UnknownTable(ValueError):
    pass


def plan(changes: Iterable[Change], tables: Sequence[str], after: int,
         referred: frozenset[str] = frozenset()) -> Plan:
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
            (result.deletes_last if table in referred else result.deletes_first).append(
                (table, keys))
    for table in sorted(by_table, key=order.__getitem__):
        rows = [c.row for c in by_table[table] if c.op == "U"]
        if rows:
            result.upserts.append((table, rows))
    return result
