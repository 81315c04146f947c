"""Clean statements into the archive, in batched transactions.

A batch is written in one transaction when it reaches ``DEMARCHE_BATCH_SIZE``
statements, when its oldest statement has waited ``DEMARCHE_BATCH_SECONDS``,
and when the spider closes. A crash loses at most the open batch and never
leaves half a row; a batch that fails (database locked past the busy
timeout, server gone) is kept and tried again at the next flush, and what
still cannot be written at the end is logged and counted as
``archive/lost``. The stats ``archive/new|changed|unchanged`` are counted
only after their transaction committed; ``archive/recleaned`` counts older
rows stripped of a line that this batch made known as chrome.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any, Self

from scrapy.crawler import Crawler
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from crawler.archiving import archive_batch
from crawler.items import Statement
from storage.engine import describe, open_archive

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(self, crawler: Crawler, url: str, batch_size: int, batch_seconds: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = url
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.batch: list[Statement] = []
        self.batch_started = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            crawler,
            s.get("DEMARCHE_ARCHIVE_URL"),
            s.getint("DEMARCHE_BATCH_SIZE", 50),
            s.getfloat("DEMARCHE_BATCH_SECONDS", 30.0),
        )

    def open_spider(self) -> None:
        self.engine = open_archive(self.url)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Statement):
            return item
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append(item)
        if (
            len(self.batch) >= self.batch_size
            or time.monotonic() - self.batch_started >= self.batch_seconds
        ):
            self.flush()
        return item

    def _write(self, statements: list[Statement]) -> Counter[str]:
        with Session(self.engine) as session, session.begin():
            return archive_batch(session, statements)

    def _write_one_by_one(self) -> Counter[str]:
        """After a data error, save what can be saved and drop the culprits."""
        outcomes: Counter[str] = Counter()
        for statement in self.batch:
            try:
                outcomes.update(self._write([statement]))
            except OperationalError:
                raise
            except SQLAlchemyError as exc:
                self.stats.inc_value("archive/rejected")
                logger.error("The archive refused %s: %s", statement.url, getattr(exc, "orig", exc))
        return outcomes

    def flush(self) -> bool:
        if not self.batch:
            return True
        try:
            try:
                outcomes = self._write(self.batch)
            except OperationalError:
                raise
            except SQLAlchemyError:
                outcomes = self._write_one_by_one()
        except OperationalError as exc:
            # Locked past the busy timeout, disk full, server gone: transient.
            self.stats.inc_value("archive/flush_failed")
            logger.error(
                "Could not write %d statements to %s (will retry): %s",
                len(self.batch),
                describe(self.url),
                getattr(exc, "orig", exc),
            )
            return False
        for outcome, count in outcomes.items():
            self.stats.inc_value(f"archive/{outcome}", count)
        self.batch.clear()
        return True

    def close_spider(self) -> None:
        if not self.flush():
            self.stats.inc_value("archive/lost", len(self.batch))
            logger.error(
                "%d statements were not archived: %s",
                len(self.batch),
                ", ".join(s.url for s in self.batch[:10]),
            )
