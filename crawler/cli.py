"""The ``demarche`` command.

    demarche crawl KEY [KEY ...] [--all] [-a since=YYYY-MM-DD] [-a max_articles=N]
    demarche sql "SELECT ..." [--format table|csv|json]
    demarche sources
    demarche extract DIR --out FILE.jsonl [--workers N]
    demarche status
    demarche history URL
    demarche db upgrade
    demarche import-warc FILE... [--source S] [--workers N]
    demarche reextract [--source S] [--workers N]
    demarche search "QUERY" [--source S] [--country CC] [--lang L] [--since D] [--until D]
                    [--limit N] [--format table|json|csv]
    demarche show URL|ID [--format text|json]
    demarche trend "QUERY" [--by day|week|month] [--source S | --per-source] [--since D] [--until D]
    demarche export --format jsonl|csv|parquet --out FILE [--source S] [--since D] [--until D]
                    [--query Q]
    demarche browse [--archive URL] [--host H] [--port P]
    demarche report --out DIR [--archive URL] [--screenshot FILE.png]
    demarche demo
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from tabulate import tabulate

from crawler.params import ArgumentError
from crawler.runner import CrawlOutcome, project_settings, run_crawls
from crawler.sources import RegistryError, load_sources
from storage.engine import ArchiveError, describe
from storage.query import QueryError, QueryResult, run_readonly


def _spider_args(pairs: Sequence[str]) -> dict[str, str]:
    args = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ArgumentError(f"-a takes NAME=VALUE, got {pair!r}")
        args[name.strip()] = value
    return args


def print_result(result: QueryResult, fmt: str, out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    elif fmt == "json":
        def plain(value: object) -> object:
            return value.isoformat() if isinstance(value, (date, datetime)) else value

        records = [dict(zip(result.columns, map(plain, row), strict=True)) for row in result.rows]
        json.dump(records, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    else:
        out.write(tabulate(result.rows, headers=result.columns, tablefmt="simple", maxcolwidths=60))
        out.write(f"\n({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})\n")


def print_outcomes(outcomes: list[CrawlOutcome]) -> None:
    rows = [(o.source, o.status, o.counts["pages"], o.counts["new"], o.counts["changed"],
             o.counts["unchanged"], o.counts["errors"]) for o in outcomes]
    print(tabulate(rows, headers=["source", "status", "pages", "new", "changed",
                                  "unchanged", "errors"]))


def cmd_crawl(opts: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if opts.replay:
        overrides["DEMARCHE_REPLAY"] = opts.replay
    settings = project_settings(overrides)
    keys = list(opts.sources)
    if opts.all:
        keys = list(load_sources(settings.get("DEMARCHE_SOURCES") or None))
    if not keys:
        raise ArgumentError("name at least one source, or --all (see `demarche sources`)")
    outcomes = run_crawls(keys, _spider_args(opts.arg), settings)
    print_outcomes(outcomes)
    return 0 if all(o.status == "finished" for o in outcomes) else 1


def cmd_sql(opts: argparse.Namespace) -> int:
    url = project_settings().get("DEMARCHE_ARCHIVE_URL")
    print_result(run_readonly(url, opts.query), opts.format)
    return 0


def cmd_sources(opts: argparse.Namespace) -> int:
    sources = load_sources(project_settings().get("DEMARCHE_SOURCES") or None)
    rows = [(s.key, s.kind, s.country, s.language, s.spider, s.name) for s in sources.values()]
    print(tabulate(rows, headers=["key", "kind", "country", "lang", "spider", "name"]))
    return 0


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def cmd_status(opts: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlalchemy.orm import Session

    from storage.engine import make_engine
    from storage.health import source_health

    settings = project_settings()
    sources = load_sources(settings.get("DEMARCHE_SOURCES") or None)
    quiet = {key: s.quiet_after for key, s in sources.items()}
    url = settings.get("DEMARCHE_ARCHIVE_URL")
    try:
        with Session(make_engine(url, read_only=True)) as session:
            rows = source_health(session, quiet, datetime.now(UTC))
    except (OperationalError, ProgrammingError) as exc:
        raise ArchiveError(f"cannot read the run ledger of {describe(url)}: {exc.orig}") from exc
    table = [
        (r.source, r.health + (f" ({r.detail})" if r.detail else ""),
         f"{_when(r.last_run_at)} {r.last_run_status or ''}".strip(), _when(r.last_new_at),
         r.articles, r.new_7d, ", ".join(r.flags))
        for r in rows
    ]
    print(tabulate(table, headers=["source", "health", "last run (UTC)", "last new article",
                                   "articles", "new 7 d", "flags"]))
    return 0


def cmd_history(opts: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlalchemy.orm import Session

    from storage.engine import make_engine
    from storage.versions import article_history

    url = project_settings().get("DEMARCHE_ARCHIVE_URL")
    try:
        with Session(make_engine(url, read_only=True)) as session:
            history = article_history(session, opts.url)
            if history is None:
                print(f"demarche history: no article at {opts.url} in {describe(url)} (looked up "
                      "by every spelling of the URL and every URL an article lived at)",
                      file=sys.stderr)
                return 2
            print_history(history)
    except (OperationalError, ProgrammingError) as exc:
        raise ArchiveError(f"cannot read the articles of {describe(url)}: {exc.orig}") from exc
    return 0


def print_history(history, out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    article = history.article
    out.write(f"article {article.id} ({article.source}): {article.title}\n")
    out.write(f"archived as {article.url}\n")
    out.write(f"published {_when(article.published_at)}, first seen {_when(article.first_seen_at)},"
              f" last seen {_when(article.last_seen_at)}\n")
    if article.removed_at is not None:
        out.write(f"REMOVED from the site since {_when(article.removed_at)} "
                  f"({article.removed_reason})\n")
    out.write("\nURLs:\n")
    urls = history.urls or [(article.url, "fetched", article.first_seen_at)]
    out.write(tabulate([(kind, _when(seen), u) for u, kind, seen in urls],
                       headers=["kind", "first seen", "url"]) + "\n")
    earlier = len(history.texts) - 1
    out.write(f"\n{earlier} earlier text{'s' if earlier != 1 else ''}:\n")
    out.write(tabulate(
        [(t.label, _when(t.first_seen_at), _when(t.seen_at),
          f"{t.warc_file}@{t.warc_offset}" if t.warc_file else "-") for t in history.texts],
        headers=["text", "first seen", "last seen", "WARC record"]) + "\n")
    for _old, _new, diff in history.diffs():
        out.write("\n" + "\n".join(diff) + "\n")


def cmd_db(opts: argparse.Namespace) -> int:
    from storage.clusters import index_backlog
    from storage.engine import make_engine
    from storage.migrate import head_revision, upgrade

    url = project_settings().get("DEMARCHE_ARCHIVE_URL")
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
        # Articles archived before the syndication index existed.
        indexed = index_backlog(engine, datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001 - any driver error, said plainly
        raise ArchiveError(f"cannot upgrade {describe(url)}: {exc}") from exc
    finally:
        engine.dispose()
    if before == after:
        print(f"{describe(url)}: already at revision {after} (head {head_revision()})")
    else:
        print(f"{describe(url)}: upgraded from {before or 'empty'} to {after}")
    if indexed:
        print(f"{indexed} article(s) added to the syndication index")
    return 0


def _workers(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise ArgumentError("--workers must be at least 1")
    return value


def cmd_import_warc(opts: argparse.Namespace) -> int:
    from crawler.warc_import import import_warcs

    settings = project_settings()
    registry = load_sources(settings.get("DEMARCHE_SOURCES") or None)
    if opts.source and opts.source not in registry:
        raise ArgumentError(f"unknown source {opts.source!r}; known: {', '.join(registry)}")
    try:
        summary = import_warcs(opts.files, settings.get("DEMARCHE_ARCHIVE_URL"), registry,
                               source=opts.source, workers=_workers(opts.workers))
    except FileNotFoundError as exc:
        raise ArgumentError(str(exc)) from None
    for damage in summary.damaged:
        print(f"skipped: {damage}")
    out = summary.outcomes
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(summary.rejected.items())) or "none"
    print(f"{summary.files} file(s), {summary.pages} pages in {summary.seconds:.1f} s with "
          f"{summary.workers} worker(s) ({summary.pages / max(summary.seconds, 1e-9):.1f} "
          f"pages/s): {out['new']} new, {out['changed']} changed, {out['unchanged']} unchanged; "
          f"not articles: {rejected}; other records skipped: {summary.skipped}; "
          f"damaged records: {len(summary.damaged)}")
    return 0


def cmd_reextract(opts: argparse.Namespace) -> int:
    from crawler.middlewares.warc import warc_folder
    from crawler.reextract import reextract

    settings = project_settings()
    registry = load_sources(settings.get("DEMARCHE_SOURCES") or None)
    summary = reextract(settings.get("DEMARCHE_ARCHIVE_URL"), warc_folder(settings), registry,
                        source=opts.source, workers=_workers(opts.workers))
    rejected = sum(summary.rejected.values())
    print(f"{summary.examined} examined, {summary.changed} changed, {summary.unchanged} "
          f"unchanged, {summary.missing} without a readable record, {rejected} rejected now "
          f"(kept as they were), {summary.enriched} enriched again in {summary.seconds:.1f} s")
    return 0


def cmd_extract(opts: argparse.Namespace) -> int:
    from crawler.extraction.corpus import extract_directory

    if not opts.directory.is_dir():
        raise ArgumentError(f"not a folder: {opts.directory}")
    if opts.workers is not None and opts.workers < 1:
        raise ArgumentError("--workers must be at least 1")
    try:
        summary = extract_directory(opts.directory, opts.out, opts.workers)
    except FileNotFoundError as exc:
        raise ArgumentError(str(exc)) from None
    print(f"{summary.pages} pages, {summary.failed} without text, "
          f"{summary.seconds:.2f} s with {summary.workers} worker(s) "
          f"({summary.pages / summary.seconds:.1f} pages/s) -> {opts.out}")
    return 0


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {value!r}") from None


def _search_archive(url: str):  # type: ignore[no-untyped-def]
    """The archive at the current schema (the search index comes with it);
    a missing SQLite file is an error, not a new empty archive."""
    from storage.engine import make_engine, open_archive

    make_engine(url, read_only=True).dispose()  # says what to do when there is no archive
    return open_archive(url)


def _search_filters(opts: argparse.Namespace):  # type: ignore[no-untyped-def]
    from storage.search import SearchFilters

    if opts.since and opts.until and opts.since > opts.until:
        raise ArgumentError(f"--since {opts.since} is after --until {opts.until}")
    return SearchFilters(source=opts.source, country=getattr(opts, "country", None),
                         language=getattr(opts, "lang", None), since=opts.since,
                         until=opts.until, speaker=getattr(opts, "speaker", None),
                         statement_type=getattr(opts, "statement_type", None),
                         mentions=getattr(opts, "mentions", None))


def cmd_search(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from storage.export import iso
    from storage.search import parse_query, search

    if opts.limit < 1:
        raise ArgumentError("--limit must be at least 1")
    query = parse_query(opts.query)  # a malformed query fails before the archive is opened
    filters = _search_filters(opts)
    with Session(_search_archive(project_settings().get("DEMARCHE_ARCHIVE_URL"))) as session:
        hits = search(session, query, filters, opts.limit)
    if opts.format == "table":
        rows = [(h.rank, h.published_at.strftime("%Y-%m-%d") if h.published_at else "-",
                 h.source, h.title, h.snippet, h.id) for h in hits]
        print(tabulate(rows, headers=["#", "published", "source", "title", "snippet", "id"],
                       maxcolwidths=[None, None, 20, 36, 64, None]))
        print(f"({len(hits)} hit{'s' if len(hits) != 1 else ''}; `demarche show ID` for one)")
        return 0
    columns = ["rank", "id", "published_at", "source", "language", "title", "url", "snippet",
               "score"]
    rows = [(h.rank, h.id, iso(h.published_at), h.source, h.language, h.title, h.url,
             h.snippet, h.score) for h in hits]
    print_result(QueryResult(columns, rows), opts.format)
    return 0


def cmd_show(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from storage.export import article_details, find_article, plain

    with Session(_search_archive(project_settings().get("DEMARCHE_ARCHIVE_URL"))) as session:
        article_id = find_article(session, opts.article)
        if article_id is None:
            print(f"demarche show: no article with the id or URL {opts.article!r}",
                  file=sys.stderr)
            return 1
        record = plain(article_details(session, article_id))
    if opts.format == "json":
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    body = record.pop("body")
    urls = record.pop("urls")
    lists = {key: record.pop(key) for key in ("speakers", "countries", "translations", "quotes",
                                               "turns")}
    width = max(map(len, record))
    for key, value in record.items():
        print(f"{key:<{width}}  {'-' if value is None else value}")
    for alias in urls:
        print(f"{'url (' + alias['kind'] + ')':<{width}}  {alias['url']}  {alias['first_seen_at']}")
    for speaker in lists["speakers"]:
        who = ", ".join(v for v in (speaker["role"], speaker["country"]) if v)
        print(f"{'speaker':<{width}}  {speaker['name']}" + (f" ({who})" if who else ""))
    if lists["countries"]:
        print(f"{'countries':<{width}}  "
              + ", ".join(f"{c['code']} {c['count']}" for c in lists["countries"]))
    for other in lists["translations"]:
        print(f"{'translation':<{width}}  {other['language'] or '?'}  {other['url']}  "
              f"(id {other['id']})")
    for quote in lists["quotes"]:
        print(f"{'quote':<{width}}  {quote['speaker'] or '(unattributed)'}: “{quote['text']}”")
    print(f"\n{body}")
    if lists["turns"]:
        print("\nBriefing, turn by turn:")
        for turn in lists["turns"]:
            who = turn["speaker"] or turn["outlet"] or ""
            print(f"\n[{turn['kind']}{': ' + who if who else ''}]\n{turn['text']}")
    return 0


def cmd_trend(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from storage.search import parse_query, trend

    query = parse_query(opts.query)
    filters = _search_filters(opts)  # checks the days
    with Session(_search_archive(project_settings().get("DEMARCHE_ARCHIVE_URL"))) as session:
        points = trend(session, query, opts.by, source=opts.source, since=opts.since,
                       until=opts.until, per_source=opts.per_source,
                       within=dataclasses.replace(filters, source=None, since=None, until=None))
    columns = [opts.by, *(["source"] if opts.per_source else []), "statements", "matching",
               "share"]
    rows = [(p.period, *([p.source] if opts.per_source else []), p.statements, p.matching,
             p.share) for p in points]
    print_result(QueryResult(columns, rows), opts.format)
    return 0


def cmd_export(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from storage.export import records, write_csv, write_jsonl, write_parquet
    from storage.search import parse_query

    query = parse_query(opts.query) if opts.query is not None else None
    filters = _search_filters(opts)
    if opts.format == "parquet" and opts.out == "-":
        raise ArgumentError("Parquet needs a file: --out FILE.parquet")
    with Session(_search_archive(project_settings().get("DEMARCHE_ARCHIVE_URL"))) as session, \
            session.begin():  # one snapshot of the archive, however long the export takes
        rows = records(session, filters, query)
        if opts.format == "parquet":
            count = write_parquet(rows, opts.out)
        elif opts.out == "-":
            count = (write_csv if opts.format == "csv" else write_jsonl)(rows, sys.stdout)
        else:
            with open(opts.out, "w", encoding="utf-8", newline="") as out:
                count = (write_csv if opts.format == "csv" else write_jsonl)(rows, out)
    print(f"{count} article{'s' if count != 1 else ''} -> {opts.out}",
          file=sys.stderr if opts.out == "-" else sys.stdout)
    return 0


def cmd_browse(opts: argparse.Namespace) -> int:
    from storage.browse import has_pending_wal, serve, sqlite_archive

    url = opts.archive or project_settings().get("DEMARCHE_ARCHIVE_URL")
    path = sqlite_archive(url)  # a PostgreSQL archive is refused with a message
    _search_archive(url).dispose()  # at the current schema: the statements view
    # A crawl writing now leaves its pages in the WAL, which an immutable
    # reader would ignore (and the file would change under it).
    immutable = not has_pending_wal(path)
    mode = "immutable" if immutable else "read-only, live: a crawl is writing"
    print(f"serving {path} ({mode}) at http://{opts.host}:{opts.port}/ ; Ctrl-C stops",
          file=sys.stderr)
    serve(path, opts.host, opts.port, immutable=immutable)
    return 0


def cmd_report(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from storage.report import gather, screenshot, write_report

    settings = project_settings()
    url = opts.archive or settings.get("DEMARCHE_ARCHIVE_URL")
    sources = load_sources(settings.get("DEMARCHE_SOURCES") or None)
    quiet = {key: s.quiet_after for key, s in sources.items()}
    with Session(_search_archive(url)) as session:
        report = gather(session, quiet, datetime.now(UTC), describe(url))
    page = write_report(report, opts.out)
    print(f"{sum(report.totals.values())} statements of {len(report.totals)} sources -> {page}")
    if opts.screenshot:
        try:
            print(f"screenshot -> {screenshot(page, opts.screenshot)}")
        except FileNotFoundError as exc:
            raise ArgumentError(str(exc)) from None
    return 0


def cmd_demo(opts: argparse.Namespace) -> int:
    from crawler.demo.run import run_demo

    return run_demo()


def _statement_filters(parser: argparse.ArgumentParser) -> None:
    from crawler.enrich import STATEMENT_TYPES

    # --country is the source's country (issue 6); the countries a text
    # talks about are --mentions.
    parser.add_argument("--speaker", help="only statements of this speaker (part of the name, "
                        "any case: Lavrov, 'Mao Ning')")
    parser.add_argument("--type", dest="statement_type", choices=STATEMENT_TYPES,
                        metavar="TYPE", help=f"only this kind of statement: "
                        f"{', '.join(STATEMENT_TYPES)}")
    parser.add_argument("--mentions", metavar="CC",
                        help="only statements that name this country (ISO 3166 alpha-2)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="demarche", description="Crawl, clean and archive foreign-ministry statements."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    crawl = sub.add_parser("crawl", help="crawl sources now, in this process")
    crawl.add_argument("sources", nargs="*", metavar="KEY", help="source keys (demarche sources)")
    crawl.add_argument("--all", action="store_true", help="crawl every registered source")
    crawl.add_argument("-a", dest="arg", action="append", default=[], metavar="NAME=VALUE",
                       help="spider argument: since=YYYY-MM-DD, max_articles=N, max_pages=N")
    crawl.add_argument("--replay", action="append", default=[], metavar="WARC",
                       help="answer requests from this WARC file instead of the network")
    crawl.set_defaults(func=cmd_crawl)

    sql = sub.add_parser("sql", help="run a read-only SQL query against the archive")
    sql.add_argument("query")
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql.set_defaults(func=cmd_sql)

    sources = sub.add_parser("sources", help="list the registered sources")
    sources.set_defaults(func=cmd_sources)

    extract = sub.add_parser("extract", help="extract every <id>.html of a folder to JSONL")
    extract.add_argument("directory", type=Path, metavar="DIR")
    extract.add_argument("--out", type=Path, required=True, metavar="FILE.jsonl")
    extract.add_argument("--workers", type=int, default=None,
                         help="processes (default: one per core)")
    extract.set_defaults(func=cmd_extract)

    db = sub.add_parser("db", help="archive schema: `demarche db upgrade`")
    db.add_argument("action", choices=["upgrade"])
    db.set_defaults(func=cmd_db)

    status = sub.add_parser("status", help="health of every source from the run ledger")
    status.set_defaults(func=cmd_status)

    history = sub.add_parser("history", help="an article's URLs, removal and earlier texts")
    history.add_argument("url", metavar="URL", help="any URL the article lived at")
    history.set_defaults(func=cmd_history)

    imp = sub.add_parser("import-warc", help="archive the article pages of WARC files")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--source", help="registry key for every page (default: by domain)")
    imp.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    imp.set_defaults(func=cmd_import_warc)

    reext = sub.add_parser("reextract", help="extract the kept WARC responses again")
    reext.add_argument("--source", help="only this source's articles")
    reext.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    reext.set_defaults(func=cmd_reextract)

    formats = ["table", "csv", "json"]
    search = sub.add_parser("search", help="full-text search, best matches first")
    search.add_argument("query", help='words, "phrases", prefix*, AND, OR, NOT, ( )')
    search.add_argument("--source", help="only this source's articles")
    search.add_argument("--country", help="only sources of this country (ISO 3166 alpha-2)")
    search.add_argument("--lang", help="only articles in this language (ISO 639-1)")
    _statement_filters(search)
    search.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="published on or after")
    search.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="published on or before")
    search.add_argument("--limit", type=int, default=20, help="hits to show (default 20)")
    search.add_argument("--format", choices=formats, default="table")
    search.set_defaults(func=cmd_search)

    show = sub.add_parser("show", help="one article, all its fields, by id or URL")
    show.add_argument("article", metavar="URL|ID")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(func=cmd_show)

    trend = sub.add_parser("trend", help="statements matching a query per day, week or month")
    trend.add_argument("query", help="as for demarche search")
    trend.add_argument("--by", choices=["day", "week", "month"], default="day")
    trend.add_argument("--source", help="only this source (share of its own statements)")
    trend.add_argument("--per-source", action="store_true", help="one row per period and source")
    _statement_filters(trend)
    trend.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="published on or after")
    trend.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="published on or before")
    trend.add_argument("--format", choices=formats, default="table")
    trend.set_defaults(func=cmd_trend)

    export = sub.add_parser("export", help="write articles to JSON Lines, CSV or Parquet")
    export.add_argument("--format", choices=["jsonl", "csv", "parquet"], required=True)
    export.add_argument("--out", required=True, metavar="FILE", help="the file (- for stdout)")
    export.add_argument("--source", help="only this source's articles")
    export.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="published on or after")
    export.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="published on or before")
    export.add_argument("--query", help="only articles this search query matches")
    _statement_filters(export)
    export.set_defaults(func=cmd_export)

    browse = sub.add_parser("browse", help="serve the SQLite archive read-only with Datasette")
    browse.add_argument("--archive", metavar="URL", help="archive URL (default: the setting)")
    browse.add_argument("--host", default="127.0.0.1", help="address to listen on")
    browse.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    browse.set_defaults(func=cmd_browse)

    report = sub.add_parser("report", help="write a static HTML report with charts")
    report.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder for index.html")
    report.add_argument("--archive", metavar="URL", help="archive URL (default: the setting)")
    report.add_argument("--screenshot", type=Path, metavar="FILE.png",
                        help="also save the report as headless Chromium draws it")
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="crawl the bundled offline demo into the archive")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    opts = build_parser().parse_args(argv)
    try:
        return opts.func(opts)
    except (ArgumentError, RegistryError, ArchiveError, QueryError) as exc:
        print(f"demarche {opts.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
