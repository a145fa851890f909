"""Apply the Alembic migrations that ship inside the package; say what would run; and refuse a
store whose schema is newer than this version of Antrean knows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server import __version__
from server.store.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision these migrations reach."""
    head = _scripts().get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


class SchemaTooNew(RuntimeError):
    """The store was upgraded by a newer Antrean: this one would misread it."""

    def __init__(self, current: str, head: str) -> None:
        super().__init__(
            f"The store's schema is at revision {current}, which Antrean {__version__} does not "
            f"know (it knows revisions up to {head}): a newer Antrean has upgraded this store. "
            "Run that version (or a newer one), or restore a backup taken before the upgrade "
            "into a new data folder (see docs/operations.md, 'Upgrades').")
        self.current = current
        self.head = head


@dataclass(frozen=True)
class Step:
    revision: str
    summary: str  # the first line of the migration's docstring


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: an empty store
    head: str
    pending: tuple[Step, ...]  # oldest first

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def _state(connection: Connection) -> SchemaState:
    scripts = _scripts()
    head = head_revision()
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
        raise SchemaTooNew(current, head)
    steps = [Step(s.revision, (s.doc or "").strip().splitlines()[0] if s.doc else "")
             for s in scripts.iterate_revisions(head, current or "base")]
    return SchemaState(current, head, tuple(reversed(steps)))


async def schema_state(database: Database) -> SchemaState:
    """Where the store's schema stands against this package's migrations; raises
    ``SchemaTooNew`` for a store a newer version upgraded."""
    async with database.read_engine.connect() as connection:  # a reader: never waits on writers
        state = await connection.run_sync(_state)
        await connection.rollback()
        return state


async def upgrade(database: Database, revision: str = "head") -> None:
    def run(connection: Connection) -> None:
        _state(connection)  # refuses a store from a newer version before touching it
        command.upgrade(alembic_config(connection), revision)

    async with database.engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(database: Database) -> str | None:
    """The store's schema revision, read without taking the write lock (None: a new store)."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.read_engine.connect() as connection:
        return await connection.run_sync(read)
