"""Read-only SQL over the archive, for ``demarche sql``.

The connection itself is read-only (SQLite ``mode=ro`` plus ``PRAGMA
query_only``; a PostgreSQL ``READ ONLY`` transaction), so a write is refused
by the database, whatever the statement looks like, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

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
            # Passed to the driver as written: no bind-parameter parsing of
            # the user's text (":30" in a time literal is not a parameter).
            result = conn.exec_driver_sql(sql)
            if not result.returns_rows:
                raise ReadOnlyError("demarche sql only reads: the statement returned no rows")
            columns = list(result.keys())
            rows = [tuple(r) for r in result]
            conn.rollback()
            return QueryResult(columns, rows)
    except DBAPIError as exc:
        message = str(exc.orig).strip()
        if any(word in message.lower() for word in _WRITE_REFUSALS):
            raise ReadOnlyError(
                f"demarche sql is read-only; the archive refused the statement ({message})"
            ) from None
        raise QueryError(f"query failed: {message}") from None
    except SQLAlchemyError as exc:
        raise QueryError(f"query failed: {exc}") from None
    finally:
        engine.dispose()
