"""``demarche search``, ``demarche trend`` and ``demarche sql``: asking the
archive questions, in its query language or in SQL."""

from __future__ import annotations

import argparse
import dataclasses

from tabulate import tabulate

from cli.options import (
    add_archive,
    add_command,
    add_filters,
    archive_url,
    check_filters,
    search_archive,
    search_filters,
)
from cli.output import print_result
from crawler.params import ArgumentError
from reading.sql import DEFAULT_TIMEOUT, QueryResult, readonly_query

FORMATS = ["table", "csv", "json"]


def cmd_sql(opts: argparse.Namespace) -> int:
    if opts.limit is not None and opts.limit < 1:
        raise ArgumentError("--limit must be at least 1")
    if opts.timeout < 0:
        raise ArgumentError("--timeout must be 0 (none) or more seconds")
    url = archive_url(opts)
    with readonly_query(url, opts.query, timeout=opts.timeout, limit=opts.limit) as result:
        print_result(result, opts.format)  # row by row, as the archive hands them over
    return 0


def cmd_search(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from reading.export import iso
    from reading.query_language import parse_query
    from reading.search import search

    if opts.limit < 1:
        raise ArgumentError("--limit must be at least 1")
    query = parse_query(opts.query)  # a malformed query fails before the archive is opened
    search_filters(opts)  # and so do days in the wrong order
    with Session(search_archive(archive_url(opts))) as session:
        hits = search(session, query, check_filters(session, opts), opts.limit)
    if opts.format == "table":
        rows = [(h.rank, h.published_at.strftime("%Y-%m-%d") if h.published_at else "-",
                 h.source, h.title, h.snippet, h.id) for h in hits]
        print(tabulate(rows, headers=["#", "published", "source", "title", "snippet", "id"],
                       maxcolwidths=[None, None, 20, 36, 64, None]))
        print(f"({len(hits)} hit{'s' if len(hits) != 1 else ''}"
              + ("; `demarche show ID` for one)" if hits else ")"))
        return 0
    columns = ["rank", "id", "published_at", "source", "language", "title", "url", "snippet",
               "score"]
    rows = [(h.rank, h.id, iso(h.published_at), h.source, h.language, h.title, h.url,
             h.snippet, h.score) for h in hits]
    print_result(QueryResult(columns, rows), opts.format)
    return 0


def cmd_trend(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from reading.query_language import parse_query
    from reading.trend import trend

    query = parse_query(opts.query)
    search_filters(opts)  # checks the days
    with Session(search_archive(archive_url(opts))) as session:
        filters = check_filters(session, opts)
        points = trend(session, query, opts.by, source=filters.source, since=filters.since,
                       until=filters.until, per_source=opts.per_source,
                       within=dataclasses.replace(filters, source=None, since=None, until=None))
    columns = [opts.by, *(["source"] if opts.per_source else []), "statements", "matching",
               "share"]
    rows = [(p.period, *([p.source] if opts.per_source else []), p.statements, p.matching,
             p.share) for p in points]
    print_result(QueryResult(columns, rows), opts.format)
    return 0


def register(sub) -> None:  # type: ignore[no-untyped-def]
    sql = add_command(
        sub, "sql", help="run a read-only SQL query against the archive",
        description="Run one read-only SQL query against the archive (SQLite or PostgreSQL) "
        "and print its rows as a table, CSV or JSON; statements that would write are "
        "refused. The `statements` view joins each article to its source and enrichment.",
        examples=['demarche sql "SELECT source, count(*) FROM articles GROUP BY 1"',
                  'demarche sql "SELECT * FROM statements" --format csv --archive '
                  'sqlite:///data/archive.db > statements.csv'])
    sql.add_argument("query")
    sql.add_argument("--format", choices=FORMATS, default="table",
                     help="table (the first 1000 rows), or csv / json (every row, streamed)")
    sql.add_argument("--limit", type=int, metavar="N", help="stop after N rows")
    sql.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                     help=f"stop when the next rows take longer (default {DEFAULT_TIMEOUT}; "
                     "0: never)")
    add_archive(sql)
    sql.set_defaults(func=cmd_sql)

    search = add_command(
        sub, "search", help="full-text search, best matches first",
        description="Full-text search of the archive, in every language it holds, best "
        "matches first, with a snippet of each hit; the filters narrow it by source, "
        "country, language, speaker, type, country mentioned and date.",
        examples=['demarche search \'"chemical weapons" AND Syria\' --since 2012-01-01',
                  "demarche search sanctions --speaker Lavrov --format json"])
    search.add_argument("query", help='words, "phrases", prefix*, AND, OR, NOT, ( )')
    add_filters(search)
    search.add_argument("--limit", type=int, default=20, help="hits to show (default 20)")
    search.add_argument("--format", choices=FORMATS, default="table")
    add_archive(search)
    search.set_defaults(func=cmd_search)

    trend = add_command(
        sub, "trend", help="statements matching a query per day, week or month",
        description="How many statements match a search query per day, week or month, out "
        "of how many were published then (the share), for all sources or per source.",
        examples=["demarche trend sanctions --by month --per-source",
                  "demarche trend 'ceasefire OR truce' --source mid_ru_en --since 2024-01-01"])
    trend.add_argument("query", help="as for demarche search")
    trend.add_argument("--by", choices=["day", "week", "month"], default="day",
                       help="period of each count (default day)")
    trend.add_argument("--per-source", action="store_true", help="one row per period and source")
    # With --source, or any other filter, the share is of the statements
    # the filters select (a speaker's, a type's).
    add_filters(trend)
    trend.add_argument("--format", choices=FORMATS, default="table")
    add_archive(trend)
    trend.set_defaults(func=cmd_trend)
