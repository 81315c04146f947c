"""The run ledger: one ``crawl_runs`` row per crawl.

On spider open the source's registry row is copied to ``sources`` and a run
row is started (status ``running``), or, when the scheduler started the
crawl, the row it opened (``DEMARCHE_RUN_ID``) is taken over. On close the
row gets its status, its counts, every Scrapy stat, the run's extraction
coverage and flags when coverage dropped. A run killed outright stays
``running`` with no ``finished_at`` unless its scheduler closes it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.orm import Session

from storage.archive import sync_sources
from storage.engine import open_archive
from storage.runs import coverage_flags, finish_run, get_run, run_coverage, start_run

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


def run_counts(stats: dict[str, object]) -> dict[str, int]:
    def get(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, (int, float)) else 0

    return {
        "pages": get("response_received_count"),
        "new": get("archive/new"),
        "changed": get("archive/changed"),
        "unchanged": get("archive/unchanged"),
        # Errors the run could not get past: logged errors (retries given up,
        # download failures, extractor crashes) and HTTP error responses.
        "errors": get("log_count/ERROR") + get("httperror/response_ignored_count"),
    }


class CrawlLedger:
    def __init__(self, crawler: Crawler, url: str) -> None:
        self.crawler = crawler
        self.url = url
        self.run_id: int | None = None

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
        now = datetime.now(UTC)
        args = {k: str(v) for k, v in vars(spider.args).items() if v is not None}
        opened = self.crawler.settings.getint("DEMARCHE_RUN_ID", 0)
        with Session(open_archive(self.url)) as session, session.begin():
            sync_sources(session, [source], now)
            if opened:
                run = get_run(session, opened)
                run.args = args
                self.run_id = run.id
            else:
                self.run_id = start_run(session, source.key, args, now)
                get_run(session, self.run_id).trigger = "manual"

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        status = run_status(reason)
        if stats.get("archive/lost"):
            status = "failed"
        if status == "finished" and not fetched_pages(stats):
            # Every entry point answered with an error or not at all: the
            # site is down, moved or blocking us. That is no successful run.
            status = "failed"
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
        if flags:
            logger.warning("Crawl run %d of %s: %s", self.run_id, spider.name, ", ".join(flags))
        logger.info("Crawl run %d of %s: %s (%s)", self.run_id, spider.name, status, reason)
