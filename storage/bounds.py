"""Values fitted to the archive's columns on their way in: the one place
where the write path makes text storable, the same on every backend.

PostgreSQL refuses what SQLite stores without a word: a value longer than
its ``varchar(n)`` column (``StringDataRightTruncation`` stopped a whole
WARC import on a news page's section), and a NUL byte in any text; and
psycopg cannot encode a lone surrogate (what a ``surrogateescape`` decode of
a broken page leaves). So every string the write functions of storage/
insert goes through ``fit_row``: NUL bytes are removed, surrogate pairs
joined and lone surrogates replaced by U+FFFD, and a value longer than its
``String(n)`` column is cut to n characters. Every change is noted as a
WARNING log line naming the table, the column, the row and what was done
(a Scrapy crawl also counts it in ``log_count/WARNING``). ``Text`` columns
(titles, bodies, quotes) are cleaned, never cut.

A cut identity (an article's URL, a URL key, a fetched URL) ends with a
digest of the whole value, so that two long URLs sharing their first 2,048
characters stay two rows; ``fit_key`` gives a lookup the same spelling
without a note.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, String, Table

logger = logging.getLogger(__name__)

# Columns that say which row a value is: a plain cut could make two one.
IDENTITIES = frozenset({"articles.url", "article_urls.url", "fetch_state.url"})
_DIGEST = 16  # hex digits of sha256 ending a cut identity, after "…"
_LABEL = 120  # characters of a row's name in a note


def clean_text(text: str) -> str:
    """``text`` without NUL bytes and lone surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # Through UTF-16: a pair of surrogates becomes its character,
            # a lone one U+FFFD.
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def width(column: Column[Any]) -> int | None:
    """The column's length in characters; None for Text and non-strings."""
    return column.type.length if isinstance(column.type, String) else None


def _fitted(column: Column[Any], value: str) -> tuple[str, list[str]]:
    """The value as the column can hold it, and what was done to it."""
    done = []
    if "\x00" in value:
        done.append(f"{value.count(chr(0))} NUL byte(s) removed")
    clean = clean_text(value)
    if "\ufffd" in clean and clean.count("\ufffd") > value.count("\ufffd"):
        done.append("lone surrogate(s) replaced by U+FFFD")
    size = width(column)
    if size is not None and len(clean) > size:
        done.append(f"cut from {len(clean)} to {size} characters")
        if f"{column.table.name}.{column.name}" in IDENTITIES:
            digest = hashlib.sha256(clean.encode()).hexdigest()[:_DIGEST]
            clean = f"{clean[:size - _DIGEST - 1]}…{digest}"
        else:
            clean = clean[:size]
    return clean, done


def fit_key(column: Column[Any], value: str) -> str:
    """The spelling ``fit_row`` stores ``value`` under, for a lookup."""
    return _fitted(column, value)[0]


def fit_row(table: Any, values: Mapping[str, Any], row: str | None = None) -> dict[str, Any]:
    """``values`` (column name -> value) for an insert into ``table`` (a
    model or a Table), each string cleaned and cut to its column, each
    change logged naming ``row`` (what the row is: a URL, a key)."""
    columns = (table if isinstance(table, Table) else table.__table__).c
    fitted = dict(values)
    for name, value in values.items():
        if not isinstance(value, str) or name not in columns:
            continue
        column = columns[name]
        size = width(column)
        if value.isascii() and "\x00" not in value and (size is None or len(value) <= size):
            continue  # the common case, decided without copying
        fitted[name], done = _fitted(column, value)
        if done:
            label = row if row is None or len(row) <= _LABEL else row[:_LABEL] + "…"
            logger.warning("%s.%s of %s: %s", column.table.name, name, label, "; ".join(done))
    return fitted
