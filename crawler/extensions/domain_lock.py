"""One crawl of a site at a time, across machines: a PostgreSQL advisory
lock on the site, held by the crawl process itself.

The lock lives in a database session of this process, so it goes when the
process goes, however it ends: a crawl killed with its machine frees its
site for the next one. Once it holds the lock the crawl says so in its
run's row (``storage.runs.mark_site_lock``), and
``storage.runs.close_lost_runs`` reads such a ``running`` run whose lock is
free as lost. Sources sharing a site
share its lock (``storage.runs.site_of``).

When another crawl holds the lock, this one waits before fetching anything,
says so in its log and counts the wait (``domain_lock/wait_seconds``); its
run starts in the ledger when it got the site. On a SQLite archive, which
only one machine can use, the extension is off.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from twisted.internet import reactor
from twisted.internet.task import deferLater

from storage.engine import open_archive
from storage.runs import (
    mark_site_lock,
    release_domain_lock,
    site_of,
    take_domain_lock,
    this_process,
)

logger = logging.getLogger(__name__)

# How often a waiting crawl asks for the lock again.
POLL_SECONDS = 2.0
# Server-side keepalives for the lock's session: when a machine dies without
# closing its connection (power cut, network gone), PostgreSQL notices
# within idle + interval x count = about a minute, ends the session and
# frees the lock, instead of after the system's default two hours.
KEEPALIVES = {"tcp_keepalives_idle": 30, "tcp_keepalives_interval": 10,
              "tcp_keepalives_count": 3}


class DomainLock:
    def __init__(self, crawler: Crawler, url: str) -> None:
        self.crawler = crawler
        self.url = url
        self.connection: Connection | None = None
        self.domain: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = crawler.settings.get("DEMARCHE_ARCHIVE_URL") or ""
        if make_url(url).get_backend_name() != "postgresql":
            raise NotConfigured  # SQLite: one machine, the scheduler's own lock suffices
        ext = cls(crawler, url)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def spider_opened(self, spider: Spider) -> None:
        # Scrapy awaits this before it schedules the first request.
        source = getattr(spider, "source", None)
        if source is None:
            return
        domain = site_of(source.domains, source.key)
        try:
            await self._lock(source.key, domain)
        except Exception as exc:  # noqa: BLE001 - any driver error: no lock, no crawl
            # Crawling without the lock could put two machines on one site.
            logger.error("Cannot take the lock of site %s: %s", domain, exc)
            raise CloseSpider("domain_lock_failed") from exc

    async def _lock(self, source_key: str, domain: str) -> None:
        # A connection of its own, outside the archive's pool: its session
        # is the lock's lifetime, and a pool could hand it to someone else.
        engine = create_engine(self.url, poolclass=NullPool)
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        for name, value in KEEPALIVES.items():
            connection.execute(text(f"SET {name} = {int(value)}"))
        began = time.monotonic()
        waiting = False
        try:
            while not take_domain_lock(connection, domain):
                if not waiting:
                    logger.warning("Site %s is being crawled by another process (another "
                                   "machine?): waiting for it to finish", domain)
                    waiting = True
                await maybe_deferred_to_future(deferLater(reactor, POLL_SECONDS, lambda: None))
        except BaseException:
            connection.close()  # not left open beside a crawl that never started
            engine.dispose()
            raise
        self.connection, self.domain = connection, domain
        with Session(open_archive(self.url)) as session, session.begin():
            mark_site_lock(session, source_key, this_process(), domain, datetime.now(UTC))
        assert self.crawler.stats is not None
        waited = time.monotonic() - began
        self.crawler.stats.set_value("domain_lock/wait_seconds", round(waited, 1))
        if waiting:
            logger.info("Site %s is free after %.0f s: crawling", domain, waited)

    def spider_closed(self, spider: Spider) -> None:
        if self.connection is None or self.domain is None:
            return
        try:
            release_domain_lock(self.connection, self.domain)
        finally:
            # Closing the session frees the lock in any case.
            self.connection.close()
            self.connection = None
