"""Arguments and archive access that several commands share: days,
``--workers``, the statement filters (``add_filters``, checked against the
archive by ``check_filters``), ``--archive`` and the settings it
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


def add_filters(parser: argparse.ArgumentParser) -> None:
    """The filters of every command that selects statements (search,
    trend, export), spelled and checked the same way everywhere."""
    from crawler.enrich import STATEMENT_TYPES

    # (One line: the sub-commands' help keeps descriptions as written.)
    group = parser.add_argument_group(
        "filters", "each checked against the archive; an unknown one names the close matches")
    group.add_argument("--source", metavar="KEY", help="only this source's statements (its key, "
                       "as `demarche sources` lists it, or its name)")
    # --country is the source's country (issue 6); the countries a text
    # talks about are --mentions.
    group.add_argument("--country", metavar="CC",
                       help="only sources of this country (ISO 3166 alpha-2: RU, US)")
    group.add_argument("--lang", metavar="LL",
                       help="only statements in this language (ISO 639-1: en, ru)")
    group.add_argument("--speaker", metavar="NAME", help="only statements of this speaker (part of the name, "
                       "any case: Lavrov, 'Mao Ning')")
    # Not argparse choices: a mistyped type gets the one-line message with
    # the close matches that the other filters give.
    group.add_argument("--type", dest="statement_type", metavar="TYPE",
                       help=f"only this kind of statement: {', '.join(STATEMENT_TYPES)}")
    group.add_argument("--mentions", metavar="CC",
                       help="only statements that name this country (ISO 3166 alpha-2)")
    group.add_argument("--since", type=day, metavar="YYYY-MM-DD", help="published on or after")
    group.add_argument("--until", type=day, metavar="YYYY-MM-DD", help="published on or before")


def search_filters(opts: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The filters as typed (the days checked, nothing else)."""
    from reading.search import SearchFilters

    if opts.since and opts.until and opts.since > opts.until:
        raise ArgumentError(f"--since {opts.since} is after --until {opts.until}")
    return SearchFilters(source=opts.source, country=getattr(opts, "country", None),
                         language=getattr(opts, "lang", None), since=opts.since,
                         until=opts.until, speaker=getattr(opts, "speaker", None),
                         statement_type=getattr(opts, "statement_type", None),
                         mentions=getattr(opts, "mentions", None))


def check_filters(session, opts: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The filters checked against the archive the session reads: a value
    it does not hold is an ``ArgumentError`` (one line, exit status 2)
    naming the close matches, never a silent "0 hits"."""
    from crawler.enrich import STATEMENT_TYPES
    from reading.filters import UnknownValue
    from reading.filters import check_filters as check

    try:
        return check(session, search_filters(opts), STATEMENT_TYPES)
    except UnknownValue as exc:
        raise ArgumentError(str(exc)) from None


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
