"""The run ledger: one ``crawl_runs`` row per crawl.

On spider open the source's registry row is copied to ``sources`` and a run
row is started (status ``running``), or, when the scheduler started the
crawl, the row it opened (``DEMARCHE_RUN_ID``) is taken over. On close the
row gets its status, its counts, every Scrapy stat, the run's extraction
coverage and flags when coverage dropped.

The status is the truth of the run (``run_outcome``): ``finished`` only when
Scrapy finished, some page was fetched, every page sent to extraction came
back (a statement or a counted rejection, not an exception) and every
statement was written; a run that fetched nothing, whose entry points named
no article (an unreadable sitemap or feed, a listing without article links),
lost statements, broke its extraction or could not write its ledger row is
``failed``, with the reason why in the stats (``demarche/why``), which
``demarche crawl`` and ``scrapy crawl`` read for their exit status.

A run killed outright stays ``running`` until the next run of its source
(or ``demarche status``) finds its process gone and closes it as ``lost``
(``storage.runs.close_lost_runs``); each run records its host and process
id for that.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.orm import Session

from storage.archive import sync_sources
from storage.engine import open_archive, reason_of
from storage.runs import (
    close_lost_runs,
    coverage_flags,
    finish_run,
    get_run,
    run_coverage,
    start_run,
    this_process,
)

logger = logging.getLogger(__name__)

# Scrapy's close reasons that mean the run did what it was asked to.
_COMPLETED = {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}


def run_status(reason: str) -> str:
    if reason in _COMPLETED:
        return "finished"
    if reason == "shutdown":  # Ctrl-C or SIGTERM
        return "interrupted"
    return "failed"


def fetched_pages(stats: dict[str, object]) -> int:
    """Responses that brought a page (2xx, or 304 for one we have), robots.txt aside."""
    def count(prefix: str) -> int:
        return sum(int(v) for k, v in stats.items() if k.startswith(prefix)
                   and k.rsplit("/", 1)[-1] in _GOOD_STATUSES and isinstance(v, int))

    return count("downloader/response_status_count/") - count("robotstxt/response_status_count/")


_GOOD_STATUSES = {"200", "201", "203", "206", "304"}


def _count(stats: dict[str, object], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, (int, float)) else 0


# Errors the run could not get past, each counted by this run's own
# components (Scrapy's log_count/ERROR counts every crawler's log lines in
# the process: in `demarche crawl a b` each run got both runs' errors).
_ERRORS = ("download/failed", "httperror/response_ignored_count", "spider_exceptions/count",
           "extract/error", "extract/worker_crash", "archive/lost", "archive/rejected")


def run_counts(stats: dict[str, object]) -> dict[str, int]:
    return {
        "pages": _count(stats, "response_received_count"),
        "new": _count(stats, "archive/new"),
        "changed": _count(stats, "archive/changed"),
        "unchanged": _count(stats, "archive/unchanged"),
        "errors": sum(_count(stats, key) for key in _ERRORS),
    }


def run_outcome(reason: str, stats: dict[str, object]) -> tuple[str, str]:
    """The run's status and, unless it finished, why not, in one line."""
    status = run_status(reason)
    if status == "interrupted":
        return status, "interrupted (Ctrl-C or SIGTERM)"
    if status == "failed":
        return status, f"Scrapy closed the spider: {reason}"
    lost = _count(stats, "archive/lost")
    if lost:
        return "failed", (f"{lost} statement(s) could not be written to the archive"
                          + (f": {stats['archive/lost_reason']}"
                             if stats.get("archive/lost_reason") else ""))
    refused = _count(stats, "archive/rejected")
    if refused:
        return "failed", f"the archive refused {refused} statement(s) (see the log)"
    broken = _count(stats, "extract/error")
    if broken:
        # An exception in the extraction is a page the run was sent to
        # archive and did not: its fetch is not recorded, so the next run
        # tries it again, but this one did not do its work.
        tried = broken + _count(stats, "extract/ok") + sum(
            _count(stats, k) for k in stats if k.startswith("extract/rejected/"))
        return "failed", f"extraction failed on {broken} of {tried} page(s) (see the log)"
    if not fetched_pages(stats):
        # Every entry point answered with an error or not at all: the site
        # is down, moved or blocking us. That is no successful run.
        why = stats.get("demarche/failures") or _http_errors(stats) or "no page was fetched"
        return "failed", f"nothing fetched: {why}"
    if not any(_count(stats, key) for key in _LISTED):
        unreadable = [f"{key} x{_count(stats, key)}" for key in _UNREADABLE if _count(stats, key)]
        if unreadable:
            # The entry points answered, but what they gave named no
            # article: a sitemap that is an error page, a feed that is not
            # one, a listing whose layout or link pattern changed. A quiet
            # source (a valid feed or sitemap with nothing in it) is not this.
            return "failed", f"no entry point listed an article: {', '.join(unreadable)}"
    return "finished", ""


# An article link the run met, whether it requested it or not.
_LISTED = ("crawl/article_requests", "crawl/skipped/unchanged", "crawl/skipped/too_old",
           "crawl/skipped/max_articles", "sitemap/children_too_old")
# What the spiders count when an entry point gives no article link.
_UNREADABLE = ("sitemap/invalid", "feed/unreadable", "listing/not_html", "listing/too_large",
               "listing/no_links", "sitemap/skipped_links", "feed/skipped_links")


def _http_errors(stats: dict[str, object]) -> str:
    prefix = "httperror/response_ignored_status_count/"
    found = [f"HTTP {k.removeprefix(prefix)} x{v}" for k, v in stats.items() if k.startswith(prefix)]
    refused = _count(stats, "offsite/private_address")
    if refused:
        found.append(f"{refused} request(s) to private addresses refused")
    return ", ".join(found)


class CrawlLedger:
    def __init__(self, crawler: Crawler, url: str) -> None:
        self.crawler = crawler
        self.url = url
        self.run_id: int | None = None
        self.open_error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("DEMARCHE_LEDGER_ENABLED", True):
            raise NotConfigured
        ext = cls(crawler, crawler.settings.get("DEMARCHE_ARCHIVE_URL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        source = getattr(spider, "source", None)
        if source is None:
            return
        try:
            self._open(source, spider)
        except Exception as exc:  # noqa: BLE001 - any driver error, said at the end too
            self.open_error = f"the run ledger could not be started: {reason_of(exc)}"
            logger.error("%s: closing the spider", self.open_error)
            # A run the archive cannot record is not crawled: its pages
            # could not be written either (each batch would wait out the
            # lock again), and the next run fetches them.
            from twisted.internet import reactor  # Scrapy's, installed by now

            reactor.callLater(0, self._close, "ledger_failed")

    def _close(self, reason: str) -> None:
        if self.crawler.engine is not None and self.crawler.crawling:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def _open(self, source, spider: Spider) -> None:  # type: ignore[no-untyped-def]
        now = datetime.now(UTC)
        args = {k: str(v) for k, v in vars(spider.args).items() if v is not None}
        opened = self.crawler.settings.getint("DEMARCHE_RUN_ID", 0)
        with Session(open_archive(self.url)) as session, session.begin():
            sync_sources(session, [source], now)
            for lost in close_lost_runs(session, now, source=source.key):
                logger.warning("Crawl run %d of %s was left running by a crawl that died: "
                               "closed as lost", lost, source.key)
            if opened:
                run = get_run(session, opened)
                run.args = args
                self.run_id = run.id
            else:
                self.run_id = start_run(session, source.key, args, now)
                run = get_run(session, self.run_id)
                run.trigger = "manual"
            run.stats = {"demarche/process": this_process()}

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        if self.run_id is None:
            if self.open_error:
                self.crawler.stats.set_value("demarche/status", "failed")
                self.crawler.stats.set_value("demarche/why", self.open_error)
            return
        status, why = run_outcome(reason, self.crawler.stats.get_stats())
        self.crawler.stats.set_value("demarche/status", status)
        if why:
            self.crawler.stats.set_value("demarche/why", why)
        stats = self.crawler.stats.get_stats()
        try:
            flags = self._write(status, reason, stats)
        except Exception as exc:  # noqa: BLE001 - any driver error; said, never hidden
            # The run may have done its work, but the ledger does not say
            # so: not a run anyone can trust as finished.
            why = f"the run ledger could not be written: {reason_of(exc)}"
            self.crawler.stats.set_value("demarche/status", "failed")
            self.crawler.stats.set_value("demarche/why", why)
            logger.error("Crawl run %d of %s: failed: %s", self.run_id, spider.name, why)
            return
        if flags:
            logger.warning("Crawl run %d of %s: %s", self.run_id, spider.name, ", ".join(flags))
        logger.log(logging.INFO if status == "finished" else logging.ERROR,
                   "Crawl run %d of %s: %s%s", self.run_id, spider.name, status,
                   f": {why}" if why else f" ({reason})")

    def _write(self, status: str, reason: str, stats: dict[str, object]) -> list[str]:
        with Session(open_archive(self.url)) as session, session.begin():
            finish_run(
                session,
                self.run_id,
                status=status,
                finish_reason=reason,
                finished_at=datetime.now(UTC),
                counts=run_counts(stats),
                stats=stats,
            )
            run = get_run(session, self.run_id)
            rejected = sum(int(v) for k, v in stats.items()
                           if k.startswith("extract/rejected/") and isinstance(v, int))
            run.coverage = run_coverage(session, run.source, run.started_at, rejected)
            flags = coverage_flags(session, run.source, run.id, run.coverage)
            run.flags = flags or None
        return flags
