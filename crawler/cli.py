"""The ``demarche`` command.

    demarche crawl KEY [KEY ...] [--all] [-a since=YYYY-MM-DD] [-a max_articles=N]
    demarche sql "SELECT ..." [--format table|csv|json]
    demarche sources
    demarche extract DIR --out FILE.jsonl [--workers N]
    demarche status
    demarche db upgrade
    demarche import-warc FILE... [--source S] [--workers N]
    demarche reextract [--source S] [--workers N]
    demarche demo
"""

from __future__ import annotations

import argparse
import csv
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


def cmd_db(opts: argparse.Namespace) -> int:
    from storage.engine import make_engine
    from storage.migrate import head_revision, upgrade

    url = project_settings().get("DEMARCHE_ARCHIVE_URL")
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    except Exception as exc:  # noqa: BLE001 - any driver error, said plainly
        raise ArchiveError(f"cannot upgrade {describe(url)}: {exc}") from exc
    finally:
        engine.dispose()
    if before == after:
        print(f"{describe(url)}: already at revision {after} (head {head_revision()})")
    else:
        print(f"{describe(url)}: upgraded from {before or 'empty'} to {after}")
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
          f"(kept as they were) in {summary.seconds:.1f} s")
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


def cmd_demo(opts: argparse.Namespace) -> int:
    from crawler.demo.run import run_demo

    return run_demo()


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

    imp = sub.add_parser("import-warc", help="archive the article pages of WARC files")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--source", help="registry key for every page (default: by domain)")
    imp.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    imp.set_defaults(func=cmd_import_warc)

    reext = sub.add_parser("reextract", help="extract the kept WARC responses again")
    reext.add_argument("--source", help="only this source's articles")
    reext.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    reext.set_defaults(func=cmd_reextract)

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
