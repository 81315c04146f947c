"""Alembic's environment for the archive.

Run from demarche (``storage/migrate.py`` hands over an open connection in
``config.attributes["connection"]``) or from the ``alembic`` command line
(the archive is then DEMARCHE_ARCHIVE_URL, else archive.db in the project).
SQLite cannot alter most of a table in place: batch mode rebuilds it.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.types import TypeDecorator

from storage.engine import default_archive_url, make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(kind: str, obj: object, autogen_context) -> str | bool:  # type: ignore[no-untyped-def]
    # Our column types are written into migrations as the plain SQLAlchemy
    # types they store as, so that old migrations never import today's models.
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


# Search and research objects that migration 0004 makes with SQL of its own:
# not ORM models, so `alembic check` must not ask to drop them. (An FTS5
# table shows up as itself plus its shadow tables; views are not compared.)
SEARCH_TABLES = frozenset({
    "article_search", "article_search_data", "article_search_idx",
    "article_search_docsize", "article_search_config", "article_search_content",
})


def include_name(name: str | None, type_: str, parent_names) -> bool:  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name in SEARCH_TABLES)


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("demarche's migrations run against a database, not offline")

connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(os.environ.get("DEMARCHE_ARCHIVE_URL") or default_archive_url())
    with engine.connect() as conn:
        run(conn)
