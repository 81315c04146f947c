"""Fetched page in, clean statement out: a thin adapter around
``process_page`` (extraction, then enrichment).

trafilatura is CPU-bound (about 20 ms a page here) and would stall Twisted's
reactor, and with it every download, if called inline. The pipeline hands
each page to a process pool sized to the machine's cores and awaits the
result. The pool uses the ``spawn`` start method: forking a process that runs
a reactor and threads copies locks in unknown states.

A statement leaves with the ``Fetch`` of its response, for the archive to
record with it. A page rejected for a lasting reason is dropped with its
``Fetch`` too (``PageRejected.fetch``), which the archive records so that
later runs do not fetch it again until a signal says it changed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.extraction.draft import Rejected
from crawler.ingest.processing import process_page
from crawler.ingest.workers import worker_pool
from crawler.items import Fetch, FetchedPage, Statement

logger = logging.getLogger(__name__)

# Rejections that describe the page itself: its type (not HTML, an
# encrypted PDF), its structure (no main text, a caption, unparseable,
# oversized). They do not change by themselves, and an edit is caught like
# any other: a sitemap or feed signal, or the revisit of a young page (a
# stub completed on its first day). An empty body (``empty``) or a 200
# error page (``error_page``) is what a struggling server answers for a
# while: those pages are asked for again next run, like pages dropped for
# this run's ``since`` (``too_old``) or for an extraction crash.
LASTING_REJECTIONS = frozenset(
    {"not_html", "not_article", "no_article", "too_short", "malformed", "too_large"}
)


class PageRejected(DropItem):
    """A page with nothing to archive; ``fetch`` is set when the archive
    should remember the page as fetched."""

    def __init__(self, message: str, fetch: Fetch | None = None) -> None:
        super().__init__(message, log_level="INFO")
        self.fetch = fetch


class ExtractionPool:
    """One process pool per crawling process, shared by its crawlers."""

    _executor: ProcessPoolExecutor | None = None
    _users = 0

    @classmethod
    def acquire(cls, workers: int) -> ProcessPoolExecutor:
        if cls._executor is None:
            cls._executor = worker_pool(workers, start="spawn")
        cls._users += 1
        return cls._executor

    @classmethod
    def replace_broken(cls, workers: int) -> ProcessPoolExecutor:
        if cls._executor is not None:
            cls._executor.shutdown(wait=False, cancel_futures=True)
        cls._executor = worker_pool(workers, start="spawn")
        return cls._executor

    @classmethod
    def release(cls) -> None:
        cls._users -= 1
        if cls._users <= 0 and cls._executor is not None:
            cls._executor.shutdown(wait=True)
            cls._executor = None
            cls._users = 0


class ExtractionPipeline:
    def __init__(self, crawler: Crawler, workers: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        workers = crawler.settings.getint("DEMARCHE_EXTRACT_WORKERS") or os.cpu_count() or 1
        return cls(crawler, workers)

    def open_spider(self) -> None:
        self.pool = ExtractionPool.acquire(self.workers)

    def close_spider(self) -> None:
        ExtractionPool.release()

    async def _run(self, page: FetchedPage, source: Any) -> Statement | Rejected:
        assert self.pool is not None
        try:
            return await asyncio.wrap_future(self.pool.submit(process_page, page, source))
        except BrokenProcessPool:
            # A worker died (out of memory, a crash in lxml): count it, start
            # a fresh pool, and give the page one more chance.
            self.stats.inc_value("extract/worker_crash")
            logger.error("Extraction worker died on %s; restarting the pool", page.url)
            self.pool = ExtractionPool.replace_broken(self.workers)
            return await asyncio.wrap_future(self.pool.submit(process_page, page, source))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        try:
            result = await self._run(item, source)
        except Exception as exc:
            self.stats.inc_value("extract/error")
            logger.error("Extraction failed on %s: %r", item.url, exc)
            raise DropItem(f"extraction failed on {item.url}: {exc!r}", log_level="ERROR") from exc
        if isinstance(result, Rejected):
            self.stats.inc_value(f"extract/rejected/{result.reason}")
            lasting = result.reason in LASTING_REJECTIONS
            raise PageRejected(f"not archived, {result}: {item.url}",
                               fetch=item.fetch() if lasting else None)
        since = getattr(getattr(spider, "args", None), "since", None)
        if since and result.published_at and result.published_at.astimezone(UTC).date() < since:
            self.stats.inc_value("extract/rejected/too_old")
            raise DropItem(f"published before {since}: {item.url}", log_level="DEBUG")
        self.stats.inc_value("extract/ok")
        for note in result.notes:
            self.stats.inc_value(f"extract/note/{note}")
        result.fetch = item.fetch()
        return result
