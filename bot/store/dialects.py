"""The database's own INSERT, which supports ON CONFLICT on SQLite and PostgreSQL alike."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


@cache  # an Insert is generative: one per table serves every statement built on it
def insert(dialect: str, table: Table) -> Any:
    """INSERT into `table` for the dialect named `dialect` ("sqlite" or "postgresql")."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)
