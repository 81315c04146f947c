"""The ``demarche`` command's parser and entry point.

    demarche crawl KEY [KEY ...] [--all] [-a since=YYYY-MM-DD] [-a max_articles=N]
    demarche sql "SELECT ..." [--format table|csv|json] [--limit N] [--timeout SECONDS]
    demarche sources
    demarche sources check [KEY ...] [--timeout SECONDS]
    demarche workers
    demarche extract DIR --out FILE.jsonl [--workers N]
    demarche status
    demarche history URL
    demarche db upgrade
    demarche import-warc FILE... [--source S] [--workers N] [--quiet]
    demarche reextract [--source S] [--workers N | --local N | --scheduler URL] [--all] [--quiet]
    demarche backfill FILE|URL... [--local N | --scheduler tcp://HOST:8786] [--source S] [--quiet]
    demarche search "QUERY" [FILTERS] [--limit N] [--format table|json|csv]
    demarche show URL|ID [--format text|json]
    demarche trend "QUERY" [--by day|week|month] [--per-source] [FILTERS]
    demarche export --format jsonl|csv|parquet --out FILE|DIR [--tables] [--force] [--query Q]
                    [FILTERS] [--quiet]
      FILTERS: --source KEY --country CC --lang LL --speaker NAME --type TYPE --mentions CC
               --since D --until D
    demarche browse [--archive URL] [--host H] [--port P]
    demarche report --out DIR [--force] [--archive URL] [--screenshot FILE.png]
    demarche demo
    demarche --version

Every command that reads or writes the archive also takes ``--archive URL``
(default: the DEMARCHE_ARCHIVE_URL setting); ``demarche COMMAND --help``
says what a command does and shows an example.

Each command lives in the module of its group (``cli/crawl.py``,
``cli/search.py``, ...), which registers its sub-parser; this module only
puts them together and turns the library's errors into one line and exit
status 2 (a damaged archive included: its file and how to recover it), and
ends quietly when the reader of the output goes away (``| head``).
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from cli import backfill, batch, browse, crawl, db, demo, records, search, sources, workers
from cli.options import archive_url
from cli.output import exit_status
from crawler.params import ArgumentError
from reading.sql import QueryError

# In the order `demarche --help` lists them: crawling first, then the
# archive's upkeep, then reading it.
GROUPS = (crawl, sources, workers, batch, backfill, db, search, records, browse, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="demarche", description="Crawl, clean and archive foreign-ministry statements.",
        epilog="`demarche COMMAND --help` says what a command does, with an example.\n"
        "Every command that reads or writes the archive takes --archive URL\n"
        "(default: the DEMARCHE_ARCHIVE_URL setting).\n\n"
        "Example:\n  demarche demo && demarche search Syria && demarche show 1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_line())
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def version_line() -> str:
    """The installed distribution's version (what ``pip install`` put in
    place, not a constant that can drift from it) and Python's."""
    try:
        ours = version("demarche")
    except PackageNotFoundError:
        ours = "(not installed: pip install -e .)"
    return f"demarche {ours} (Python {platform.python_version()})"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if (hint := dash_query_hint(argv)) is not None:
        print(hint, file=sys.stderr)
        return 2
    opts = build_parser().parse_args(argv)
    return exit_status(lambda: _run(opts))


def dash_query_hint(argv: list[str]) -> str | None:
    """``demarche search -Syria``: argparse reads the word as an unknown
    option and says the query is missing. A search engine's habit, said
    in demarche's words. (Their only short option is -h.)"""
    if not argv or argv[0] not in ("search", "trend") or "--" in argv:
        return None
    for before, arg in zip(argv, argv[1:], strict=False):
        word = arg[1:]
        if (arg.startswith("-") and word and not word.startswith("-") and arg != "-h"
                and not word.replace(".", "", 1).isdigit()  # --limit -5: argparse's to say
                and not (before.startswith("--") and "=" not in before)):  # an option's value
            return (f"demarche {argv[0]}: {arg!r} reads as an option. For statements without "
                    f"a word, write NOT after another: 'sanctions NOT {word}'; for the "
                    f"word itself, end the options with --: demarche {argv[0]} -- {arg}")
    return None


def _run(opts: argparse.Namespace) -> int:
    # Imported once the command line is read: SQLAlchemy, Scrapy and
    # pydantic take a second to load, which --help and --version need not.
    from sqlalchemy.exc import DatabaseError

    from crawler.sources import RegistryError
    from storage.engine import ArchiveError, damage_of

    try:
        try:
            return opts.func(opts)
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            # A damaged SQLite file shows wherever a page of it is read:
            # one line naming it, not the driver's traceback.
            damage = damage_of(archive_url(opts), exc)
            if damage is None:
                raise
            raise damage from None
    except (ArgumentError, RegistryError, ArchiveError, QueryError) as exc:
        print(f"demarche {opts.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
