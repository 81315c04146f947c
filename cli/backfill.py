"""``demarche backfill FILE... [--scheduler tcp://HOST:8786 | --local N]``:
WARC files (paths or fsspec URLs) into the archive on a Dask cluster
(``batch/backfill.py``), with its progress on the terminal and the Dask
dashboard's address."""

from __future__ import annotations

import argparse

from cli.options import add_archive, add_command, settings_of
from cli.progress import add_quiet, progress_bar
from crawler.params import ArgumentError


def cmd_backfill(opts: argparse.Namespace) -> int:
    from batch.cluster import needs_dask

    try:
        needs_dask()
    except ImportError as exc:
        raise ArgumentError(str(exc)) from None
    from batch.backfill import backfill
    from batch.warcfiles import NotAnArchive
    from cli.batch import print_import
    from crawler.sources import registry_of

    settings = settings_of(opts)
    registry = registry_of(settings)
    if opts.source and opts.source not in registry:
        raise ArgumentError(f"unknown source {opts.source!r}; known: {', '.join(registry)}")
    if opts.local is not None and opts.local < 1:
        raise ArgumentError("--local must be at least 1")
    with progress_bar("parts", quiet=opts.quiet) as bar:

        def started(summary) -> None:  # type: ignore[no-untyped-def]
            where = opts.scheduler or f"a local cluster of {summary.workers} worker processes"
            # On stderr, with the bar: stdout keeps the result line alone.
            bar.write(f"{summary.files} file(s) in {summary.parts} parts on {where}; "
                      f"Dask dashboard: {summary.dashboard or 'none (pip install bokeh)'}")
            bar.set_total(summary.parts)

        def progress(summary, part) -> None:  # type: ignore[no-untyped-def]
            bar.update(1)
            bar.note(records=summary.records, pages=summary.pages,
                     pages_s=f"{summary.pages / max(bar.elapsed, 1e-9):.1f}")

        try:
            summary = backfill(opts.files, settings.get("DEMARCHE_ARCHIVE_URL"), registry,
                               source=opts.source, scheduler=opts.scheduler,
                               local=opts.local or (None if opts.scheduler else 2),
                               max_size=settings.getint("DOWNLOAD_MAXSIZE"),
                               started=started, progress=progress)
        except NotAnArchive as exc:
            raise ArgumentError(str(exc)) from None
    print_import(summary)
    return 0


def register(sub) -> None:  # type: ignore[no-untyped-def]
    cmd = add_command(
        sub, "backfill", help="import WARC files on a Dask cluster",
        description="Archive the article pages of WARC files, as import-warc does, with the "
        "reading, extraction and enrichment spread over a Dask cluster: a running scheduler "
        "(--scheduler) or worker processes started here (--local N, default 2). Files are "
        "paths or URLs (s3://, https://, file://: the cluster extra); large files are split "
        "into byte ranges. This process writes the archive, in file order: the result is "
        "the archive import-warc makes, and a rerun adds nothing.",
        examples=["demarche backfill crawls/*.warc.gz --local 2",
                  "demarche backfill s3://bucket/cc-news/*.warc.gz --scheduler tcp://10.0.0.5:8786"])
    cmd.add_argument("files", nargs="+", metavar="FILE", help="WARC or ARC files: paths or URLs")
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:8786",
                       help="a running Dask scheduler (`dask scheduler`, `dask worker ...`)")
    where.add_argument("--local", type=int, metavar="N",
                       help="start N local Dask worker processes (default: 2)")
    cmd.add_argument("--source", help="registry key for every page (default: by domain)")
    add_quiet(cmd)
    add_archive(cmd)
    cmd.set_defaults(func=cmd_backfill)
