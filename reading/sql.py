"""Read-only SQL over the archive, for ``demarche sql``.

One statement runs, on a connection that cannot write, through a path on
which no statement can end or change the transaction (issue 14):

- PostgreSQL: a ``READ ONLY`` transaction, and the query inside a
  server-side cursor (``DECLARE ... CURSOR FOR``, sent by psycopg through
  the extended protocol). The extended protocol takes one statement, and
  ``DECLARE`` takes only ``SELECT`` or ``VALUES``, with no data-modifying
  ``WITH``: ``SELECT 1; COMMIT; CREATE TABLE ...`` is refused whole.
- SQLite: the file opened ``mode=ro`` with ``PRAGMA query_only``, one
  statement per call (sqlite3 refuses more), and an authorizer that denies
  everything a read does not need: ``ATTACH`` (which creates files, even
  ``mode=ro``), ``VACUUM INTO``, transactions, temporary tables, pragmas
  that set a value, ``load_extension()``.

Transaction control (``COMMIT``, ``BEGIN``, ``SET ...``) and writes are also
refused by their first word, so that the message says why. A timeout stops
a query whose next rows take longer than it (PostgreSQL's
``statement_timeout`` on each fetch, a progress handler on SQLite), and
rows stream: :func:`readonly_query` hands them over in batches, never all
at once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# Seconds the database may work on the next rows before the query is
# stopped; `demarche sql --timeout` changes it, 0 lifts it.
DEFAULT_TIMEOUT = 60
# Rows per round trip: small enough that memory stays flat, large enough
# that a million rows take a few hundred fetches.
BATCH = 2000
_WRITE_REFUSALS = ("readonly database", "read-only transaction", "query_only",
                   "data-modifying", "not authorized")
# First words of statements that end, start or change a transaction or the
# session; refused whatever follows.
_TRANSACTION = {"begin", "commit", "end", "rollback", "abort", "start", "savepoint", "release",
                "set", "reset", "discard", "prepare", "deallocate", "lock", "listen", "notify",
                "unlisten"}
# First words of statements that change the archive or the files around it.
_WRITES = {"insert", "update", "delete", "replace", "upsert", "merge", "create", "drop", "alter",
           "truncate", "grant", "revoke", "vacuum", "attach", "detach", "reindex", "analyze",
           "analyse", "copy", "call", "do", "cluster", "refresh", "comment", "security",
           "import", "load", "checkpoint", "reassign"}
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_]+")
# Pragmas that read, given the name of a table or index (or a row limit).
_NAMING_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
                   "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
                   "table_list"}
# sqlite3's authorizer action codes, as names for the message. Named one
# by one: the module's other SQLITE_* constants (limits, error codes) share
# their numbers ("LIMIT VARIABLE NUMBER" for a DELETE).
_ACTIONS = {getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ") for name in (
    "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE",
    "CREATE_TEMP_TRIGGER", "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "DELETE",
    "DROP_INDEX", "DROP_TABLE", "DROP_TEMP_INDEX", "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER",
    "DROP_TEMP_VIEW", "DROP_TRIGGER", "DROP_VIEW", "INSERT", "PRAGMA", "READ", "SELECT",
    "TRANSACTION", "UPDATE", "ATTACH", "DETACH", "ALTER_TABLE", "REINDEX", "ANALYZE",
    "CREATE_VTABLE", "DROP_VTABLE", "FUNCTION", "SAVEPOINT", "RECURSIVE")
    if hasattr(sqlite3, f"SQLITE_{name}")}


class QueryError(ValueError):
    """The query failed; the message is meant for the user."""


class ReadOnlyError(QueryError):
    """The query tried to change the archive."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: Iterable[tuple]


def first_word(sql: str) -> str:
    """The statement's first keyword, lower case, after comments."""
    match = _WORD.match(sql, _LEADING.match(sql).end())  # type: ignore[union-attr]
    return match.group(0).lower() if match else ""


def refuse_by_first_word(sql: str) -> None:
    if not sql[_LEADING.match(sql).end():].strip(" \t\r\n;"):  # type: ignore[union-attr]
        raise QueryError("the query is empty: give one SELECT, WITH or VALUES statement")
    word = first_word(sql)
    if word in _TRANSACTION:
        raise ReadOnlyError(
            f"demarche sql is read-only: {word.upper()} would end or change its read-only "
            "transaction; it runs one SELECT, WITH or VALUES statement")
    if word in _WRITES:
        raise ReadOnlyError(f"demarche sql is read-only: {word.upper()} changes the archive or "
                            "makes files; it runs one SELECT, WITH or VALUES statement")


@contextmanager
def readonly_query(url: str, sql: str, *, timeout: float = DEFAULT_TIMEOUT,
                   limit: int | None = None) -> Iterator[QueryResult]:
    """The query's columns and its rows as they come (at most ``limit``);
    the rows are read inside the ``with`` block."""
    # (SQLAlchemy and the engine load here, not when the CLI builds its
    # parser: every command's start would pay for them.)
    from sqlalchemy.exc import DatabaseError, SQLAlchemyError

    from storage.engine import damage_of, make_engine

    refuse_by_first_word(sql)
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            if engine.dialect.name == "sqlite":
                columns, fetch = _sqlite(driver, sql, timeout, url)
            else:
                columns, fetch = _postgresql(driver, sql, timeout, url)
            yield QueryResult(columns, _rows(fetch, url, limit))
            conn.rollback()
    except DatabaseError as exc:
        raise damage_of(url, exc) or QueryError(f"query failed: {exc.orig}") from None
    except SQLAlchemyError as exc:
        raise QueryError(f"query failed: {getattr(exc, 'orig', exc)}") from None
    finally:
        engine.dispose()


def run_readonly(url: str, sql: str, *, timeout: float = DEFAULT_TIMEOUT,
                 limit: int | None = None) -> QueryResult:
    """The whole result in memory: for small queries (the demo, tests)."""
    with readonly_query(url, sql, timeout=timeout, limit=limit) as result:
        return QueryResult(result.columns, list(result.rows))


def _rows(fetch: Callable[[int], list[Any]], url: str, limit: int | None) -> Iterator[tuple]:
    left = limit
    while left is None or left > 0:
        try:
            batch = fetch(BATCH if left is None else min(BATCH, left))
        except (sqlite3.Error, QueryError) as exc:
            raise _explain(exc, url) from None
        except Exception as exc:  # psycopg's errors, without importing psycopg here
            if type(exc).__module__.startswith("psycopg"):
                raise _explain(exc, url) from None
            raise
        if not batch:
            return
        if left is not None:
            left -= len(batch)
        yield from (tuple(row) for row in batch)


def _sqlite(db: sqlite3.Connection, sql: str, timeout: float, url: str):  # type: ignore[no-untyped-def]
    db.execute("PRAGMA query_only = ON")
    denied: list[str] = []
    db.set_authorizer(lambda *args: _authorize(denied, *args))
    deadline = [0.0]

    def stop() -> int:
        return 1 if timeout and time.monotonic() > deadline[0] else 0

    # Called every 10,000 virtual-machine steps: a fraction of a millisecond.
    db.set_progress_handler(stop, 10_000)

    def run(step: Callable[[], Any]) -> Any:
        deadline[0] = time.monotonic() + timeout
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if str(exc) == "interrupted":
                raise QueryError(f"query stopped: it ran over --timeout {timeout:g} s") from None
            raise
        except sqlite3.DatabaseError as exc:
            if denied:
                raise ReadOnlyError(f"demarche sql is read-only: it refuses {denied[0]} "
                                    f"({exc})") from None
            raise

    try:
        cursor = run(lambda: db.execute(sql))
    except (sqlite3.Error, QueryError) as exc:
        raise _explain(exc, url) from None
    if cursor.description is None:
        raise ReadOnlyError("demarche sql only reads: the statement returned no rows")
    return [d[0] for d in cursor.description], lambda n: run(lambda: cursor.fetchmany(n))


def _authorize(denied: list[str], action: int, arg1: str | None, arg2: str | None,
               _database: str | None, _trigger: str | None) -> int:
    """sqlite3 authorizer: what a read needs, and nothing else."""
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION and arg2 != "load_extension":
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg2 is None or arg1 in _NAMING_PRAGMAS):
        return sqlite3.SQLITE_OK  # reading a pragma, not setting it
    if action == sqlite3.SQLITE_UPDATE and arg1 in ("sqlite_master", "sqlite_temp_master"):
        # SQLite asks this of itself when a virtual table (FTS5, pragma_*)
        # is first used; the file is read-only and writable_schema is denied.
        return sqlite3.SQLITE_OK
    what = _ACTIONS.get(action, str(action))
    denied.append(f"{what} {arg1 or arg2 or ''}".strip())
    return sqlite3.SQLITE_DENY


def _postgresql(conn: Any, sql: str, timeout: float, url: str):  # type: ignore[no-untyped-def]
    try:
        with conn.cursor() as setup:
            # Local to this READ ONLY transaction; each FETCH below is a
            # statement of its own, so the limit is per batch of rows.
            setup.execute("SELECT set_config('statement_timeout', %s, true)",
                          (f"{int(timeout * 1000)}",))
        cursor = conn.cursor(name="demarche_sql")
        cursor.execute(sql)
    except Exception as exc:  # psycopg.Error
        raise _explain(exc, url) from None
    if not cursor.description:
        raise ReadOnlyError("demarche sql only reads: the statement returned no rows")
    return [d.name for d in cursor.description], cursor.fetchmany


def _explain(exc: Exception, url: str) -> Exception:
    if isinstance(exc, QueryError):
        return exc
    message = str(exc).strip()
    lowered = message.lower()
    if "multiple commands" in lowered or "one statement at a time" in lowered:
        return QueryError("demarche sql runs exactly one statement; this text holds several")
    if "canceling statement due to statement timeout" in lowered:
        return QueryError("query stopped: it ran over --timeout")
    if any(word in lowered for word in _WRITE_REFUSALS):
        return ReadOnlyError(f"demarche sql is read-only; the archive refused the statement "
                             f"({message})")
    from storage.engine import damage_of

    if url and (damage := damage_of(url, exc)) is not None:
        return damage
    return QueryError(f"query failed: {message}")
