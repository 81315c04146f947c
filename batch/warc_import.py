"""``demarche import-warc FILE...``: article pages from any WARC file into
the archive, through the crawler's own extraction, cleaning and dedup.

Each response record with status 200 and an HTML or PDF body is a page.
It belongs to ``--source`` if given, else to the registered source whose
domains hold its URL (and whose article pattern it fits: a registered
source's listing pages are skipped), else to a source row made for its site
(key ``site_<host>``), where extraction alone decides what is an article. Pages are extracted in a pool of worker processes while
this process reads the files and writes batches; each batch is one
transaction, so an import killed halfway leaves whole rows only, and
importing again archives every page exactly once (rows are keyed by URL;
an unchanged page is just marked seen). A damaged or truncated record is
reported and skipped, never archived in part; a record over the size cap
(the crawl's DOWNLOAD_MAXSIZE) is skipped unread and counted; the import
goes on. A path that is not a WARC or ARC file stops the import before it
starts (``NotAnArchive``). A file is a path or a URL (``s3://``,
``https://``: fsspec, the ``cluster`` extra); each row keeps its record's
file as a URI (``file:///...`` for a local one: ``storage.warc_uris``).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

# (This command extracts: the extraction loads with it, as it did when
# ``crawler.ingest.processing`` imported it for every process.)
import crawler.extraction.extract  # noqa: F401
from batch.warcfiles import (
    MAX_RECORD_SIZE,
    Damage,
    NotAnArchive,
    Skipped,
    WarcResponse,
    check_archive,
    iter_responses,
)
from crawler.extraction.draft import Rejected
from crawler.ingest.archiving import archive_batch, retried
from crawler.ingest.processing import load_rules, process_and_enrich, process_page
from crawler.ingest.workers import DEFAULT_BOUNDS, BoundedPool, PageBounds, bounded_map
from crawler.items import FetchedPage, Statement
from crawler.sources import Source
from storage.archive import sync_sources
from storage.engine import open_archive
from storage.warc_uris import to_uri, warc_size

BATCH = 200
# Damaged records listed in the report: a file of a million damaged
# records says how many there are and where the first ones lie, in
# bounded memory.
DAMAGE_LISTED = 20
# Bodies that can be a statement; anything else is not worth a worker's time.
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "application/pdf", "text/plain")


@dataclass
class ImportSummary:
    files: int = 0
    pages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    # Response records over the size cap, left unread.
    too_large: int = 0
    damaged_records: int = 0
    damaged: list[Damage] = field(default_factory=list)  # the first DAMAGE_LISTED
    seconds: float = 0.0
    workers: int = 1
    # How far reading has gone, in bytes of all the files, for progress.
    bytes_done: int = 0
    bytes_total: int = 0

    @property
    def archived(self) -> int:
        return sum(self.outcomes[k] for k in ("new", "changed", "unchanged"))


@dataclass(frozen=True)
class SiteSource:
    """A source row for a site the registry does not know."""

    key: str
    name: str
    site_name: str
    domains: tuple[str, ...]
    kind: str = "imported"
    country: str = "ZZ"  # ISO 3166 "unknown"
    language: str = ""
    spider: str = "import"
    entry_points: tuple[str, ...] = ()
    publisher: str = ""
    section: str | None = None


def site_source(url: str) -> SiteSource:
    host = (urlsplit(url).hostname or "unknown").removeprefix("www.")
    key = "site_" + re.sub(r"[^a-z0-9]+", "_", host.lower()).strip("_")
    return SiteSource(key=key[:64], name=host, site_name=host, domains=(host,), publisher=host)


def is_page(response: WarcResponse) -> bool:
    if response.status != 200 or not response.body:
        return False
    kind = (response.content_type or "").split(";")[0].strip().lower()
    return not kind or kind in _PAGE_TYPES


def _extract(job: tuple[FetchedPage, Source | SiteSource | None]) -> Statement | Rejected:
    """Extract only: the archive enriches and signs the texts it stores as
    new or changed. A WARC holds many copies of a text (the same page
    fetched twice, under two URLs), and in ``make bench-import`` enriching
    and signing every page in the workers cost more than the writer's
    doing it for the new ones (a backfill's tasks do it: there the writer
    is the limit)."""
    page, source = job
    try:
        # A made-up site row has no registry rules: extracted without them.
        return process_page(page, source)
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the import
        return Rejected("error", repr(exc))


def _extract_and_enrich(job: tuple[FetchedPage, Source | SiteSource | None]
                        ) -> Statement | Rejected:
    """``_extract``, then the enrichment and signature (a backfill task)."""
    page, source = job
    try:
        return process_and_enrich(page, source)
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the import
        return Rejected("error", repr(exc))


class SourceResolver:
    """Which source a URL belongs to; made-up site rows are remembered."""

    def __init__(self, registry: Mapping[str, Source], forced: str | None) -> None:
        self.registry = registry
        self.forced = registry[forced] if forced else None
        self.sites: dict[str, SiteSource] = {}
        # Rows to copy into ``sources`` with the next batch, and those done.
        self.unsynced: dict[str, Source | SiteSource] = {}
        self.synced: set[str] = set()

    def __call__(self, url: str) -> Source | SiteSource:
        source: Source | SiteSource | None = self.forced
        if source is None:
            # Several sources may share a site (state.gov's briefings and
            # releases): the one whose article pattern the URL fits.
            owners = [s for s in self.registry.values() if s.owns_url(url)]
            source = next((s for s in owners if s.is_article_url(url)), None) or next(
                iter(owners), None)
        if source is None:
            site = site_source(url)
            source = self.sites.setdefault(site.key, site)
        if source.key not in self.synced:
            self.unsynced[source.key] = source
        return source



def _too_costly(job: tuple[FetchedPage, object], error: Exception) -> Rejected:
    return Rejected("too_costly", str(error))


def _jobs(paths: Iterable[Path | str], resolve: SourceResolver, summary: ImportSummary,
          max_size: int) -> Iterator[tuple[FetchedPage, Source | SiteSource]]:
    before = 0
    for path in paths:
        summary.files += 1
        warc_file = to_uri(path)
        for item in iter_responses(path, max_size):
            summary.bytes_done = before + item.offset
            if isinstance(item, Damage):
                summary.damaged_records += 1
                if len(summary.damaged) < DAMAGE_LISTED:
                    summary.damaged.append(item)
                continue
            if isinstance(item, Skipped):
                if item.reason == "too_large":
                    summary.too_large += 1
                else:
                    summary.skipped += 1  # a revisit, or a response without HTTP
                continue
            if not is_page(item):
                summary.skipped += 1
                continue
            source = resolve(item.url)
            if isinstance(source, Source) and not source.is_article_url(item.url):
                summary.skipped += 1  # a listing, feed or menu page of a known source
                continue
            summary.pages += 1
            yield FetchedPage(
                source=source.key, url=item.url, status=item.status,
                content_type=item.content_type, body=item.body, fetched_at=item.date,
                etag=item.etag, last_modified=item.last_modified,
                warc_file=warc_file, warc_offset=item.offset,
            ), source
        before += warc_size(path)
        summary.bytes_done = before


def import_warcs(paths: list[Path | str], archive_url: str, registry: Mapping[str, Source], *,
                 source: str | None = None, workers: int | None = None,
                 max_size: int = MAX_RECORD_SIZE, bounds: PageBounds | None = None,
                 progress: Callable[[ImportSummary], None] | None = None) -> ImportSummary:
    """Archive the article pages of WARC files. Each page's extraction is
    held to ``bounds`` (DEMARCHE_PAGE_SECONDS, DEMARCHE_PAGE_MEMORY_MB): a
    page past them is rejected as ``too_costly`` and the import goes on."""
    if source is not None and source not in registry:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(registry)}")
    # Every file is looked at before any is read: a mistyped path or a
    # file that is no archive stops the import before it writes anything.
    problems = []
    for path in paths:
        try:
            check_archive(path)
        except NotAnArchive as exc:
            problems.append(str(exc))
    if problems:
        raise NotAnArchive("; ".join(problems))
    engine = open_archive(archive_url)
    summary = ImportSummary(workers=max(1, workers or os.cpu_count() or 1),
                            bytes_total=sum(warc_size(path) for path in paths))
    resolve = SourceResolver(registry, source)
    started = time.perf_counter()
    batch: list[Statement] = []

    def write(statements: list[Statement], sources: list[Source | SiteSource]) -> None:
        def transaction() -> Counter[str]:
            with Session(engine) as session, session.begin():
                if sources:
                    sync_sources(session, sources, datetime.now(UTC))
                return archive_batch(session, statements)

        summary.outcomes.update(retried(transaction))
        if progress:
            progress(summary)

    # Batches are written by one thread while this one keeps the workers
    # fed: a batch's transaction takes about a second, which the workers
    # would otherwise spend idle. One write at a time, in order; a failed
    # write stops the import at the next batch.
    writing: Future[None] | None = None

    def flush() -> None:
        nonlocal writing
        if writing is not None:
            writing.result()
            writing = None
        if not batch and not resolve.unsynced:
            return
        sources = list(resolve.unsynced.values())
        resolve.synced |= set(resolve.unsynced)
        resolve.unsynced.clear()
        writing = writer.submit(write, batch.copy(), sources)
        batch.clear()

    # fork: this command runs no reactor or threads, and forked workers
    # start at once with everything imported (the writer thread starts
    # after the pool).
    load_rules()
    with BoundedPool(summary.workers, bounds or DEFAULT_BOUNDS) as pool, \
            ThreadPoolExecutor(1) as writer:
        jobs = _jobs(paths, resolve, summary, max_size)
        for result in bounded_map(pool, _extract, jobs, window=16 * summary.workers,
                                  costly=_too_costly):
            if isinstance(result, Rejected):
                summary.rejected[result.reason] += 1
                continue
            batch.append(result)
            if len(batch) >= BATCH:
                flush()
        flush()
        if writing is not None:
            writing.result()
    summary.seconds = time.perf_counter() - started
    return summary
