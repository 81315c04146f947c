"""Clean statements into the archive, in batched transactions.

A batch is written in one transaction when it reaches ``DEMARCHE_BATCH_SIZE``
statements, when its oldest statement has waited ``DEMARCHE_BATCH_SECONDS``,
and when the spider closes. A crash loses at most the open batch and never
leaves half a row; a batch that fails (database locked past the busy
timeout, server gone) is kept and tried again at the next flush, and what
still cannot be written at the end is logged and counted as
``archive/lost``. The stats ``archive/new|changed|unchanged`` are counted
only after their transaction committed; ``archive/recleaned`` counts older
rows stripped of a line that this batch made known as chrome;
``archive/removed`` counts articles newly marked removed from their site
(``Gone`` items from the spider: a takedown is a finding, not an error).
After each batch (and when the spider opens) the lines its sources' archive
has learned as chrome are sent to the extraction pipeline
(``crawler.signals.chrome_learned``).

The batch also carries what ``fetch_state`` should remember: each
statement's response, 304 answers (``Fetch`` items from the spider), and
pages the extraction dropped for a lasting reason (``PageRejected.fetch``,
caught from the ``item_dropped`` signal). A replayed run remembers no fetch
and no takedown: its responses come from a recording, not from the site.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from crawler.ingest.archiving import archive_batch, known_chrome
from crawler.items import Fetch, Gone, Statement
from crawler.signals import chrome_learned
from storage.archive import sync_sources
from storage.engine import describe, open_archive, reason_of

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(
        self,
        crawler: Crawler,
        url: str,
        batch_size: int,
        batch_seconds: float,
        remember_fetches: bool = True,
        sync_source: bool = False,
    ) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = url
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.remember_fetches = remember_fetches
        self.sync_source = sync_source
        self.batch: list[Statement | Fetch | Gone] = []
        self.batch_started = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        pipeline = cls(
            crawler,
            s.get("DEMARCHE_ARCHIVE_URL"),
            s.getint("DEMARCHE_BATCH_SIZE", 50),
            s.getfloat("DEMARCHE_BATCH_SECONDS", 30.0),
            remember_fetches=not s.getlist("DEMARCHE_REPLAY"),
            # The ledger copies the source's registry row at its start; with
            # it switched off, the statements' foreign key needs it from here.
            sync_source=not s.getbool("DEMARCHE_LEDGER_ENABLED", True),
        )
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self) -> None:
        self.engine = open_archive(self.url)
        row = getattr(self.crawler.spider, "source", None)
        source = getattr(row, "key", None)
        if source is not None and self.sync_source:
            with Session(self.engine) as session, session.begin():
                sync_sources(session, [row], datetime.now(UTC))
        if source is not None:
            with Session(self.engine) as session:
                self._tell_chrome(known_chrome(session, [source]))

    def _tell_chrome(self, lines: dict[str, frozenset[str]]) -> None:
        self.crawler.signals.send_catch_log(signal=chrome_learned, lines=lines)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, (Statement, Fetch, Gone)):
            self._add(item)
        return item

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        fetch = getattr(exception, "fetch", None)
        if isinstance(fetch, Fetch):
            self._add(fetch)

    def _add(self, entry: Statement | Fetch | Gone) -> None:
        if not self.remember_fetches and not isinstance(entry, Statement):
            return
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append(entry)
        if (
            len(self.batch) >= self.batch_size
            or time.monotonic() - self.batch_started >= self.batch_seconds
        ):
            self.flush()

    def _write(self, entries: list[Statement | Fetch | Gone]) -> Counter[str]:
        with Session(self.engine) as session, session.begin():
            outcomes = archive_batch(session, entries, remember_fetches=self.remember_fetches)
            sources = {e.source for e in entries if isinstance(e, Statement)}
            lines = known_chrome(session, sources) if sources else {}
        self._tell_chrome({source: lines.get(source, frozenset()) for source in sources})
        return outcomes

    def _write_one_by_one(self) -> Counter[str]:
        """After a data error, save what can be saved and drop the culprits."""
        outcomes: Counter[str] = Counter()
        for entry in self.batch:
            try:
                outcomes.update(self._write([entry]))
            except OperationalError:
                raise
            except SQLAlchemyError as exc:
                self.stats.inc_value("archive/rejected")
                logger.error("The archive refused %s: %s", entry.url, reason_of(exc))
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
            # Kept for the run's outcome line, should the batch stay unwritten.
            reason = reason_of(exc)
            self.stats.set_value("archive/lost_reason", reason[:300])
            logger.error("Could not write %d statements and fetch records to %s (will retry): %s",
                         len(self.batch), describe(self.url), reason)
            return False
        for outcome, count in outcomes.items():
            self.stats.inc_value(f"archive/{outcome}", count)
        self.batch.clear()
        return True

    def close_spider(self) -> None:
        if not self.flush():
            # A lost fetch record only means a fetch again next run.
            lost = [e for e in self.batch if isinstance(e, Statement)]
            if not lost:
                return
            self.stats.inc_value("archive/lost", len(lost))
            logger.error(
                "%d statements were not archived: %s",
                len(lost),
                ", ".join(s.url for s in lost[:10]),
            )
