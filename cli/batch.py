"""``demarche import-warc``, ``demarche reextract`` and ``demarche extract``:
the batch jobs over WARC files, the archive's kept responses, and folders of
saved pages. Import and re-extraction show their progress on a terminal
(``cli.progress``; ``--quiet`` hides it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.options import add_archive, add_command, settings_of, workers
from cli.progress import add_quiet, progress_bar
from crawler.params import ArgumentError


def cmd_import_warc(opts: argparse.Namespace) -> int:
    from batch.warc_import import import_warcs
    from batch.warcfiles import NotAnArchive
    from crawler.ingest.workers import PageBounds
    from crawler.sources import registry_of

    settings = settings_of(opts)
    registry = registry_of(settings)
    if opts.source and opts.source not in registry:
        raise ArgumentError(f"unknown source {opts.source!r}; known: {', '.join(registry)}")
    with progress_bar("B", scale=True, quiet=opts.quiet) as bar:
        shown = 0

        def progress(summary) -> None:  # type: ignore[no-untyped-def]
            nonlocal shown
            bar.set_total(summary.bytes_total)
            bar.update(summary.bytes_done - shown)
            shown = summary.bytes_done
            bar.note(pages=summary.pages, archived=summary.archived,
                     pages_s=f"{summary.pages / max(bar.elapsed, 1e-9):.1f}")

        try:
            summary = import_warcs(opts.files, settings.get("DEMARCHE_ARCHIVE_URL"), registry,
                                   source=opts.source, workers=workers(opts.workers),
                                   max_size=settings.getint("DOWNLOAD_MAXSIZE"),
                                   bounds=PageBounds.from_settings(settings),
                                   progress=progress if bar.shown else None)
        except NotAnArchive as exc:
            raise ArgumentError(str(exc)) from None
    print_import(summary)
    return 0


def print_import(summary) -> None:  # type: ignore[no-untyped-def]
    """The damaged records and the one-line summary of an import or backfill."""
    for damage in summary.damaged:
        print(f"skipped: {damage}")
    if summary.damaged_records > len(summary.damaged):
        print(f"skipped: {summary.damaged_records - len(summary.damaged)} more damaged records")
    out = summary.outcomes
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(summary.rejected.items())) or "none"
    print(f"{summary.files} file(s), {summary.pages} pages in {summary.seconds:.1f} s with "
          f"{summary.workers} worker(s) ({summary.pages / max(summary.seconds, 1e-9):.1f} "
          f"pages/s): {out['new']} new, {out['changed']} changed, {out['unchanged']} unchanged; "
          f"not articles: {rejected}; other records skipped: {summary.skipped}; "
          f"too large: {summary.too_large}; damaged records: {summary.damaged_records}")


def cmd_reextract(opts: argparse.Namespace) -> int:
    from batch.reextract import reextract
    from crawler.ingest.workers import PageBounds
    from crawler.middlewares.warc import warc_folder
    from crawler.sources import registry_of

    settings = settings_of(opts)
    registry = registry_of(settings)
    if opts.local is not None and opts.local < 1:
        raise ArgumentError("--local must be at least 1")
    with progress_bar("rows", quiet=opts.quiet) as bar:
        shown = 0

        def started(summary) -> None:  # type: ignore[no-untyped-def]
            if summary.dashboard:
                bar.write(f"Dask dashboard: {summary.dashboard}")

        def progress(summary) -> None:  # type: ignore[no-untyped-def]
            nonlocal shown
            bar.set_total(summary.total)
            bar.update(summary.examined - shown)
            shown = summary.examined
            bar.note(changed=summary.changed, missing=summary.missing)

        summary = reextract(settings.get("DEMARCHE_ARCHIVE_URL"), warc_folder(settings),
                            registry, source=opts.source, workers=workers(opts.workers),
                            bounds=PageBounds.from_settings(settings), everything=opts.all,
                            scheduler=opts.scheduler, local=opts.local, started=started,
                            progress=progress)
    rejected = sum(summary.rejected.values())
    print(f"{summary.examined} examined, {summary.changed} changed, {summary.unchanged} "
          f"unchanged, {summary.missing} without a readable record, {rejected} rejected now "
          f"(kept as they were), {summary.enriched} enriched again in {summary.seconds:.1f} s")
    return 0


def cmd_extract(opts: argparse.Namespace) -> int:
    from batch.corpus import extract_directory
    from crawler.ingest.workers import PageBounds

    if not opts.directory.is_dir():
        raise ArgumentError(f"not a folder: {opts.directory}")
    try:
        summary = extract_directory(opts.directory, opts.out, workers(opts.workers),
                                    PageBounds.from_settings(settings_of(opts)))
    except FileNotFoundError as exc:
        raise ArgumentError(str(exc)) from None
    print(f"{summary.pages} pages, {summary.failed} without text, "
          f"{summary.seconds:.2f} s with {summary.workers} worker(s) "
          f"({summary.pages / summary.seconds:.1f} pages/s) -> {opts.out}")
    return 0


def register(sub) -> None:  # type: ignore[no-untyped-def]
    extract = add_command(
        sub, "extract", help="extract every <id>.html of a folder to JSONL",
        description="Extract the main text of every <id>.html in a folder of saved pages, "
        "in parallel, to one JSON Lines file; the archive is not touched.",
        examples=["demarche extract pages/ --out pages.jsonl --workers 4"])
    extract.add_argument("directory", type=Path, metavar="DIR",
                         help="folder of <id>.html files (and an optional ground_truth.jsonl giving each id its url)")
    extract.add_argument("--out", type=Path, required=True, metavar="FILE.jsonl",
                         help="where the records go, one JSON line per page in id order")
    extract.add_argument("--workers", type=int, default=None,
                         help="processes (default: one per core)")
    extract.set_defaults(func=cmd_extract)

    imp = add_command(
        sub, "import-warc", help="archive the article pages of WARC files",
        description="Archive the article pages of WARC files (from this crawler or another "
        "one) as a crawl would: each page is matched to its source by domain, extracted, "
        "enriched and stored; pages that are not articles are counted and skipped.",
        examples=["demarche import-warc crawls/*.warc.gz --source mid_ru_en",
                  "demarche import-warc old.warc.gz --archive sqlite:///data/archive.db"])
    imp.add_argument("files", nargs="+", metavar="FILE",
                     help="WARC or ARC files: paths, or URLs (s3://, https://: the cluster extra)")
    imp.add_argument("--source", help="registry key for every page (default: by domain)")
    imp.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    add_quiet(imp)
    add_archive(imp)
    imp.set_defaults(func=cmd_import_warc)

    reext = add_command(
        sub, "reextract", help="extract the kept WARC responses again",
        description="Extract every archived article again from the response kept in its "
        "WARC record, with today's extractor, and enrich it again: better cleaning reaches "
        "old rows without a crawl. A row that comes out different is updated in place (same "
        "response, read better); one whose record is gone is reported and left as it is. "
        "Rows go in chunks of 500, one transaction each, and rows today's extractor made "
        "are skipped (--all takes them too): a stopped run resumes when started again.",
        examples=["demarche reextract --source mid_ru_en --workers 2",
                  "demarche reextract --archive sqlite:///data/archive.db",
                  "demarche reextract --scheduler tcp://10.0.0.5:8786"])
    reext.add_argument("--source", help="only this source's articles")
    reext.add_argument("--all", action="store_true",
                       help="also the rows today's extractor made (default: only older ones)")
    reext.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    where = reext.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:8786",
                       help="extract on this Dask scheduler's workers (the cluster extra)")
    where.add_argument("--local", type=int, metavar="N",
                       help="extract on a Dask cluster of N local worker processes")
    add_quiet(reext)
    add_archive(reext)
    reext.set_defaults(func=cmd_reextract)
