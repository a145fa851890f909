"""A site's rows as they travel: JSON objects of the values SQLite stores (times as text,
booleans as 0 and 1, JSON columns as JSON), read back here by each column's own type, so the
centre's store, SQLite or PostgreSQL, holds what the site holds.

A row of an older site may lack a column added since: it takes the column's default. A column
this version does not know means the site runs newer software than its centre: refused, with
words saying so, rather than dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Table
from sqlalchemy.types import TypeDecorator, TypeEngine

from server.domain.changes import Change
from server.region.capture import BY_TABLE, table_of


class UnknownRecord(ValueError):
    """A table or column this centre does not know (the site's software is newer)."""


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _converter(kind: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, DateTime):
        return _datetime
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Boolean):
        return _boolean
    return None


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if getattr(default, "is_scalar", False):
        return default.arg  # type: ignore[attr-defined]
    if getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[attr-defined]
    return None


@dataclass(frozen=True)
class RowReader:
    """Reads one table's rows as sent."""

    table: Table
    converters: dict[str, Callable[[Any], Any] | None]
    withheld: frozenset[str]
    key_columns: tuple[str, ...]

    @classmethod
    def of(cls, name: str) -> RowReader:
        spec = BY_TABLE.get(name)
        if spec is None:
            raise UnknownRecord(f"this centre keeps no records of '{name}'")
        table = table_of(name)
        return cls(table, {c.name: _converter(c.type) for c in table.columns}, spec.withheld,
                   tuple(c.name for c in table.primary_key.columns))

    def row(self, image: dict[str, Any]) -> dict[str, Any]:
        unknown = image.keys() - self.converters.keys()
        if unknown:
            raise UnknownRecord(f"this centre knows no column {', '.join(sorted(unknown))} "
                                f"of '{self.table.name}'")
        row: dict[str, Any] = {}
        for column in self.table.columns:
            name = column.name
            if name in image:
                convert = self.converters[name]
                row[name] = convert(image[name]) if convert is not None else image[name]
            elif name in self.withheld:
                row[name] = None  # filled below, once the key is known
            else:
                row[name] = _default(column)
        for name in self.withheld:
            if not self.table.columns[name].nullable:  # e.g. a device's token hash
                row[name] = "withheld:" + ":".join(str(row[k]) for k in self.key_columns)
        return row

    def key(self, image: dict[str, Any]) -> tuple[Any, ...]:
        try:
            raw = [image[k] for k in self.key_columns]
        except KeyError as missing:
            raise UnknownRecord(f"a row of '{self.table.name}' lacks its key {missing}") from None
        converted = []
        for name, value in zip(self.key_columns, raw, strict=True):
            convert = self.converters[name]
            converted.append(convert(value) if convert is not None else value)
        return tuple(converted)


class Readers:
    """The readers of every table a batch names, made once each."""

    def __init__(self) -> None:
        self._readers: dict[str, RowReader] = {}

    def reader(self, table: str) -> RowReader:
        found = self._readers.get(table)
        if found is None:
            found = self._readers[table] = RowReader.of(table)
        return found

    def change(self, position: int, table: str, op: str, image: dict[str, Any]) -> Change:
        reader = self.reader(table)
        key = reader.key(image)
        if op == "D":
            return Change(position, table, key, "D", dict(zip(reader.key_columns, key,
                                                              strict=True)))
        return Change(position, table, key, "U", reader.row(image))
