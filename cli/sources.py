"""``demarche sources`` and ``demarche status``: the registered sources, and
the health of each from the run ledger; ``demarche sources check``, each
source's entry points tried on its live site."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from tabulate import tabulate

from cli.options import add_archive, add_command, settings_of
from cli.output import when


def cmd_sources(opts: argparse.Namespace) -> int:
    from crawler.runner import project_settings
    from crawler.sources import registry_of

    sources = registry_of(project_settings())
    rows = [(s.key, s.kind, s.country, s.language, s.spider, s.name) for s in sources.values()]
    print(tabulate(rows, headers=["key", "kind", "country", "lang", "spider", "name"]))
    return 0


def cmd_sources_check(opts: argparse.Namespace) -> int:
    from crawler.check import check_sources, row_toml
    from crawler.params import ArgumentError
    from crawler.sources import registry_of

    settings = settings_of(opts)
    sources = registry_of(settings)
    unknown = [key for key in opts.keys if key not in sources]
    if unknown:
        raise ArgumentError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sources)}")
    chosen = [sources[key] for key in opts.keys] if opts.keys else list(sources.values())
    results = check_sources(chosen, settings, timeout=opts.timeout)
    print(tabulate([(r.source.key, "OK" if r.ok else "FAIL", r.articles, r.entry_point, r.reason)
                    for r in results],
                   headers=["source", "check", "articles", "entry point", "why"]))
    for result in results:
        for suggestion in result.suggestions:
            print(f"\n# {result.source.key}: {suggestion.found}, {suggestion.articles} article "
                  f"links. A row to try in place of the registered one:\n{row_toml(suggestion.row)}")
    failed = sum(not r.ok for r in results)
    print(f"\n{len(results) - failed} OK, {failed} FAIL", file=sys.stderr)
    return 1 if failed else 0


def cmd_status(opts: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlalchemy.orm import Session

    from crawler.sources import registry_of
    from reading.health import source_health
    from storage.engine import ArchiveError, describe, make_engine

    settings = settings_of(opts)
    sources = registry_of(settings)
    quiet = {key: s.quiet_after for key, s in sources.items()}
    url = settings.get("DEMARCHE_ARCHIVE_URL")
    _close_lost_runs(url)
    try:
        with Session(make_engine(url, read_only=True)) as session:
            rows = source_health(session, quiet, datetime.now(UTC))
    except (OperationalError, ProgrammingError) as exc:
        raise ArchiveError(f"cannot read the run ledger of {describe(url)}: {exc.orig}") from exc
    table = [
        (r.source, r.health + (f" ({r.detail})" if r.detail else ""),
         f"{when(r.last_run_at)} {r.last_run_status or ''}".strip(), r.last_run_machine or "-",
         when(r.last_new_at), r.articles, r.new_7d, ", ".join(r.flags))
        for r in rows
    ]
    print(tabulate(table, headers=["source", "health", "last run (UTC)", "machine",
                                   "last new article", "articles", "new 7 d", "flags"]))
    return 0


def _close_lost_runs(url: str) -> None:
    """Runs left ``running`` by a crawl that died are closed as ``lost``
    before health is judged; an archive this user cannot write is only
    read."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from storage.engine import ArchiveError, make_engine
    from storage.runs import close_lost_runs

    try:
        make_engine(url, read_only=True).dispose()  # no archive: nothing to close, none made
        engine = make_engine(url)
        try:
            with Session(engine) as session, session.begin():
                for run_id in close_lost_runs(session, datetime.now(UTC)):
                    print(f"run {run_id} was left running by a crawl that died: closed as lost",
                          file=sys.stderr)
        finally:
            engine.dispose()
    except (SQLAlchemyError, ArchiveError):
        return


def register(sub) -> None:  # type: ignore[no-untyped-def]
    sources = add_command(
        sub, "sources", help="list the registered sources",
        description="List the registered sources (the bundled registry, or the file "
        "DEMARCHE_SOURCES names): key, kind, country, language, spider and name.",
        examples=["demarche sources",
                  "DEMARCHE_SOURCES=my-sources.toml demarche sources",
                  "demarche sources check mid_ru_en"])
    sources.set_defaults(func=cmd_sources)
    check = add_command(
        sources.add_subparsers(dest="sources_command", metavar="{check}"), "check",
        help="try each source's entry points on its live site",
        description="Fetch each entry point of the sources (all, or the KEYs named), count "
        "the article links its spider finds there, extract one article, and print OK or "
        "FAIL with the reason (an HTTP status, moved, a timeout, no article links, a "
        "pattern that matches nothing). For a failing entry point, the site's feeds and "
        "sitemaps are looked for and each that yields articles is printed as a registry "
        "row to try. Exits 1 when any entry point fails. Needs the network.",
        examples=["demarche sources check", "demarche sources check mid_ru_en state_gov_releases"])
    check.add_argument("keys", nargs="*", metavar="KEY", help="sources to check (default: all)")
    check.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                       help="give up on a page after this long (default: 20)")
    check.set_defaults(func=cmd_sources_check)

    status = add_command(
        sub, "status", help="health of every source from the run ledger",
        description="The health of every source from the archive's run ledger: its last run, "
        "its last new article, how many it has and found this week, and why it is flagged.",
        examples=["demarche status", "demarche status --archive sqlite:///data/archive.db"])
    add_archive(status)
    status.set_defaults(func=cmd_status)
