"""The run ledger: one ``crawl_runs`` row per crawl.

On spider open the source's registry row is copied to ``sources`` and a run
row is started (status ``running``); on close the row gets its status, its
counts and every Scrapy stat. A run killed outright stays ``running`` with
no ``finished_at``: the ledger shows it never finished.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.orm import Session

from storage.archive import finish_run, start_run, sync_sources
from storage.engine import open_archive

logger = logging.getLogger(__name__)

# Scrapy's close reasons that mean the run did what it was asked to.
_COMPLETED = {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}


def run_status(reason: str) -> str:
    if reason in _COMPLETED:
        return "finished"
    if reason == "shutdown":  # Ctrl-C or SIGTERM
        return "interrupted"
    return "failed"


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
        with Session(open_archive(self.url)) as session, session.begin():
            sync_sources(session, [source], now)
            self.run_id = start_run(session, source.key, args, now)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        status = run_status(reason)
        if stats.get("archive/lost"):
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
        logger.info("Crawl run %d of %s: %s (%s)", self.run_id, spider.name, status, reason)
