"""``demarche backfill FILE...``: ``demarche import-warc`` spread over a Dask
cluster, for years of WARC files at once.

The files (local paths or fsspec URLs: ``file://``, ``https://``,
``s3://``...) are cut into parts: a whole file, or, for a gzipped file
larger than a part (``PART_BYTES``, less for a small backfill: about four parts per
worker), byte ranges of it, each part reading the records
that begin in its range (``batch.warcfiles.record_start``). Each part is a
Dask task that reads its records, extracts, enriches and computes each
text's MinHash signature inline (Dask workers are daemon processes: they
cannot fork a pool of their own) and returns its statements.

This process, the client, writes them: in the order of the files and
records, in batches of ``warc_import.BATCH`` statements, each batch one
transaction through ``crawler.ingest.archiving.archive_batch``. So a
backfill builds the archive a one-process ``demarche import-warc`` of the
same files builds, row for row (learned chrome and syndication clusters
depend on the order texts arrive in), tasks are pure (a task whose worker
died is simply run again, and nothing of it was written), and a rerun marks
every page seen and adds nothing. The price is one writer: see
docs/scale.md for where that limits a backfill and what to do beyond it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from batch.warc_import import (
    BATCH,
    DAMAGE_LISTED,
    ImportSummary,
    SiteSource,
    SourceResolver,
    _extract_and_enrich,
    is_page,
)
from batch.warcfiles import (
    MAX_RECORD_SIZE,
    Damage,
    NotAnArchive,
    Skipped,
    check_archive,
    is_gzipped,
    iter_responses,
    record_start,
)
from crawler.extraction.draft import Rejected
from crawler.ingest.archiving import archive_batch, retried
from crawler.items import FetchedPage, Statement
from crawler.sources import Source
from storage.archive import sync_sources
from storage.engine import open_archive
from storage.warc_uris import local_path, to_uri, warc_size

# A part of about a minute of one worker's extraction (25 pages/s of
# ~40 KB gzipped records): small enough that a lost worker costs little
# and ten workers share a single large CC-NEWS file (1 GB), large enough
# that a task's overhead (a few milliseconds) does not show.
PART_BYTES = 64 * 1024 * 1024
# A backfill of a few small files is still cut into about four parts per
# worker, or one worker would read a whole file while the others wait; a
# part is at least this large, so its task's overhead stays small.
MIN_PART_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Part:
    """Records of one file: those beginning in ``[start, end)``."""

    location: str
    start: int
    end: int | None
    size: int


@dataclass
class PartResult:
    statements: list[Statement]
    # Every source a page of the part was matched to (rows to write).
    sources: dict[str, Source | SiteSource]
    records: int = 0
    pages: int = 0
    skipped: int = 0
    too_large: int = 0
    damaged_records: int = 0
    damaged: list[Damage] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)
    bytes: int = 0


def expand(location: str) -> list[str]:
    """A URL with a wildcard (``s3://bucket/cc-news/*.warc.gz``, which no
    shell expands) as the files it matches, in name order."""
    if not any(c in location for c in "*?[") or local_path(location) is not None:
        return [location]
    from fsspec.core import url_to_fs

    fs, pattern = url_to_fs(location)
    return [fs.unstrip_protocol(path) for path in sorted(fs.glob(pattern))] or [location]


def check_all(locations: Iterable[str]) -> None:
    """Raise NotAnArchive, naming each, when a file is missing or no WARC."""
    problems = []
    for location in locations:
        try:
            check_archive(location)
        except NotAnArchive as exc:
            problems.append(str(exc))
    if problems:
        raise NotAnArchive("; ".join(problems))


def plan_parts(locations: list[str], part_bytes: int = PART_BYTES) -> list[Part]:
    """The parts of each file, in order. Every file is looked at first: one
    that is missing or no archive stops the backfill before it starts."""
    check_all(locations)
    parts = []
    for location in locations:
        size = warc_size(location)
        if size <= part_bytes or not is_gzipped(location):
            parts.append(Part(location, 0, None, size))
            continue
        for start in range(0, size, part_bytes):
            end = min(start + part_bytes, size)
            parts.append(Part(location, start, end if end < size else None, end - start))
    return parts


def read_part(part: Part, registry: Mapping[str, Source], source: str | None,
              max_size: int = MAX_RECORD_SIZE) -> PartResult:
    """Extract, enrich and sign the article pages of one part (a Dask
    task, or a plain call: the same function either way)."""
    resolve = SourceResolver(registry, source)
    result = PartResult([], {}, bytes=part.size)
    start = record_start(part.location, part.start) if part.start else 0
    if start is None or (part.end is not None and start >= part.end):
        return result
    for item in iter_responses(part.location, max_size, start=start, end=part.end):
        result.records += 1
        if isinstance(item, Damage):
            result.damaged_records += 1
            if len(result.damaged) < DAMAGE_LISTED:
                result.damaged.append(item)
            continue
        if isinstance(item, Skipped) or not is_page(item):
            if isinstance(item, Skipped) and item.reason == "too_large":
                result.too_large += 1
            else:
                result.skipped += 1
            continue
        owner = resolve(item.url)
        result.sources.setdefault(owner.key, owner)
        if isinstance(owner, Source) and not owner.is_article_url(item.url):
            result.skipped += 1  # a listing, feed or menu page of a known source
            continue
        result.pages += 1
        page = FetchedPage(
            source=owner.key, url=item.url, status=item.status,
            content_type=item.content_type, body=item.body, fetched_at=item.date,
            etag=item.etag, last_modified=item.last_modified,
            warc_file=part.location, warc_offset=item.offset)
        # Enriched and signed (MinHash) here, beside the extraction. (No
        # learned chrome: parts run ahead of the writer; the archive
        # enriches again what it stores shortened.)
        extracted = _extract_and_enrich((page, owner))
        if isinstance(extracted, Rejected):
            result.rejected[extracted.reason] += 1
            continue
        result.statements.append(extracted)
    return result


@dataclass
class BackfillSummary(ImportSummary):
    parts: int = 0
    parts_done: int = 0
    records: int = 0
    dashboard: str | None = None


class _Writer:
    """Batches of statements, in order, into the archive."""

    def __init__(self, archive_url: str, summary: BackfillSummary) -> None:
        self.engine = open_archive(archive_url)
        self.summary = summary
        self.batch: list[Statement] = []
        self.unsynced: dict[str, Source | SiteSource] = {}
        self.synced: set[str] = set()

    def add(self, result: PartResult) -> None:
        for key, owner in result.sources.items():
            if key not in self.synced:
                self.unsynced.setdefault(key, owner)
        for statement in result.statements:
            self.batch.append(statement)
            if len(self.batch) >= BATCH:
                self.flush()

    def flush(self) -> None:
        if not self.batch and not self.unsynced:
            return
        def transaction() -> Counter[str]:
            with Session(self.engine) as session, session.begin():
                if self.unsynced:
                    sync_sources(session, list(self.unsynced.values()), datetime.now(UTC))
                return archive_batch(session, self.batch)

        self.summary.outcomes.update(retried(transaction))
        self.synced |= set(self.unsynced)
        self.unsynced.clear()
        self.batch = []


def _count(summary: BackfillSummary, result: PartResult) -> None:
    summary.parts_done += 1
    summary.records += result.records
    summary.pages += result.pages
    summary.skipped += result.skipped
    summary.too_large += result.too_large
    summary.damaged_records += result.damaged_records
    summary.damaged.extend(result.damaged[:DAMAGE_LISTED - len(summary.damaged)])
    summary.rejected.update(result.rejected)


def backfill(locations: Iterable[str], archive_url: str, registry: Mapping[str, Source], *,
             source: str | None = None, scheduler: str | None = None,
             local: int | None = None, max_size: int = MAX_RECORD_SIZE,
             part_bytes: int | None = None,
             started: Callable[[BackfillSummary], None] | None = None,
             progress: Callable[[BackfillSummary, PartResult], None] | None = None
             ) -> BackfillSummary:
    """Archive the article pages of WARC files (paths or URLs) on a Dask
    cluster: ``scheduler`` (``tcp://HOST:8786``), else ``local`` worker
    processes. ``started`` is called once the cluster is up (the summary
    has its dashboard and worker count), ``progress`` after each part."""
    from batch.cluster import dashboard, dask_client, ordered_map, worker_count

    if source is not None and source not in registry:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(registry)}")
    uris = [to_uri(found) for location in locations for found in expand(str(location))]
    check_all(uris)  # before a cluster is started for nothing
    summary = BackfillSummary(files=len(uris))
    began = time.perf_counter()
    writer = _Writer(archive_url, summary)
    with dask_client(scheduler, local) as client:
        summary.workers = max(1, worker_count(client))
        summary.dashboard = dashboard(client)
        if part_bytes is None:
            total = sum(warc_size(uri) for uri in uris)
            part_bytes = min(PART_BYTES, max(MIN_PART_BYTES, total // (4 * summary.workers)))
        parts = plan_parts(uris, part_bytes)
        summary.parts = len(parts)
        if started:
            started(summary)
        # The registry (about 11 kB) goes with each task rather than
        # scattered once: a scattered value lives on the workers, so a
        # killed worker can take its only copy and with it every task that
        # needs it; a task that carries its own copy can be run again.
        shared = dict(registry)
        # Enough parts queued that no worker waits while the client writes.
        window = 4 * summary.workers
        for result in ordered_map(client, read_part, parts, window=window,
                                  args=(shared, source, max_size)):
            _count(summary, result)
            writer.add(result)
            if progress:
                progress(summary, result)
        writer.flush()
    summary.seconds = time.perf_counter() - began
    return summary
