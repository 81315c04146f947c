"""The INSERT ... ON CONFLICT construct of the archive's backend (SQLite or
PostgreSQL): every upsert of the write path is built from it."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session):  # type: ignore[no-untyped-def]
    """The INSERT construct with ON CONFLICT support for the session's backend."""
    return insert_for(session.get_bind().dialect.name)


def insert_for(dialect: str):  # type: ignore[no-untyped-def]
    """The INSERT construct with ON CONFLICT support for a backend's name.

    The write path inserts into tables (``Model.__table__``), not mapped
    classes: an INSERT of a class goes through the ORM's bulk machinery,
    which cost more than SQLite's work on every row it was measured on."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the archive supports SQLite and PostgreSQL, not {dialect}")
