"""Bringing an archive to the current schema, with Alembic.

Every archive is created and upgraded through the migrations in
``storage/migrations/versions`` (never ``create_all``), so that an archive
made by any earlier demarche can be brought forward in place. Several
crawler processes may open one archive at once: the upgrade holds a lock
(an advisory lock on PostgreSQL, a lock file beside a SQLite archive), and
an archive already at the head revision is not locked at all.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant: the key of the PostgreSQL advisory lock held while upgrading.
_PG_LOCK_KEY = 0x64656D61


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _legacy_revision(connection: Connection) -> str | None:
    """The revision an archive made before migrations existed is at."""
    found = inspect(connection)
    if not found.has_table("articles"):
        return None  # empty: built from the first migration up
    runs = {c["name"] for c in found.get_columns("crawl_runs")}
    return "0002" if found.has_table("fetch_state") and "trigger" in runs else "0001"


@contextmanager
def _lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database or ""
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        with open(f"{database}.migrate-lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        Path(f"{database}.migrate-lock").unlink(missing_ok=True)
    else:
        yield


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade the archive to the head revision: (revision before, after)."""
    with engine.connect() as connection:
        before = current_revision(connection)
    if before == head_revision():
        return before, before
    with _lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends; a second process waits here,
            # then finds the archive upgraded.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        before = current_revision(connection)
        if before is None:
            legacy = _legacy_revision(connection)
            if legacy is not None:
                command.stamp(alembic_config(connection), legacy)
        command.upgrade(alembic_config(connection), "head")
        return before, current_revision(connection) or head_revision()
