"""Applying a run of a site's changes at the centre: the last of each row, in an order that
keeps every foreign key satisfied, nothing twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.changes import Change, UnknownTable, plan
from server.domain.link import Freshness, ago, link_view

TABLES = ("parents", "children")
REFERRED = frozenset({"parents"})


@dataclass
class Store:
    """A two-table store whose children refer to parents, checked as SQLite checks it."""

    parents: dict[int, dict[str, Any]] = field(default_factory=dict)
    children: dict[int, dict[str, Any]] = field(default_factory=dict)

    def copy(self) -> Store:
        return Store(dict(self.parents), dict(self.children))

    def table(self, name: str) -> dict[int, dict[str, Any]]:
        return self.parents if name == "parents" else self.children

    def upsert(self, name: str, row: dict[str, Any]) -> None:
        if name == "children":
            assert row["parent"] in self.parents, f"child {row} before its parent"
        self.table(name)[row["id"]] = row

    def delete(self, name: str, key: int) -> None:
        if name == "parents":
            assert all(c["parent"] != key for c in self.children.values()), \
                f"parent {key} deleted while referred to"
        self.table(name).pop(key, None)


def history(ops: list[tuple[int, int, int]]) -> list[Change]:
    """A site's changes from a list of choices, each change allowed at its moment (children
    refer to parents that exist; a parent is deleted only once nobody refers to it)."""
    store = Store()
    changes: list[Change] = []
    next_id = {"parents": 1, "children": 1}

    def note(table: str, op: str, row: dict[str, Any]) -> None:
        changes.append(Change(len(changes) + 1, table, (row["id"],), op, row))  # type: ignore[arg-type]

    for kind, pick, value in ops:
        parents, children = sorted(store.parents), sorted(store.children)
        if kind == 0 or not parents:  # a new parent
            row = {"id": next_id["parents"], "v": value}
            next_id["parents"] += 1
            store.upsert("parents", row)
            note("parents", "U", row)
        elif kind == 1:  # a parent changes
            row = {"id": parents[pick % len(parents)], "v": value}
            store.upsert("parents", row)
            note("parents", "U", row)
        elif kind == 2 or not children:  # a new child of some parent
            row = {"id": next_id["children"], "parent": parents[pick % len(parents)], "v": value}
            next_id["children"] += 1
            store.upsert("children", row)
            note("children", "U", row)
        elif kind == 3:  # a child moves to another parent
            child = children[pick % len(children)]
            row = {"id": child, "parent": parents[value % len(parents)], "v": value}
            store.upsert("children", row)
            note("children", "U", row)
        elif kind == 4:  # a child goes
            child = children[pick % len(children)]
            store.delete("children", child)
            note("children", "D", {"id": child})
        else:  # a parent nobody refers to goes
            free = [p for p in parents if all(c["parent"] != p for c in store.children.values())]
            if free:
                store.delete("parents", free[pick % len(free)])
                note("parents", "D", {"id": free[pick % len(free)]})
    return changes


def replay(changes: list[Change], store: Store | None = None) -> Store:
    store = store.copy() if store is not None else Store()
    for change in changes:
        if change.op == "U":
            store.upsert(change.table, change.row)
        else:
            store.delete(change.table, change.key[0])
    return store


def apply_plan(changes: list[Change], store: Store, after: int) -> Store:
    work = plan(changes, TABLES, after, REFERRED)
    store = store.copy()
    for table, keys in work.deletes_first:
        for key in keys:
            store.delete(table, key[0])
    for table, rows in work.upserts:
        for row in rows:
            store.upsert(table, row)
    for table, keys in work.deletes_last:
        for key in keys:
            store.delete(table, key[0])
    return store


OPS = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 50), st.integers(0, 50)),
               min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(OPS, st.data())
def test_a_batch_from_any_position_ends_as_the_site_ends_and_never_breaks_a_key(
        ops: list[tuple[int, int, int]], data: st.DataObject) -> None:
    changes = history(ops)
    held = data.draw(st.integers(0, len(changes)), label="the centre holds up to")
    end = data.draw(st.integers(held, len(changes)), label="the batch reaches")
    at_centre = replay(changes[:held])
    after = apply_plan(changes[:end], at_centre, held)
    assert after == replay(changes[:end])


@settings(max_examples=200, deadline=None)
@given(OPS, st.data())
def test_a_batch_sent_again_or_overlapping_changes_nothing(
        ops: list[tuple[int, int, int]], data: st.DataObject) -> None:
    changes = history(ops)
    held = data.draw(st.integers(0, len(changes)))
    start = data.draw(st.integers(0, held), label="the resent batch starts")
    at_centre = replay(changes[:held])
    again = plan(changes[start:held], TABLES, held)
    assert again.rows == 0 and again.applied == 0
    overlapping = apply_plan(changes[start:], at_centre, held)
    assert overlapping == replay(changes)


def test_only_the_last_change_of_a_row_is_written() -> None:
    changes = [Change(1, "parents", (1,), "U", {"id": 1, "v": 1}),
               Change(2, "parents", (1,), "U", {"id": 1, "v": 2}),
               Change(3, "children", (7,), "U", {"id": 7, "parent": 1, "v": 0}),
               Change(4, "parents", (1,), "U", {"id": 1, "v": 3})]
    work = plan(changes, TABLES, 0)
    assert work.upserts == [("parents", [{"id": 1, "v": 3}]),
                            ("children", [{"id": 7, "parent": 1, "v": 0}])]
    assert work.applied == 4 and work.rows == 2


def test_a_table_the_centre_does_not_know_is_refused() -> None:
    with pytest.raises(UnknownTable):
        plan([Change(1, "bookings", (1,), "U", {"id": 1})], TABLES, 0)


# -- how fresh a hall's records are


def test_a_hall_is_live_only_when_heard_just_now_with_nothing_left_to_send() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert link_view(None, 0, now, 30).freshness is Freshness.NEVER
    assert link_view(now - timedelta(seconds=5), 0, now, 30).live
    behind = link_view(now - timedelta(seconds=5), 120, now, 30)
    assert behind.freshness is Freshness.CATCHING_UP and not behind.live
    silent = link_view(now - timedelta(hours=3, minutes=59), 0, now, 30)
    assert silent.freshness is Freshness.SILENT and not silent.live
    assert ago(silent.heard_seconds) == "3 jam lalu"
    assert ago(silent.heard_seconds, "en") == "3 h ago"


@given(st.floats(0, 10 * 86400), st.floats(0, 10 * 86400))
def test_the_words_for_how_long_ago_never_go_down_as_time_goes_on(a: float, b: float) -> None:
    order = ["baru saja", "detik", "menit", "jam", "hari"]

    def rank(words: str) -> tuple[int, int]:
        if words == "baru saja":
            return (0, 0)
        n, unit, _ = words.split(" ")
        return (order.index(unit), int(n))

    early, late = sorted((a, b))
    assert rank(ago(early)) <= rank(ago(late))
    assert ago(9.9) == "baru saja" and ago(59.9) == "59 detik lalu" and ago(60) == \
        "1 menit lalu" and ago(86400 * 2) == "2 hari lalu" and ago(86400, "en") == "1 day ago"
    assert ago(None, "en") == "never" and ago(3, "en") == "just now"
