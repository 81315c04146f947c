"""Run one or more source crawls in this process (``demarche crawl``,
``demarche demo``). The scheduler will run each crawl as a ``scrapy crawl``
subprocess instead, since a Twisted reactor cannot be restarted."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.extensions.ledger import run_counts, run_outcome
from crawler.params import ArgumentError, CrawlArgs
from storage.engine import open_archive


@dataclass
class CrawlOutcome:
    source: str
    status: str
    counts: dict[str, int]
    stats: dict[str, object]
    why: str = ""  # why the run did not finish, in one line


def outcome_of(key: str, crawler: Crawler) -> CrawlOutcome:
    """The run's outcome as its ledger wrote it (``demarche/status``), or
    as the ledger would have, when it is switched off."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = str(stats.get("finish_reason", "failed"))
    status, why = run_outcome(reason, stats)
    status = str(stats.get("demarche/status", status))
    why = str(stats.get("demarche/why", why))
    return CrawlOutcome(key, status, run_counts(stats), stats, why)


def project_settings(overrides: Mapping[str, object] | None = None) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def check_request(settings: Settings, keys: Iterable[str], args: Mapping[str, str]) -> None:
    """Fail before starting anything on an unknown key or a bad argument."""
    from crawler.sources import registry_of

    known = registry_of(settings)
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ArgumentError(
            f"unknown source(s): {', '.join(unknown)}; known: {', '.join(known)}"
        )
    CrawlArgs.parse(dict(args))
    open_archive(settings.get("DEMARCHE_ARCHIVE_URL"))  # raises ArchiveError with the reason


def run_crawls(
    keys: list[str], args: Mapping[str, str], settings: Settings
) -> list[CrawlOutcome]:
    check_request(settings, keys, args)
    process = CrawlerProcess(settings)
    crawlers: list[tuple[str, Crawler]] = []
    for key in keys:
        crawler = process.create_crawler(key)
        crawlers.append((key, crawler))
        process.crawl(crawler, **args)
    process.start()
    return [outcome_of(key, crawler) for key, crawler in crawlers]
