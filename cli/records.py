"""``demarche show``, ``demarche history`` and ``demarche export``: articles
as records, one at a time or all that match."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
from cli.output import when
from cli.progress import add_quiet, progress_bar
from crawler.params import ArgumentError


def cmd_show(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from reading.export import article_details, find_article, plain
    from storage.engine import describe

    with Session(search_archive(archive_url(opts))) as session:
        article_id = find_article(session, opts.article)
        if article_id is None:
            print(f"demarche show: no article with the id or URL {opts.article!r} in "
                  f"{describe(archive_url(opts))}", file=sys.stderr)
            return 2
        record = plain(article_details(session, article_id))
    if opts.format == "json":
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    body = record.pop("body")
    standfirst = record.pop("standfirst", None)
    urls = record.pop("urls")
    lists = {key: record.pop(key) for key in ("speakers", "countries", "translations", "quotes",
                                               "turns")}
    width = max(map(len, record))
    for key, value in record.items():
        print(f"{key:<{width}}  {'-' if value is None else value}")
    for alias in urls:
        shown = alias["url"] or f"{alias['key']} (key)"
        print(f"{'url (' + alias['kind'] + ')':<{width}}  {shown}  {alias['first_seen_at']}")
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
    if standfirst:
        print(f"\n{standfirst}")
    print(f"\n{body}")
    if lists["turns"]:
        print("\nBriefing, turn by turn:")
        for turn in lists["turns"]:
            who = turn["speaker"] or turn["outlet"] or ""
            print(f"\n[{turn['kind']}{': ' + who if who else ''}]\n{turn['text']}")
    return 0


def cmd_history(opts: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlalchemy.orm import Session

    from reading.export import find_article
    from reading.history import article_history
    from storage.engine import ArchiveError, describe, open_reader
    from storage.models import Article

    url = archive_url(opts)
    try:
        # At the current schema (upgraded first when this user may), as
        # for `show`: the versions' columns are read.
        with Session(open_reader(url)) as session:
            # An id, or a URL in any spelling, as for `demarche show`.
            article_id = find_article(session, opts.article)
            history = None if article_id is None else article_history(
                session, session.get(Article, article_id).url)  # type: ignore[union-attr]
            if history is None:
                print(f"demarche history: no article at {opts.article} in {describe(url)} "
                      "(looked up as an id, or by every spelling of the URL and every URL an "
                      "article lived at)", file=sys.stderr)
                return 2
            print_history(history)
    except (OperationalError, ProgrammingError) as exc:
        raise ArchiveError(f"cannot read the articles of {describe(url)}: {exc.orig}") from exc
    return 0


def print_history(history, out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    from reading.history import EXTRACTION_CHANGED, extraction_changed

    article = history.article
    out.write(f"article {article.id} ({article.source}): {article.title}\n")
    out.write(f"archived as {article.url}\n")
    out.write(f"published {when(article.published_at)}, first seen {when(article.first_seen_at)},"
              f" last seen {when(article.last_seen_at)}\n")
    if article.removed_at is not None:
        out.write(f"REMOVED from the site since {when(article.removed_at)} "
                  f"({article.removed_reason})\n")
    out.write("\nURLs:\n")
    urls = [(u.kind, u.first_seen_at, u.shown) for u in history.urls] or [
        ("fetched", article.first_seen_at, article.url)]
    out.write(tabulate([(kind, when(seen), u) for kind, seen, u in urls],
                       headers=["kind", "first seen", "url"]) + "\n")
    earlier = len(history.texts) - 1
    out.write(f"\n{earlier} earlier text{'s' if earlier != 1 else ''}:\n")
    out.write(tabulate(
        [(t.label, when(t.first_seen_at), when(t.seen_at),
          f"{t.warc_file}@{t.warc_offset}" if t.warc_file else "-") for t in history.texts],
        headers=["text", "first seen", "last seen", "WARC record"]) + "\n")
    for old, new, diff in history.diffs():
        if extraction_changed(old, new):
            out.write(f"\nnote: {EXTRACTION_CHANGED} ({old.label}: {old.extractor_hash}, "
                      f"{new.label}: {new.extractor_hash})")
        out.write("\n" + "\n".join(diff) + "\n")


def cmd_export(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from reading.export import OutputError, check_output, check_tables, count
    from reading.query_language import parse_query
    from storage.engine import sqlite_file

    query = parse_query(opts.query) if opts.query is not None else None
    search_filters(opts)  # days in the wrong order fail before the archive is opened
    if opts.format == "parquet" and opts.out == "-":
        raise ArgumentError("Parquet needs a file: --out FILE.parquet")
    if opts.tables and (opts.format != "csv" or opts.out == "-"):
        raise ArgumentError("--tables writes CSV files into a folder: --format csv --out DIR")
    url = archive_url(opts)
    if opts.out != "-":
        try:
            (check_tables if opts.tables else check_output)(
                Path(opts.out), sqlite_file(url), force=opts.force)
        except OutputError as exc:
            raise ArgumentError(str(exc)) from None
    with Session(search_archive(url)) as session, \
            session.begin():  # one snapshot of the archive, however long the export takes
        filters = check_filters(session, opts)
        with progress_bar("statements", quiet=opts.quiet) as bar:
            if bar.shown:  # the ETA needs the total; a count is one more query
                bar.set_total(count(session, filters, query))
            written = _write(opts, _counted(session, filters, query, opts.tables, bar))
    where = f"{opts.out.rstrip('/')}/" if opts.tables else opts.out
    print(f"{written} article{'s' if written != 1 else ''} -> {where}",
          file=sys.stderr if opts.out == "-" else sys.stdout)
    return 0


def _counted(session, filters, query, tables: bool, bar):  # type: ignore[no-untyped-def]
    """The export's rows, each statement counted on the progress bar."""
    from reading.export import records, table_rows

    if tables:
        for table, row in table_rows(session, filters, query):
            bar.update(int(table == "articles"))
            yield table, row
        return
    for record in records(session, filters, query, enriched=True):
        bar.update(1)
        yield record


def _write(opts: argparse.Namespace, rows) -> int:  # type: ignore[no-untyped-def]
    from reading.export import write_csv, write_jsonl, write_parquet, write_tables

    if opts.tables:
        return write_tables(rows, Path(opts.out))
    if opts.format == "parquet":
        return write_parquet(rows, opts.out, enriched=True)
    write = write_csv if opts.format == "csv" else write_jsonl
    if opts.out == "-":
        written = write(rows, sys.stdout)
        sys.stdout.flush()  # all of it out before the count is said to be
        return written
    with open(opts.out, "w", encoding="utf-8", newline="") as out:
        return write(rows, out)


def register(sub) -> None:  # type: ignore[no-untyped-def]
    show = add_command(
        sub, "show", help="one article, all its fields, by id or URL",
        description="One article with all its fields: source, dates, type, speakers, "
        "countries, translations, quotes, every URL it lived at, then its text. Name it by "
        "id (from `demarche search`) or by any spelling of any URL it lived at.",
        examples=["demarche show 42",
                  "demarche show http://www.mid.ru/en/foreign_policy/news/1801102 --format json"])
    show.add_argument("article", metavar="URL|ID")
    show.add_argument("--format", choices=["text", "json"], default="text")
    add_archive(show)
    show.set_defaults(func=cmd_show)

    history = add_command(
        sub, "history", help="an article's URLs, removal and earlier texts",
        description="An article's history: every URL it lived at, whether its site removed "
        "it, and each earlier text with a diff against the next. Name it by id or by any "
        "spelling of any URL it lived at.",
        examples=["demarche history 42",
                  "demarche history http://mid.ru/en/foreign_policy/news/1801102"])
    history.add_argument("article", metavar="URL|ID",
                         help="the article's id, or any URL it lived at (any spelling)")
    add_archive(history)
    history.set_defaults(func=cmd_history)

    export = add_command(
        sub, "export", help="write statements with their enrichment to JSONL, CSV or Parquet",
        description="Write the statements that match the filters (all of them by default), "
        "each with its source's name, speakers, quotes, countries named, translations, "
        "syndication cluster and number of earlier texts, to a JSON Lines file (nested), a "
        "Parquet file (list and struct columns), a CSV file (summary columns) or, with "
        "--tables, one CSV file per table into a folder; from one consistent snapshot of "
        "the archive.",
        examples=["demarche export --format jsonl --out statements.jsonl --source mid_ru_en",
                  "demarche export --format csv --out - --query sanctions --since 2024-01-01",
                  "demarche export --format csv --tables --out lavrov/ --speaker Lavrov"])
    export.add_argument("--format", choices=["jsonl", "csv", "parquet"], required=True)
    export.add_argument("--out", required=True, metavar="FILE",
                        help="the file, in a folder that exists (- for stdout); with --tables "
                        "a folder (made if missing)")
    export.add_argument("--tables", action="store_true",
                        help="CSV only: one file per table (articles, speakers, quotes, "
                        "mentions, translations, versions, cluster_members) into --out DIR")
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    export.add_argument("--query", help="only articles this search query matches")
    add_filters(export)
    add_quiet(export)
    add_archive(export)
    export.set_defaults(func=cmd_export)
