"""Fetched page in, clean statement out: a thin adapter around
``process_and_enrich`` (extraction, then enrichment, in a worker), which is
handed the lines the archive has learned as the source's chrome
(``crawler.signals.chrome_learned``).

trafilatura is CPU-bound (about 20 ms a page here) and would stall Twisted's
reactor, and with it every download, if called inline. The pipeline hands
each page to a process pool sized to the machine's cores and awaits the
result. The workers are forked by a ``forkserver``, a fresh process (forking
the crawl's own, which runs a reactor and threads, would copy locks in
unknown states) that has imported and warmed the extraction once
(``crawler.ingest.warm``): a worker, or the replacement of one stopped on
an overrunning page, starts warm in milliseconds.

Each page's extraction is bounded in time and memory
(``crawler.ingest.workers.BoundedPool``, DEMARCHE_PAGE_SECONDS and
DEMARCHE_PAGE_MEMORY_MB): a page past them is rejected as ``too_costly``,
for good, and the run goes on. A shutdown (SIGTERM, Ctrl-C) does not wait
for pages in the pool: they are dropped, to be fetched again next run.

A statement leaves with the ``Fetch`` of its response, for the archive to
record with it. A page rejected for a lasting reason is dropped with its
``Fetch`` too (``PageRejected.fetch``), which the archive records so that
later runs do not fetch it again until a signal says it changed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler.extraction.draft import Rejected
from crawler.ingest.processing import process_and_enrich
from crawler.ingest.workers import BoundedPool, PageBounds, TooCostly, WorkerDied
from crawler.items import Fetch, FetchedPage, Statement
from crawler.signals import chrome_learned

logger = logging.getLogger(__name__)

# Rejections that describe the page itself: its type (not HTML, an
# encrypted PDF), its structure (no main text, a caption, unparseable,
# oversized, too costly to extract). They do not change by themselves, and an edit is caught like
# any other: a sitemap or feed signal, or the revisit of a young page (a
# stub completed on its first day). An empty body (``empty``) or a 200
# error page (``error_page``) is what a struggling server answers for a
# while: those pages are asked for again next run, like pages dropped for
# this run's ``since`` (``too_old``) or for an extraction crash.
LASTING_REJECTIONS = frozenset(
    {"not_html", "not_article", "no_article", "too_short", "malformed", "too_large",
     "too_costly"}
)
# How often a page waiting on its worker checks whether the crawl is shutting down.
_SHUTDOWN_POLL_SECONDS = 0.5


class PageRejected(DropItem):
    """A page with nothing to archive; ``fetch`` is set when the archive
    should remember the page as fetched."""

    def __init__(self, message: str, fetch: Fetch | None = None) -> None:
        super().__init__(message, log_level="INFO")
        self.fetch = fetch


class ExtractionPool:
    """One process pool per crawling process, shared by its crawlers."""

    _executor: BoundedPool | None = None
    # Done when the pool's first worker answered (``BoundedPool.start``).
    started: Future | None = None
    _users = 0
    # Every user's callback for the start of each pool, the first and any
    # replacement of a broken one, whichever crawler replaced it.
    _watchers: list[Callable[[Future], None]] = []

    @staticmethod
    def _new(workers: int, bounds: PageBounds) -> BoundedPool:
        # (No per-worker warm-up: the server forks them with the rules loaded.)
        return BoundedPool(workers, bounds, start="forkserver",
                           preload=("crawler.ingest.warm",))

    @classmethod
    def _open(cls, workers: int, bounds: PageBounds) -> BoundedPool:
        cls._executor = cls._new(workers, bounds)
        cls.started = cls._executor.start()
        for watcher in cls._watchers:
            cls.started.add_done_callback(watcher)
        return cls._executor

    @classmethod
    def acquire(cls, workers: int, bounds: PageBounds,
                watcher: Callable[[Future], None] | None = None) -> BoundedPool:
        """The process's pool; ``watcher`` is called with the start of
        this pool and of every pool that replaces it until ``release``."""
        if watcher is not None:
            cls._watchers.append(watcher)
        if cls._executor is None:
            cls._open(workers, bounds)  # (which hands its start to every watcher)
        elif watcher is not None:
            assert cls.started is not None
            cls.started.add_done_callback(watcher)
        cls._users += 1
        return cls._executor

    @classmethod
    def current(cls) -> BoundedPool:
        assert cls._executor is not None
        return cls._executor

    @classmethod
    def replace_broken(cls, broken: BoundedPool, workers: int, bounds: PageBounds) -> BoundedPool:
        """A new pool in place of ``broken``. Every page in flight meets a
        break at once, in every crawler of the process: the first replaces
        the pool and the others take the replacement (replacing it again
        would cancel the pages resubmitted to it)."""
        if cls._executor is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            cls._open(workers, bounds)
        return cls.current()

    @classmethod
    def release(cls, watcher: Callable[[Future], None] | None = None) -> None:
        if watcher in cls._watchers:
            cls._watchers.remove(watcher)
        cls._users -= 1
        if cls._users <= 0 and cls._executor is not None:
            # Every page is answered by now (or dropped by a shutdown). A
            # pool that never started has nothing to wait for, and waiting
            # on its half-started manager would hang the crawl's exit.
            started = cls.started
            failed = (started is not None and started.done() and not started.cancelled()
                      and started.exception() is not None)
            cls._executor.shutdown(wait=not failed, cancel_futures=True)
            cls._executor = None
            cls.started = None
            cls._users = 0
            cls._watchers.clear()


class ExtractionPipeline:
    def __init__(self, crawler: Crawler, workers: int, bounds: PageBounds) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers = workers
        self.bounds = bounds
        # Each source's learned chrome (line keys), from the archive.
        self.chrome: dict[str, frozenset[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        workers = crawler.settings.getint("DEMARCHE_EXTRACT_WORKERS") or os.cpu_count() or 1
        pipeline = cls(crawler, workers, PageBounds.from_settings(crawler.settings))
        crawler.signals.connect(pipeline.learn_chrome, signal=chrome_learned)
        return pipeline

    def learn_chrome(self, lines: dict[str, frozenset[str]]) -> None:
        """The ``chrome_learned`` signal's receiver."""
        self.chrome.update(lines)

    def open_spider(self) -> None:
        # The workers start while the spider fetches its first pages (the
        # forkserver's preload holds a core for a second or two); a page
        # waits for them in ``_run``, the reactor free meanwhile.
        ExtractionPool.acquire(self.workers, self.bounds, self._pool_started)

    def close_spider(self) -> None:
        ExtractionPool.release(self._pool_started)

    def _pool_started(self, done: Future) -> None:
        """A pool whose workers cannot start fails the run, as a spider
        that cannot open does, instead of every page failing one by one.
        Called in the pool's starting thread, or at once in the reactor's
        when the pool had already started."""
        from twisted.internet import reactor

        if not done.cancelled() and done.exception() is not None:
            reactor.callFromThread(self._cannot_start, done.exception())

    def _cannot_start(self, error: BaseException) -> None:
        logger.error("The extraction workers could not start (%r): closing the spider", error)
        self.stats.set_value("extract/pool_failed", repr(error))
        # (The pages waiting for the pool meet its error and are dropped,
        # unfetched for the next run. ``crawling`` stays for Scrapy: the
        # crawler stops its engine once the spider is closed.)
        if self.crawler.engine is not None and self.crawler.crawling:
            deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="extraction_pool_failed"))

    async def _answer(self, future: Future, page: FetchedPage, stop: bool = True
                      ) -> Statement | Rejected:
        """The future's answer; a shutdown stops waiting, and (``stop``)
        the worker."""
        waiting = asyncio.wrap_future(future)
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=_SHUTDOWN_POLL_SECONDS)
            if done:
                return waiting.result()
            if not self.crawler.crawling:  # Crawler.stop: SIGTERM, SIGINT
                if stop:
                    waiting.cancel()
                raise DropItem(f"shutting down, not extracted: {page.url}", log_level="INFO")

    async def _ready(self, page: FetchedPage) -> None:
        """Until the pool's workers answer: submitting before would block
        the reactor until the forkserver has preloaded (``BoundedPool.start``)."""
        assert ExtractionPool.started is not None
        # (Not cancelled on a shutdown: the start is the pool's, not the page's.)
        await self._answer(ExtractionPool.started, page, stop=False)

    async def _run(self, page: FetchedPage, source: Any) -> Statement | Rejected:
        await self._ready(page)
        chrome = self.chrome.get(page.source, frozenset())
        # The process's pool as it is now: another crawler may have replaced it.
        pool = ExtractionPool.current()
        try:
            try:
                return await self._answer(
                    pool.submit(process_and_enrich, page, source, chrome), page)
            except (BrokenProcessPool, WorkerDied) as exc:
                # A worker died (a crash in lxml, the OOM killer): count it,
                # and give the page one more chance in a fresh worker.
                self.stats.inc_value("extract/worker_crash")
                logger.error("Extraction worker died on %s (%s); trying once more", page.url, exc)
                if isinstance(exc, BrokenProcessPool):
                    pool = ExtractionPool.replace_broken(pool, self.workers, self.bounds)
                    await self._ready(page)
                return await self._answer(
                    pool.submit(process_and_enrich, page, source, chrome), page)
        except TooCostly as exc:
            return Rejected("too_costly", str(exc))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        try:
            result = await self._run(item, source)
        except DropItem:
            raise
        except Exception as exc:
            self.stats.inc_value("extract/error")
            logger.error("Extraction failed on %s: %r", item.url, exc)
            raise DropItem(f"extraction failed on {item.url}: {exc!r}", log_level="ERROR") from exc
        if isinstance(result, Rejected):
            self.stats.inc_value(f"extract/rejected/{result.reason}")
            if result.reason == "too_costly":  # worth an operator's look, once
                logger.warning("Not extracting %s again: %s", item.url, result.detail)
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
