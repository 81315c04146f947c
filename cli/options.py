"""Arguments and archive access that several commands share: days,
``--workers``, the statement filters, ``--archive`` and the settings it
overrides, opening the archive for reading, and a sub-command's parser with
its description and example."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Mapping, Sequence
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


def add_command(sub, name: str, *, help: str, description: str,  # type: ignore[no-untyped-def]
                examples: Sequence[str]) -> argparse.ArgumentParser:
    """A sub-command's parser whose ``--help`` says what it does and shows
    how it is typed; the examples are kept as written (one a line)."""
    return sub.add_parser(
        name, help=help, description=textwrap.fill(description, width=78),
        epilog=("Example:\n" if len(examples) == 1 else "Examples:\n")
        + "\n".join(f"  {example}" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter)


def add_archive(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", metavar="URL",
                        help="the archive: sqlite:///FILE or postgresql://... "
                        "(default: the DEMARCHE_ARCHIVE_URL setting)")


def settings_of(opts: argparse.Namespace, overrides: Mapping[str, object] | None = None):  # type: ignore[no-untyped-def]
    """The project's settings, with ``--archive`` (where the command takes
    it) as ``DEMARCHE_ARCHIVE_URL``: a crawl's pipelines, the WARC folder
    beside a SQLite archive and the command itself all see the same one."""
    from crawler.runner import project_settings

    chosen = dict(overrides or {})
    if getattr(opts, "archive", None):
        chosen["DEMARCHE_ARCHIVE_URL"] = opts.archive
    return project_settings(chosen)


def archive_url(opts: argparse.Namespace) -> str:
    return settings_of(opts).get("DEMARCHE_ARCHIVE_URL")
