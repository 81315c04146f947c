"""``demarche reextract``: today's extraction over the responses the archive
already holds, so that better cleaning reaches old rows without a crawl.

Each article with a WARC record (``warc_file``, ``warc_offset``) is read
back and extracted again, with its source's learned chrome stripped as at
archive time. A row whose text or metadata came out different is updated
in place, with the new extractor's name and hash: it is the same response,
read better, not a new version of the statement. Rows whose record is gone
or unreadable, or whose page extraction now rejects, are reported and left
as they are.

Rows go in chunks of ``CHUNK``, each one transaction, and a row whose
``extractor_hash`` is current is skipped (``everything=True``, ``--all``,
examines it all the same): a run that is stopped resumes where it was when
started again. The pages are extracted in a pool of local processes, or
on a Dask cluster (``--scheduler``, ``--local``: ``batch.cluster``), whose
workers must be able to open the WARC URIs.

Every row is also enriched again (type, speakers, quotes, countries...)
when its text changed or the enrichment rules did (``enricher_hash``):
from its WARC record when it has one, else from the archived title and
text, so that rows archived before enrichment existed get it too.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from batch.warcfiles import DAMAGE, read_response
from crawler.extraction import boilerplate
from crawler.extraction.draft import Rejected
from crawler.extraction.provenance import extractor_hash
from crawler.ingest.archiving import learned_lines
from crawler.ingest.processing import enrich_statement, enricher_hash, load_rules, process_page
from crawler.ingest.workers import DEFAULT_BOUNDS, BoundedPool, PageBounds, bounded_map
from crawler.items import FetchedPage, Statement
from crawler.sources import Source
from storage.archive import content_hash
from storage.bounds import fit_row
from storage.clusters import index_article, lock_index
from storage.engine import open_archive
from storage.models import Article, SourceRow
from storage.statements import store_enrichment
from storage.warc_uris import join

# What a re-extraction may change besides the text.
_FIELDS = ("title", "body", "published_at", "author", "language", "canonical_url", "standfirst")


@dataclass
class ReextractSummary:
    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0  # no record, or it cannot be read
    enriched: int = 0  # rows whose enrichment was made again
    rejected: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    workers: int = 1
    total: int = 0  # rows with a WARC record to examine
    dashboard: str | None = None


def resolve_warc(name: str, folder: Path | str) -> str:
    """The URI of a stored WARC location: a URI as it is, an older row's
    bare name in ``folder`` (an archive not yet at revision 0009)."""
    return join(folder, name)


@dataclass(frozen=True)
class _Job:
    article_id: int
    source: Source | None
    source_key: str
    path: str  # a URI (storage.warc_uris)
    offset: int
    learned: frozenset[str]  # the source's learned chrome lines (keys)


def _run(job: _Job) -> tuple[int, Statement | Rejected | None]:
    try:
        response = read_response(job.path, job.offset)
    except (*DAMAGE, LookupError):
        return job.article_id, None
    page = FetchedPage(source=job.source_key, url=response.url, status=response.status,
                       content_type=response.content_type, body=response.body,
                       fetched_at=response.date, warc_file=None, warc_offset=job.offset)
    try:
        result = process_page(page, job.source)
        if isinstance(result, Rejected):
            return job.article_id, result
        # Enriched as the archive stores it: without the learned chrome.
        result = dataclasses.replace(result, body=boilerplate.strip_lines(result.body, job.learned))
        return job.article_id, enrich_statement(result, job.source)
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the run
        return job.article_id, Rejected("error", repr(exc))


@dataclass(frozen=True)
class _TextJob:
    """An archived row to enrich from its stored text (no WARC record)."""

    article_id: int
    source: Any
    statement: Statement


def _enrich(job: _TextJob) -> tuple[int, Statement | Rejected]:
    try:
        return job.article_id, enrich_statement(job.statement, job.source)
    except Exception as exc:  # noqa: BLE001 - one bad row must not stop the run
        return job.article_id, Rejected("error", repr(exc))


def _stored(article: Article) -> Statement:
    return Statement(source=article.source, url=article.url,
                     canonical_url=article.canonical_url, title=article.title,
                     body=article.body, published_at=article.published_at,
                     author=article.author, language=article.language,
                     section=article.section, site_name=article.site_name,
                     fetched_at=article.last_seen_at, standfirst=article.standfirst)


def _same_moment(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    # The archive keeps whole seconds in UTC.
    return a.astimezone(UTC).replace(microsecond=0) == b.astimezone(UTC).replace(microsecond=0)


def _published(archived: datetime | None, new: datetime | None) -> datetime | None:
    """The crawl may have known more than the page: a feed's or sitemap's
    time of day, or the date itself. A re-extraction that finds only the
    day, or nothing, keeps what was archived."""
    if new is None:
        return archived
    if archived is not None:
        day = new.astimezone(UTC)
        if day.time() == datetime.min.time() and day.date() == archived.astimezone(UTC).date():
            return archived
    return new


# Rows a chunk reads, extracts and writes in one transaction: an
# interrupted run keeps every chunk it finished, and the rows of those
# chunks (their extractor hash now current) are skipped when it runs again.
CHUNK = 500
# Rows a Dask task extracts: a few seconds of a worker's time.
TASK_ROWS = 25


def _pending(source: str | None, everything: bool) -> Any:
    """The rows with a WARC record still to examine: all of them, or those
    whose text an older extractor made."""
    query = select(Article.id, Article.source, Article.warc_file, Article.warc_offset).where(
        Article.warc_file.is_not(None), Article.warc_offset.is_not(None))
    if not everything:
        query = query.where(or_(Article.extractor_hash.is_(None),
                                Article.extractor_hash != extractor_hash()))
    if source is not None:
        query = query.where(Article.source == source)
    return query


def _run_many(jobs: list[_Job]) -> list[tuple[int, Statement | Rejected | None]]:
    """A Dask task: several rows, each extracted inline (a Dask worker is
    a daemon process and cannot fork a pool)."""
    return [_run(job) for job in jobs]


class _Extractor:
    """Where a chunk's rows are extracted: a local pool, or a Dask cluster."""

    def __init__(self, workers: int, bounds: PageBounds, client: Any = None) -> None:
        self.client = client
        self.workers = workers
        self.bounds = bounds
        self.pool: BoundedPool | None = None

    def __enter__(self) -> _Extractor:
        if self.client is None:
            load_rules()
            self.pool = BoundedPool(self.workers, self.bounds).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.__exit__(*exc)

    def run(self, jobs: list[_Job]) -> Iterator[tuple[int, Statement | Rejected | None]]:
        if self.client is not None:
            from batch.cluster import ordered_map

            slices = [jobs[i:i + TASK_ROWS] for i in range(0, len(jobs), TASK_ROWS)]
            for results in ordered_map(self.client, _run_many, slices, window=4 * self.workers):
                yield from results
            return
        assert self.pool is not None
        yield from bounded_map(
            self.pool, _run, jobs, 16 * self.workers,
            costly=lambda job, error: (job.article_id, Rejected("too_costly", str(error))))


def reextract(archive_url: str, warc_folder: Path | str, registry: Mapping[str, Source], *,
              source: str | None = None, workers: int | None = None,
              bounds: PageBounds | None = None, everything: bool = False,
              chunk: int = CHUNK, scheduler: str | None = None, local: int | None = None,
              started: Callable[[ReextractSummary], None] | None = None,
              progress: Callable[[ReextractSummary], None] | None = None) -> ReextractSummary:
    """Extract the kept responses again, ``chunk`` rows a transaction;
    rows whose extractor hash is current are skipped unless ``everything``.
    Each page is held to ``bounds``, as in the crawl (a page past them is
    rejected now, its row kept). With ``scheduler`` or ``local`` the pages
    are extracted on a Dask cluster (``batch.cluster``) instead of a pool."""
    bounds = bounds or DEFAULT_BOUNDS
    engine = open_archive(archive_url)
    summary = ReextractSummary(workers=max(1, workers or os.cpu_count() or 1))
    started_at = time.perf_counter()
    query = _pending(source, everything)
    with Session(engine) as session:
        summary.total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    done: set[int] = set()
    with ExitStack() as stack:
        client = None
        if scheduler or local:
            from batch.cluster import dashboard, dask_client, worker_count

            client = stack.enter_context(dask_client(scheduler, local))
            summary.workers = max(1, worker_count(client))
            summary.dashboard = dashboard(client)
        if started:
            started(summary)
        extractor = stack.enter_context(_Extractor(summary.workers, bounds, client))
        last = 0
        while True:
            with Session(engine) as session:
                rows = session.execute(query.where(Article.id > last).order_by(Article.id)
                                       .limit(chunk)).all()
                learned = learned_lines(session, {r.source for r in rows})
            if not rows:
                break
            last = rows[-1].id
            jobs = [_Job(r.id, registry.get(r.source), r.source, resolve_warc(r.warc_file,
                         warc_folder), r.warc_offset, frozenset(learned.get(r.source, ())))
                    for r in rows]
            updates: list[tuple[int, Statement]] = []
            for article_id, result in extractor.run(jobs):
                summary.examined += 1
                if result is None:
                    summary.missing += 1
                elif isinstance(result, Rejected):
                    summary.rejected[result.reason] += 1
                else:
                    updates.append((article_id, result))
            _write_chunk(engine, updates, summary)
            done |= {article_id for article_id, _ in updates}
            if progress:
                progress(summary)
    _enrich_stored(engine, registry, source, done, summary, bounds)
    summary.seconds = time.perf_counter() - started_at
    if progress:
        progress(summary)
    return summary


def _write_chunk(engine: Any, updates: list[tuple[int, Statement]],
                 summary: ReextractSummary) -> None:
    """One chunk's rows updated in one transaction."""
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        if updates:
            lock_index(session)
        for article_id, statement in updates:
            article = session.get(Article, article_id)
            assert article is not None
            # Fitted to the columns as the write path stores them, or a
            # section cut on the way in would count as changed every time.
            new = fit_row(Article, {
                **{f: getattr(statement, f) for f in _FIELDS},
                "published_at": _published(article.published_at, statement.published_at)},
                row=article.url)
            differs = any(
                not _same_moment(getattr(article, f), new[f]) if f == "published_at"
                else getattr(article, f) != new[f]
                for f in _FIELDS
            )
            article.extractor = statement.extractor
            article.extractor_hash = statement.extractor_hash
            if differs:
                summary.changed += 1
                for name, value in new.items():
                    setattr(article, name, value)
                article.content_hash = content_hash(article.title, article.body)
                index_article(session, article.id, article.body, now)
            else:
                summary.unchanged += 1
            if statement.enrichment is not None and (
                    differs or article.enricher_hash != enricher_hash()):
                store_enrichment(session, article.id, statement.enrichment, enricher_hash())
                summary.enriched += 1


def _enrich_stored(engine: Any, registry: Mapping[str, Source], source: str | None,
                   done: set[int], summary: ReextractSummary, bounds: PageBounds,
                   batch: int = 500) -> None:
    """Enrich, from their archived text, the rows the WARC pass did not
    reach whose enrichment is missing or made by other rules; a
    transaction per batch, so an interrupted run keeps what it did."""
    current = enricher_hash()
    stale = select(Article).where(
        or_(Article.enricher_hash.is_(None), Article.enricher_hash != current))
    if source is not None:
        stale = stale.where(Article.source == source)
    last = 0
    with BoundedPool(summary.workers, bounds) as pool:
        while True:
            with Session(engine) as session:
                rows = session.scalars(stale.where(Article.id > last)
                                       .order_by(Article.id).limit(batch)).all()
                jobs = [_TextJob(a.id, registry.get(a.source) or _row_source(session, a.source),
                                 _stored(a)) for a in rows if a.id not in done]
            if not rows:
                return
            last = rows[-1].id
            results = list(bounded_map(
                pool, _enrich, jobs, 16 * summary.workers,
                costly=lambda job, error: (job.article_id, Rejected("too_costly", str(error)))))
            with Session(engine) as session, session.begin():
                for article_id, result in results:
                    if isinstance(result, Rejected):
                        summary.rejected[result.reason] += 1
                        continue
                    store_enrichment(session, article_id, result.enrichment, current)
                    summary.enriched += 1


def _row_source(session: Session, key: str) -> Any:
    """An imported site's row (kind and country) for a source the registry
    does not know."""
    return session.get(SourceRow, key)
