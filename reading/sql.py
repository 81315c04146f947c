"""Read-only SQL over the archive, for ``demarche sql``.

The connection itself is read-only (SQLite ``mode=ro`` plus ``PRAGMA
query_only``; a PostgreSQL ``READ ONLY`` transaction), so a write is refused
by the database, whatever the statement looks like, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import make_engine

_WRITE_REFUSALS = ("readonly database", "read-only transaction", "query_only")


class QueryError(ValueError):
    """The query failed; the message is meant for the user."""


class ReadOnlyError(QueryError):
    """The query tried to change the archive."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: Sequence[tuple]


def _query_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.execute("PRAGMA query_only = ON")


def run_readonly(url: str, sql: str) -> QueryResult:
    engine = make_engine(url, read_only=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _query_only)
    try:
        with engine.connect() as conn:
            # The user's SQL goes to the driver as written, with no parameters:
            # neither SQLAlchemy (":30") nor psycopg ("%S") parses it.
            cursor = conn.connection.cursor()
            try:
                cursor.execute(sql)
            except engine.dialect.loaded_dbapi.Error as exc:
                raise _explain(exc) from None
            if cursor.description is None:
                conn.rollback()
                raise ReadOnlyError("demarche sql only reads: the statement returned no rows")
            columns = [d[0] for d in cursor.description]
            rows = [tuple(r) for r in cursor.fetchall()]
            conn.rollback()
            return QueryResult(columns, rows)
    except SQLAlchemyError as exc:
        raise QueryError(f"query failed: {getattr(exc, 'orig', exc)}") from None
    finally:
        engine.dispose()


def _explain(exc: Exception) -> QueryError:
    message = str(exc).strip()
    if any(word in message.lower() for word in _WRITE_REFUSALS):
        return ReadOnlyError(f"demarche sql is read-only; the archive refused the statement ({message})")
    return QueryError(f"query failed: {message}")
