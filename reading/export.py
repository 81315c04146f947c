"""Articles as plain records: one (``demarche show``) or all that match
(``demarche export``), in JSON Lines, CSV or Parquet.

A record's keys come in a fixed order (``FIELDS``, then any column added to
``articles`` since, in the model's order, then the enrichment: ``ENRICHMENT``,
nested lists and a cluster in JSON Lines, list and struct columns in
Parquet, summary columns in CSV; ``--tables`` writes one CSV file per table
instead, ``TABLES``); dates are ISO 8601 UTC text in JSON and CSV,
timestamps in Parquet. Exports stream: rows come from a
server-side cursor on PostgreSQL and in batches from SQLite (``yield_per``),
and Parquet is written one row group at a time, so memory stays flat
whatever the archive's size (``make bench-search`` measures it).
:func:`check_output` says where an export may not write.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Float, Integer, Select, func, select
from sqlalchemy.orm import Session

from reading.export_rows import ENRICHMENT, TABLES, nest, related, source_names
from reading.history import lived_at
from reading.search import SearchFilters, SearchQuery, filter_conditions, matching
from storage.lookup import find_article as article_at
from storage.models import Article, ArticleVersion, SourceRow, UTCDateTime
from storage.statements import statement_details

FORMATS = ("jsonl", "csv", "parquet")
# `country` is the source's; every other field is a column of `articles`.
FIELDS = (
    "id", "source", "country", "url", "canonical_url", "title", "published_at", "author",
    "language", "section", "site_name", "standfirst", "body", "content_hash", "first_seen_at",
    "last_seen_at", "changed_at", "removed_at", "removed_reason", "warc_file", "warc_offset",
    "extractor", "extractor_hash", "cluster_id", "cluster_similarity",
)
# A CSV cell holds no list: the enrichment as text and numbers, in full
# with --tables.
CSV_ENRICHMENT = ("source_name", "versions", "speakers", "countries", "quotes",
                  "translations", "cluster_id_first", "cluster_size", "cluster_delay_seconds")
# Rows per round trip and per Parquet row group: a few thousand statements
# of a few kB each keep a batch in the tens of MB.
BATCH = 4096


def _columns() -> list[Column[Any]]:
    table = Article.__table__
    named = [SourceRow.__table__.c.country if name == "country" else table.c[name]
             for name in FIELDS if name == "country" or name in table.c]
    return named + [c for c in table.columns if c.name not in FIELDS]


def field_names() -> list[str]:
    return [c.name for c in _columns()]


def _select() -> Select[Any]:
    return select(*_columns()).join(SourceRow, SourceRow.key == Article.source)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OutputError(ValueError):
    """Where an export would write is refused; the message says why."""


def check_output(out: Path, archive: Path | None, *, force: bool = False) -> None:
    """Refuse an export's file before anything is opened for writing:
    the archive itself (an export onto it would empty it before reading
    it, issue 14), a folder, a file in a missing folder, and an existing
    file unless ``force``."""
    if out.is_dir():
        raise OutputError(f"{out} is a folder: --out names the file to write")
    if not out.parent.is_dir():
        raise OutputError(f"folder {out.parent} does not exist: create it first")
    if archive is not None:
        # The archive and the files SQLite keeps beside it, by any name
        # (a symbolic or hard link included).
        for kept in (archive, *(archive.with_name(archive.name + s)
                                for s in ("-wal", "-shm", "-journal"))):
            if out.resolve() == kept.resolve() or (
                    out.exists() and kept.exists() and out.samefile(kept)):
                raise OutputError(f"{out} is the archive ({kept.name}): export to another file")
    if out.exists() and not force:
        raise OutputError(f"{out} exists: --force overwrites it")


def record_names() -> list[str]:
    return field_names() + list(ENRICHMENT)


def csv_names() -> list[str]:
    return field_names() + list(CSV_ENRICHMENT)


def _selected(filters: SearchFilters | None, query: SearchQuery | None,
              session: Session) -> Select[Any]:
    stmt = _select().where(*filter_conditions(filters or SearchFilters()))
    if query is not None:
        stmt = stmt.where(Article.id.in_(matching(session, query)))
    return stmt


def count(session: Session, filters: SearchFilters | None = None,
          query: SearchQuery | None = None) -> int:
    """How many articles ``records`` would give (for a progress bar's ETA)."""
    return session.scalar(select(func.count()).select_from(
        _selected(filters, query, session).subquery())) or 0


def _chunks(session: Session, filters: SearchFilters | None, query: SearchQuery | None,
            batch: int) -> Iterator[list[dict[str, Any]]]:
    names = field_names()
    stmt = _selected(filters, query, session).order_by(Article.id)
    for chunk in session.execute(stmt.execution_options(yield_per=batch)).partitions(batch):
        yield [dict(zip(names, row, strict=True)) for row in chunk]


def records(session: Session, filters: SearchFilters | None = None,
            query: SearchQuery | None = None, batch: int = BATCH, *,
            enriched: bool = False) -> Iterator[dict[str, Any]]:
    """Every article the filters and query select, by id, as a record
    (datetimes as aware datetimes); ``enriched``: with the ``ENRICHMENT``
    keys, read for a batch of articles at a time."""
    names = source_names(session) if enriched else {}
    for chunk in _chunks(session, filters, query, batch):
        if enriched:
            nest(chunk, related(session, chunk, names), names)
        yield from chunk


def table_rows(session: Session, filters: SearchFilters | None = None,
               query: SearchQuery | None = None,
               batch: int = BATCH) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) for ``--tables``: each selected article (``articles``)
    followed, batch by batch, by its rows in ``TABLES``; a cluster's
    members once, however many of them the selection holds."""
    names = source_names(session)
    clusters_done: set[int] = set()
    for chunk in _chunks(session, filters, query, batch):
        rows = related(session, chunk, names)
        for record in chunk:
            yield "articles", {**record, "source_name": names.get(record["source"])}
        for table in TABLES:
            for row in rows[table]:
                if table != "cluster_members" or row["cluster_id"] not in clusters_done:
                    yield table, row
        clusters_done.update(r["cluster_id"] for r in rows["cluster_members"])


def find_article(session: Session, key: str) -> int | None:
    """The id of the article an id or a URL names; a URL in any spelling of
    any address the article lived at (``storage.lookup.find_article``:
    redirects, canonical URLs, ``www.``, tracking parameters)."""
    key = key.strip()
    if key.isdigit():
        return session.scalar(select(Article.id).where(Article.id == int(key)))
    article = article_at(session, key)
    return None if article is None else article.id


def article_details(session: Session, article_id: int) -> dict[str, Any]:
    """One article's record with its source's name, then every URL it
    lived at and how many earlier texts of it the archive keeps."""
    row = session.execute(_select().where(Article.id == article_id)).one()
    record: dict[str, Any] = {}
    for name, value in zip(field_names(), row, strict=True):
        record[name] = value
        if name == "source":
            record["source_name"] = session.scalar(
                select(SourceRow.name).where(SourceRow.key == value))
    article = session.get(Article, article_id)
    assert article is not None
    record["urls"] = [{"url": u.url, "key": u.key, "kind": u.kind, "first_seen_at": u.first_seen_at}
                      for u in lived_at(session, article)]
    record["versions"] = session.scalar(
        select(func.count()).select_from(ArticleVersion)
        .where(ArticleVersion.article_id == article_id))
    # Who said what: type, speakers, quotes, countries, translations, turns.
    record.update(statement_details(session, article_id))
    return record


def plain(value: Any) -> Any:
    """A record's value as JSON has it."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for count, record in enumerate(rows, start=1):  # noqa: B007 - the count is the point
        out.write(json.dumps(plain(record), ensure_ascii=False))
        out.write("\n")
    return count


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """An enriched record as one CSV row: names and codes joined with "; "
    (most named country first), quotes counted, the cluster as its first
    article, its size and this article's delay after the first."""
    row = {name: record[name] for name in field_names()}
    cluster = record["cluster"] or {}
    mine = next((m for m in cluster.get("members", ()) if m["article_id"] == record["id"]), {})
    row.update(
        source_name=record["source_name"], versions=record["versions"],
        speakers="; ".join(s["name"] for s in record["speakers"]),
        countries="; ".join(c["code"] for c in record["countries"]),
        quotes=len(record["quotes"]),
        translations="; ".join(str(t["id"]) for t in record["translations"]),
        cluster_id_first=cluster.get("first_article_id"), cluster_size=cluster.get("size"),
        cluster_delay_seconds=mine.get("delay_seconds"))
    return row


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Plain records (``records()``) with the article columns, enriched
    ones with ``CSV_ENRICHMENT`` too (see ``flat``)."""
    writer: csv.DictWriter[str] | None = None
    count = 0
    for count, record in enumerate(rows, start=1):  # noqa: B007
        enriched = "speakers" in record
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=csv_names() if enriched else field_names())
            writer.writeheader()
        writer.writerow(plain(flat(record) if enriched else record))
    if writer is None:  # nothing selected: the header alone
        csv.DictWriter(out, fieldnames=csv_names()).writeheader()
    return count


def check_tables(folder: Path, archive: Path | None, *, force: bool = False) -> None:
    """Refuse a ``--tables`` folder as ``check_output`` refuses a file:
    the folder is made if missing (its parent must exist), and none of the
    files it would hold may be the archive or, without ``force``, exist."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file: with --tables, --out names a folder")
    if not folder.parent.is_dir():
        raise OutputError(f"folder {folder.parent} does not exist: create it first")
    if folder.is_dir():
        for table in ("articles", *TABLES):
            check_output(folder / f"{table}.csv", archive, force=force)


def write_tables(rows: Iterable[tuple[str, dict[str, Any]]], folder: Path) -> int:
    """``table_rows()`` into ``folder/<table>.csv``, one file per table
    (each with its header, rows or not); returns the articles written."""
    folder.mkdir(exist_ok=True)
    columns = {"articles": [*field_names(), "source_name"],
               **{table: list(names) for table, names in TABLES.items()}}
    with ExitStack() as files:
        writers = {table: csv.DictWriter(
            files.enter_context(open(folder / f"{table}.csv", "w", encoding="utf-8",
                                     newline="")), fieldnames=names, extrasaction="ignore")
            for table, names in columns.items()}
        for writer in writers.values():
            writer.writeheader()
        count = 0
        for table, row in rows:
            writers[table].writerow(plain(row))
            count += table == "articles"
    return count


def parquet_schema(enriched: bool = False):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    def arrow_type(col: Column[Any]):  # type: ignore[no-untyped-def]
        if isinstance(col.type, UTCDateTime):
            return pa.timestamp("ms", tz="UTC")  # Parquet has no unit of seconds
        if isinstance(col.type, Integer):  # BigInteger included
            return pa.int64()
        if isinstance(col.type, Float):
            return pa.float64()
        return pa.string()

    fields = [pa.field(c.name, arrow_type(c)) for c in _columns()]
    if enriched:
        text, number, moment = pa.string(), pa.int64(), pa.timestamp("ms", tz="UTC")

        def rows(*columns: tuple[str, Any]):  # type: ignore[no-untyped-def]
            return pa.list_(pa.struct(list(columns)))

        member = [("article_id", number), ("source", text), ("source_name", text),
                  ("url", text), ("published_at", moment), ("first_seen_at", moment),
                  ("similarity", pa.float64()), ("first", pa.bool_()),
                  ("delay_seconds", number)]
        fields += [
            pa.field("source_name", text), pa.field("versions", number),
            pa.field("speakers", rows(("name", text), ("role", text), ("country", text))),
            pa.field("quotes", rows(("speaker", text), ("text", text), ("offset", number))),
            pa.field("countries", rows(("code", text), ("name", text), ("count", number))),
            pa.field("translations", rows(("id", number), ("language", text), ("url", text))),
            pa.field("cluster", pa.struct([("id", number), ("size", number),
                                           ("first_article_id", number),
                                           ("members", rows(*member))])),
        ]
    return pa.schema(fields)


def write_parquet(rows: Iterable[dict[str, Any]], path: str, row_group: int = BATCH, *,
                  enriched: bool = False) -> int:
    """Records into Parquet; ``enriched`` ones with the enrichment as list
    and struct columns (``parquet_schema``)."""
    # Imported here: pyarrow is large and only exports need it.
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(enriched)
    count = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for record in rows:
            batch.append(record)
            if len(batch) == row_group:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
