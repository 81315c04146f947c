"""Multi-row statements with one parameter per column: on PostgreSQL the
write path sends a batch's rows as arrays, one per column, which the server
unnests (``INSERT ... SELECT * FROM unnest(...)``, ``JOIN unnest(...)``).

Why not an ``executemany`` or a multi-row ``VALUES``: psycopg runs an
``executemany`` as one INSERT per row, and parses afresh every query longer
than 4,096 characters or with more than 50 parameters, which a 50-row
``VALUES`` of 16 columns is. With arrays the query text is fixed and short
(parsed once, cached by SQLAlchemy and psycopg), and a batch of any size is
one statement and one round trip. Measured with ``make bench-write`` (800
statements, batches of 50): see docs/scale.md.

SQLite keeps ``executemany``: it runs in the writer's process, where a
statement a row costs no round trip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.types import TypeEngine


def as_parameters(dialect: str, rows: Sequence[Mapping[str, Any]], names: Sequence[str]
                  ) -> dict[str, list[Any]] | Sequence[Mapping[str, Any]]:
    """The rows as a statement of ``insert_from_arrays`` takes them on
    PostgreSQL (one list a column); as they are for SQLite's executemany."""
    if dialect != "postgresql":
        return rows
    return {name: [row[name] for row in rows] for name in names}


def one_of(dialect: str, column: ColumnElement[Any], values: Sequence[Any]
           ) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(array)``: one
    parameter, the same query text whatever the number of values."""
    if dialect != "postgresql":
        return column.in_(values)
    return column == any_(literal(list(values), ARRAY(_unbounded(column.type))))


def insert_from_arrays(table: Table, names: Sequence[str]):  # type: ignore[no-untyped-def]
    """A PostgreSQL ``INSERT INTO table (names) SELECT FROM unnest(...)``
    taking one array parameter per column (named as the column), rows
    inserted in the arrays' order. ON CONFLICT and RETURNING may be added."""
    columns = [func.unnest(bindparam(name, type_=ARRAY(_unbounded(table.c[name].type))))
               .label(name) for name in names]
    # Set-returning functions in one select list advance in lockstep: row
    # n takes the n-th element of every array (PostgreSQL 10 and later).
    return pg_insert(table).from_select(list(names), select(*columns))


def _unbounded(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    # An explicit cast to VARCHAR(n) would cut a longer text without a
    # word; the insert's own assignment to the column refuses it, as a
    # plain INSERT does.
    if isinstance(type_, String) and type_.length is not None:
        return String()
    return type_
