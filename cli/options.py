"""Arguments and archive access that several commands share: days,
``--workers``, the statement filters, and opening the archive for reading."""

from __future__ import annotations

import argparse
from datetime import date

from crawler.params import ArgumentError


def day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {value!r}") from None


def workers(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise ArgumentError("--workers must be at least 1")
    return value


def add_statement_filters(parser: argparse.ArgumentParser) -> None:
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


def search_filters(opts: argparse.Namespace):  # type: ignore[no-untyped-def]
    from reading.search import SearchFilters

    if opts.since and opts.until and opts.since > opts.until:
        raise ArgumentError(f"--since {opts.since} is after --until {opts.until}")
    return SearchFilters(source=opts.source, country=getattr(opts, "country", None),
                         language=getattr(opts, "lang", None), since=opts.since,
                         until=opts.until, speaker=getattr(opts, "speaker", None),
                         statement_type=getattr(opts, "statement_type", None),
                         mentions=getattr(opts, "mentions", None))


def search_archive(url: str):  # type: ignore[no-untyped-def]
    """The archive at the current schema (the search index comes with it),
    opened read-only; a missing SQLite file is an error, not a new empty
    archive, and a read-only one is read as it is."""
    from storage.engine import open_reader

    return open_reader(url)
