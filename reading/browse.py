"""The archive in a browser: Datasette over the SQLite file, read-only.

:func:`browse_metadata` is Datasette's metadata as plain data: titles,
descriptions and column help for the tables people read, facets, full-text
search on the FTS5 index of migration 0004, and canned queries for the
research views. :func:`serve` starts Datasette on it in this process, with
the reading room (``reading/room``: statement, speaker, source, country
and search pages) as a plugin in front of Datasette's tables.

Facets: Datasette facets on columns of a table or view, not on
expressions or joins, so the view ``statements`` (migration 0005) carries
each article's ``country`` (from ``sources``) and ``year``. Full-text search
on ``articles`` and ``statements`` names the index explicitly (``fts_table``,
``fts_pk``): Datasette finds an FTS table by its ``content=`` table, and
ours is the view of the text as indexed, not ``articles``.

The canned query for a keyword trend takes a query in the language of
``demarche search`` (phrases, AND / OR / NOT, prefixes, Chinese words),
translated by the SQL function ``demarche_match()`` that :func:`serve`
registers on Datasette's connections. Datasette's own search box on a table
passes the words to FTS5 as they are (each word quoted), which misses
Chinese words (the index holds one token per character) and ё spelled as ё.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import weakref
from pathlib import Path
from typing import Any

from datasette import hookimpl
from sqlalchemy.engine import make_url

from reading.query_language import SearchSyntaxError, parse_query
from storage.engine import ArchiveError, describe, has_wal

# The reading room's templates (reading/templates/room), Datasette's template_dir.
TEMPLATES = Path(__file__).parent / "templates"
# How many statements of each source "newest statements" shows.
NEWEST = 5
# Datasette's bounds on one request (https://docs.datasette.io/en/0.64.6/
# settings.html), written out so that they are ours: rows per query and
# page, SQL time, CSV size, how much of a cell an HTML page shows.
SETTINGS = {"max_returned_rows": 1000, "default_page_size": 100, "sql_time_limit_ms": 1000,
            "facet_time_limit_ms": 200, "max_csv_mb": 100, "truncate_cells_html": 2048}
# The largest text or blob one value may be: far above any statement's
# text (the demo's longest body is 2,183 characters; a long briefing is a
# few hundred kB), far below the gigabyte randomblob(1e9) asks for.
VALUE_BYTES = 16 << 20
# Text and blobs of one query's rows; Datasette renders them as JSON or
# HTML, a few times their size.
RESPONSE_BYTES = 32 << 20
# SQLite's own memory in the browse process, every connection together.
HEAP_BYTES = 256 << 20

ARTICLE_COLUMNS = {
    "id": "The article's number in this archive (`demarche show ID`)",
    "source": "Registry key of the source it was crawled from (table sources)",
    "url": "The URL it was fetched at, normalised (tracking parameters and fragment dropped)",
    "canonical_url": "The page's own <link rel=canonical>, when it names another URL",
    "title": "Headline as published",
    "published_at": "Publication time, UTC (ISO 8601); empty when the page gives none",
    "author": "Byline, when the page names one",
    "language": "ISO 639-1 code of the text, from the page or detected",
    "section": "The site's section or category",
    "site_name": "The publishing site's name",
    "standfirst": "The summary printed between headline and body, which the body leaves out",
    "body": "The clean text: paragraphs separated by blank lines",
    "content_hash": "sha256 of title and body: a change of text changes it",
    "first_seen_at": "When a crawl first archived it, UTC",
    "last_seen_at": "When a crawl last found it, UTC",
    "changed_at": "When a crawl last found its text changed (earlier texts: article_versions)",
    "removed_at": "When a crawl first found it gone from the site (404, 410, a redirect away)",
    "removed_reason": "Why it counts as removed: 'http 404', 'http 410', 'redirect'",
    "warc_file": "WARC file holding the response the text was extracted from",
    "warc_offset": "Byte offset of that record in the WARC file",
    "extractor": "Extractor name and version that made the text",
    "extractor_hash": "Hash of the extractor's code and settings",
    "cluster_id": "Syndication cluster: near-identical texts across sources (table clusters)",
    "cluster_similarity": "Estimated Jaccard similarity to the cluster's first article",
}

STATEMENT_COLUMNS = {
    **{name: ARTICLE_COLUMNS[name] for name in (
        "id", "published_at", "source", "language", "title", "standfirst", "url", "section",
        "author", "first_seen_at", "removed_at", "removed_reason", "cluster_id")},
    "year": "Year of publication (UTC)",
    "country": "ISO 3166 alpha-2 code of the source's country",
}

FTS = {"fts_table": "article_search", "fts_pk": "id"}

TABLES: dict[str, dict[str, Any]] = {
    "statements": {
        "title": "Statements",
        "description": "Every archived statement with its source's country and its year, "
                       "for faceting and search; the text is in articles.",
        "columns": STATEMENT_COLUMNS,
        "facets": ["source", "language", "country", "year"],
        "sort_desc": "published_at",
        **FTS,
    },
    "articles": {
        "title": "Articles",
        "description": "One row per archived article (statement), with its clean text.",
        "columns": ARTICLE_COLUMNS,
        "facets": ["source", "language"],
        "sort_desc": "published_at",
        "label_column": "title",
        **FTS,
    },
    "sources": {
        "title": "Sources",
        "description": "The registry rows (crawler/sources.toml) as last crawled.",
        "columns": {
            "key": "Registry key", "name": "Source name", "site_name": "Publishing site",
            "kind": "ministry, agency, ...", "country": "ISO 3166 alpha-2 code",
            "language": "ISO 639-1 code of its texts", "spider": "feed, sitemap or listing",
            "domains": "Domains it may be crawled on (JSON)",
            "entry_points": "URLs its crawls start from (JSON)",
            "updated_at": "When a crawl last wrote this row, UTC",
        },
    },
    "article_versions": {
        "title": "Earlier texts",
        "description": "The text an article had before a re-crawl found it changed.",
    },
    "article_urls": {
        "title": "Article URLs",
        "description": "Every URL an article lived at (fetched, redirected from, canonical), "
                       "as its key: no www., no trailing slash. articles.url is the URL as "
                       "fetched.",
    },
    "clusters": {
        "title": "Syndication clusters",
        "description": "Near-identical texts across sources: a statement and its relays.",
    },
    "crawl_runs": {
        "title": "Crawl runs",
        "description": "The run ledger: one row per crawl of a source (`demarche status`).",
    },
    "statements_per_day": {"description": "Dated statements of each source per day (UTC)."},
    "statements_per_week": {"description": "Dated statements of each source per week "
                                           "(the Monday it starts)."},
    "statements_per_month": {"description": "Dated statements of each source per month."},
    "article_periods": {"description": "Every dated article with its day, week and month."},
}

# Internals nobody browses: the FTS5 shadow tables, signatures, caches.
HIDDEN = ("article_search_data", "article_search_idx", "article_search_docsize",
          "article_search_config", "article_search_content", "article_search_text",
          "article_minhashes", "minhash_bands", "boilerplate_lines", "fetch_state",
          "alembic_version")

_QUERY_HELP = ("as for `demarche search`: words, \"phrases\", prefix*, AND, OR, NOT, "
               "parentheses; a malformed query fails with \"user-defined function raised "
               "exception\" (`demarche search` says why)")


def canned_queries(tables: set[str]) -> dict[str, dict[str, Any]]:
    """Queries over the research views; one that needs a table this archive
    lacks is left out."""
    queries: dict[str, dict[str, Any]] = {}
    for period in ("day", "week", "month"):
        queries[f"statements_per_source_per_{period}"] = {
            "title": f"Statements per source per {period}",
            "description": f"How many dated statements each source published each {period} "
                           "(UTC), latest first.",
            "sql": f"SELECT source, {period}, statements FROM statements_per_{period}\n"
                   f"ORDER BY {period} DESC, source",
        }
    queries["keyword_trend_by_week"] = {
        "title": "Keyword trend by week",
        "description": "Statements matching a query per week and their share of all "
                       f"statements of that week. The query is {_QUERY_HELP}.",
        # Materialised: otherwise SQLite runs the full-text query once per
        # row of the outer join (reading/search.py trend() does the same).
        "sql": "WITH hits AS MATERIALIZED (\n"
               "  SELECT rowid AS id FROM article_search\n"
               "  WHERE article_search MATCH demarche_match(:query))\n"
               "SELECT p.week, count(*) AS statements, count(hits.id) AS matching,\n"
               "       round(1.0 * count(hits.id) / count(*), 4) AS share\n"
               "FROM article_periods p LEFT JOIN hits ON hits.id = p.article_id\n"
               "GROUP BY p.week ORDER BY p.week",
    }
    queries["newest_statements_per_source"] = {
        "title": "Newest statements per source",
        "description": f"The {NEWEST} latest statements of each source, by publication time "
                       "(first archived when undated).",
        "sql": "SELECT source, published_at, title, url, id FROM (\n"
               "  SELECT source, published_at, title, url, id, row_number() OVER (\n"
               "    PARTITION BY source ORDER BY coalesce(published_at, first_seen_at) DESC,\n"
               "    id DESC) AS n\n"
               "  FROM articles)\n"
               f"WHERE n <= {NEWEST} ORDER BY source, n",
    }
    queries["removed_statements"] = {
        "title": "Removed statements",
        "description": "Statements gone from their site (404, 410, redirected away), most "
                       "recently removed first; the archive keeps their text.",
        "sql": "SELECT id, source, published_at, title, url, removed_at, removed_reason\n"
               "FROM articles WHERE removed_at IS NOT NULL ORDER BY removed_at DESC, id",
    }
    if "clusters" in tables:
        queries["syndication_clusters"] = {
            "title": "Syndication clusters",
            "description": "Texts carried by more than one article: the first publisher, "
                           "and the sources that carried it.",
            "sql": "SELECT c.id AS cluster, c.size, f.source AS first_source,\n"
                   "       f.published_at AS first_published, f.title,\n"
                   "       group_concat(DISTINCT a.source) AS sources\n"
                   "FROM clusters c\n"
                   "JOIN articles a ON a.cluster_id = c.id\n"
                   "LEFT JOIN articles f ON f.id = c.first_article_id\n"
                   "WHERE c.size > 1 GROUP BY c.id ORDER BY c.size DESC, c.id",
        }
    return queries


def browse_metadata(database: str, tables: set[str]) -> dict[str, Any]:
    """Datasette metadata for the archive served as ``database``, given the
    tables and views it has."""
    shown = {name: spec for name, spec in TABLES.items() if name in tables}
    shown.update({name: {"hidden": True} for name in HIDDEN if name in tables})
    return {
        "title": "demarche: archive of foreign-ministry statements",
        "description": "Statements from the press pages of foreign ministries and the news "
                       "sections that relay them, as crawled by demarche. Read-only.",
        "license": "Texts belong to their publishers; archived for research",
        "source": "The sources table: each row is a site demarche crawls",
        "databases": {
            database: {
                "description": "Start with statements (facets: source, language, country, "
                               "year; full-text search), or the canned queries below.",
                "tables": shown,
                "queries": canned_queries(tables),
            },
        },
    }


def sqlite_archive(url: str) -> Path:
    """The file of a SQLite archive URL; any other archive is refused."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise ArchiveError(
            f"{describe(url)} is a {parsed.get_backend_name()} archive: demarche browse serves "
            "SQLite archives only (Datasette reads SQLite files). Use `demarche report`, "
            "`demarche search` or `demarche export --format csv` on this archive, or browse a "
            "SQLite copy of it")
    path = Path(parsed.database or "")
    if not parsed.database or parsed.database == ":memory:" or not path.is_file():
        raise ArchiveError(f"no archive at {path}: run a crawl or `make demo` first")
    return path


def archive_tables(path: Path) -> set[str]:
    """The tables and views of a SQLite archive, read without writing."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def demarche_match(query: str | None) -> str:
    """SQL function: a ``demarche search`` query as an FTS5 MATCH expression."""
    if not (query or "").strip():
        # The empty phrase matches nothing: a query form shown before any
        # query is typed lists every week with 0 matching.
        return '""'
    try:
        return parse_query(query or "").fts5()
    except SearchSyntaxError as exc:
        # SQLite reports only "user-defined function raised exception".
        raise ValueError(str(exc)) from None


class _BoundedRows:
    """A row factory that stops a query once its rows hold more than
    RESPONSE_BYTES of text and blobs: Datasette keeps a query's rows (up to
    max_returned_rows, or all for its own queries) in memory to render."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        self.spent: weakref.WeakKeyDictionary[sqlite3.Cursor, int] = weakref.WeakKeyDictionary()

    def __call__(self, cursor: sqlite3.Cursor, row: tuple) -> Any:
        size = sum(len(v) for v in row if isinstance(v, (str, bytes)))
        spent = self.spent.get(cursor, 0) + size
        if spent > RESPONSE_BYTES:
            # A DatabaseError: Datasette shows it as the query's error.
            raise sqlite3.DataError(f"the result holds more than {RESPONSE_BYTES >> 20} MB: "
                                    "select fewer rows or columns, or use `demarche sql`")
        self.spent[cursor] = spent
        return self.factory(cursor, row) if self.factory else row


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Datasette hook: this module is registered as a plugin by serve()."""
    conn.create_function("demarche_match", 1, demarche_match, deterministic=True)
    # Bounds on what one query may make (issue 14: two randomblob(1e9)
    # took 4 GB): no value over VALUE_BYTES ("string or blob too big"),
    # no more than HEAP_BYTES of SQLite memory in the whole process
    # ("out of memory"), no result over RESPONSE_BYTES; Datasette's own
    # settings (SETTINGS) bound rows and time.
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_BYTES)
    conn.execute(f"PRAGMA hard_heap_limit = {HEAP_BYTES}")
    conn.row_factory = _BoundedRows(conn.row_factory)


def has_pending_wal(path: Path) -> bool:
    """Whether writes wait in the write-ahead log: a crawl is running, or
    one stopped before its last connection closed."""
    return has_wal(path)


def can_be_immutable(path: Path) -> bool:
    """Whether the archive may be read as immutable: nothing here may write
    it and no writer left a WAL. A file this process may write may be
    written by a crawl that starts after browse does, and an immutable
    reader of a changing file answers "database disk image is malformed"."""
    return not os.access(path, os.W_OK) and not has_wal(path)


def reading_room(path: Path, *, immutable: bool = False, warc_folder: Path | None = None,
                 quiet_after: dict[str, int] | None = None) -> Any:
    """A Datasette of the archive with the reading room (reading/room):
    this module and the room registered as plugins, the room's templates,
    its settings in the metadata's ``plugins`` block. Started, not served."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from reading.room import plugin as room

    metadata = browse_metadata(path.stem, archive_tables(path))
    metadata["plugins"] = {room.NAME: {
        "archive": str(path.resolve()),
        # As the crawl writes them (crawler.middlewares.warc.warc_folder).
        "warc": str(warc_folder or path.resolve().parent / "warc"),
        "quiet_after": quiet_after or {},
    }}
    if not pm.has_plugin("demarche"):
        pm.register(sys.modules[__name__], name="demarche")
    if not pm.has_plugin(room.NAME):
        pm.register(room, name=room.NAME)
    files = {"immutables": [str(path)]} if immutable else {"files": [str(path)]}
    datasette = Datasette(metadata=metadata, settings=SETTINGS, template_dir=str(TEMPLATES),
                          **files)
    asyncio.run(datasette.invoke_startup())
    return datasette


def serve(path: Path, host: str = "127.0.0.1", port: int = 8001, *,
          immutable: bool = False, warc_folder: Path | None = None,
          quiet_after: dict[str, int] | None = None) -> None:
    """Serve the archive and its reading room until interrupted.

    ``mode=ro`` by default: sees the rows a crawl adds and never writes.
    Immutable (Datasette's ``-i``: no locks, rows counted once) only for a
    file nothing writes (:func:`can_be_immutable`).
    """
    import uvicorn

    datasette = reading_room(path, immutable=immutable, warc_folder=warc_folder,
                             quiet_after=quiet_after)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
