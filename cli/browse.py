"""``demarche browse`` and ``demarche report``: the archive for people, live
in a browser (Datasette) or as a static HTML report."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from cli.options import add_archive, add_command, archive_url, search_archive, settings_of
from crawler.params import ArgumentError


def port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (1 to 65535)")
    return number


def _check_free(host: str, number: int) -> None:
    """Say so before anything is served when the address cannot be
    listened on (taken, or not this machine's)."""
    import socket

    try:
        with socket.create_server((host, number)):
            pass
    except OSError as exc:
        raise ArgumentError(f"cannot listen on {host}:{number}: {exc.strerror or exc}") from None


def cmd_browse(opts: argparse.Namespace) -> int:
    from crawler.sources import registry_of
    from reading.browse import can_be_immutable, serve, sqlite_archive

    url = archive_url(opts)
    path = sqlite_archive(url)  # a PostgreSQL archive is refused with a message
    search_archive(url).dispose()  # at the current schema: the statements view
    # Immutable only when nothing may write the file: a crawl that starts
    # later would change pages under an immutable reader ("malformed").
    immutable = can_be_immutable(path)
    mode = "immutable: nothing writes it" if immutable else "read-only, live"
    from crawler.middlewares.warc import warc_folder

    settings = settings_of(opts)
    # The source pages judge health as `demarche status` does.
    quiet = {key: s.quiet_after for key, s in registry_of(settings).items()}
    _check_free(opts.host, opts.port)
    print(f"serving {path} ({mode}) at http://{opts.host}:{opts.port}/ ; Ctrl-C stops",
          file=sys.stderr)
    serve(path, opts.host, opts.port, immutable=immutable, warc_folder=warc_folder(settings),
          quiet_after=quiet)
    return 0


def cmd_report(opts: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from crawler.sources import registry_of
    from reading.report import (
        ReportPathError,
        check_report_folder,
        gather,
        screenshot,
        write_report,
    )
    from storage.engine import describe

    settings = settings_of(opts)
    url = settings.get("DEMARCHE_ARCHIVE_URL")
    sources = registry_of(settings)
    quiet = {key: s.quiet_after for key, s in sources.items()}
    try:
        check_report_folder(opts.out, opts.force)  # before the archive is read
    except ReportPathError as exc:
        raise ArgumentError(str(exc)) from None
    with Session(search_archive(url)) as session:
        report = gather(session, quiet, datetime.now(UTC), describe(url),
                        {key: s.name for key, s in sources.items()})
    page = write_report(report, opts.out, opts.force)
    print(f"{sum(report.totals.values())} statements of {len(report.totals)} sources -> {page}")
    if opts.screenshot:
        try:
            print(f"screenshot -> {screenshot(page, opts.screenshot)}")
        except (FileNotFoundError, ReportPathError) as exc:
            raise ArgumentError(str(exc)) from None
    return 0


def register(sub) -> None:  # type: ignore[no-untyped-def]
    browse = add_command(
        sub, "browse", help="serve the SQLite archive read-only with Datasette",
        description="Serve a SQLite archive read-only in the browser: a reading room "
        "(a page per statement with its archived copy and citation, per speaker, source "
        "and country, faceted search, charts) in front of Datasette's tables and SQL, on "
        "this machine only unless --host says otherwise. Ctrl-C stops it.",
        examples=["demarche browse", "demarche browse --archive sqlite:///data/archive.db "
                  "--port 8080"])
    add_archive(browse)
    browse.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    browse.add_argument("--port", type=port, default=8001, help="port (default 8001)")
    browse.set_defaults(func=cmd_browse)

    report = add_command(
        sub, "report", help="write a static HTML report with charts",
        description="Write a static HTML report of the archive (index.html, with its "
        "charts) into a folder: first for the reader (statements over time, top speakers, "
        "kinds of statement, countries named, relayed stories, edits and takedowns, the "
        "newest statements), then for the operator (size and health of each source); and "
        "optionally a screenshot of the whole page as headless Chromium draws it.",
        examples=["demarche report --out build/report",
                  "demarche report --out build/report --screenshot report.png "
                  "--archive sqlite:///data/archive.db"])
    report.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder for index.html (made if missing; its parent must exist)")
    report.add_argument("--force", action="store_true",
                        help="overwrite an index.html in DIR that is not a demarche report")
    add_archive(report)
    report.add_argument("--screenshot", type=Path, metavar="FILE.png",
                        help="also save the whole report, as tall as it is, as headless "
                        "Chromium draws it")
    report.set_defaults(func=cmd_report)
