"""Engine creation and migrations: one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.inline import SQLITE_BUSY_TIMEOUT_MS, InlineSQLite, set_up

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a migration runs or is inspected: a database already at the
# newest revision (every start but the first after an upgrade) starts without it.

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the async driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


# SQLite's durability: FULL syncs the write-ahead log at every commit, so an answer shown as
# saved survives a power loss; NORMAL may lose the last commits then (but never corrupts).
SYNCHRONOUS = ("FULL", "NORMAL")


def create_engine(url: str, *, schema: str | None = None, synchronous: str = "FULL") -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout and explicit BEGINs."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine, synchronous if synchronous in SYNCHRONOUS else "FULL")
        return engine
    connect_args = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(url, connect_args=connect_args, pool_size=10, max_overflow=10)


def inline_sqlite(engine: AsyncEngine, synchronous: str) -> InlineSQLite | None:
    """A SQLite file's statements run on the event loop (see bot.store.inline)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return InlineSQLite(url, synchronous if synchronous in SYNCHRONOUS else "FULL")


def _configure_sqlite(engine: AsyncEngine, synchronous: str) -> None:
    # Checkpoints run beside the commits instead of inside one (checkpoints.py).
    pragmas = (
        f"synchronous={synchronous}",
        "wal_autocheckpoint=0",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    )
    event.listen(engine.sync_engine, "connect", lambda dbapi, _record: set_up(dbapi, *pragmas))

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so waiting uses the busy timeout.
        if conn.get_execution_options().get("prepbot_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to `revision`, keeping existing data."""
    if revision == "head" and await _stored_revision(engine) == newest_revision():
        return
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it is empty."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def head_revision() -> str:
    """The newest revision this code knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def newest_revision() -> str:
    """The newest migration's revision, read from the file names without alembic: the
    file `0012_team_rhythm.py` holds revision "0012" (tests/test_store.py checks this)."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))


async def _stored_revision(engine: AsyncEngine) -> str | None:
    """The revision recorded in the database, or None (empty, or no alembic table)."""
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except Exception:  # no such table yet: a new database
        return None
    return rows[0][0] if len(rows) == 1 else None
