"""Backups of the embedded SQLite database, taken and restored while the bot runs.

SQLite's online backup copies a consistent snapshot page by page while writers go on; a
restore copies a backup back the same way, and running connections see it on their next
transaction. PostgreSQL has its own tools (`pg_dump`, `pg_restore`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

PG_HINT = (
    "This database is PostgreSQL: back it up with `pg_dump -Fc DBNAME > FILE` and restore "
    "with `pg_restore --clean -d DBNAME FILE`."
)


class BackupError(Exception):
    """Why a backup or restore cannot be done; the message says what to do instead."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise BackupError(PG_HINT)
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory database has nothing to back up.")
    return Path(url.database)


def copy(source: Path, target: Path) -> int:
    """Online copy of one SQLite database into another; the pages copied."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        return dst.execute("PRAGMA page_count").fetchone()[0]


def backup(database_url: str, target: Path) -> int:
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"There is no database at {source} yet.")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name.")
    return copy(source, target)


def restore(database_url: str, source: Path) -> int:
    target = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"There is no backup at {source}.")
    try:
        with sqlite3.connect(source) as check:
            sound = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        sound = False
    if not sound:
        raise BackupError(f"{source} is not a sound SQLite database; nothing was changed.")
    return copy(source, target)
