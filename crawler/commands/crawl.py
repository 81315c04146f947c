"""``scrapy crawl`` that checks the source key, its ``-a`` arguments and the
archive before the engine starts, so a typo or a missing database ends with
one clear line and exit code 2 instead of a traceback from inside Twisted;
and whose exit status tells the truth of the run: 1 when the run did not
finish (it failed, lost statements, fetched nothing or was interrupted), as
the run ledger says."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.params import ArgumentError, CrawlArgs
from crawler.runner import outcome_of
from storage.engine import ArchiveError, open_archive


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts) -> None:  # type: ignore[no-untyped-def]
        if len(args) == 1:
            assert self.crawler_process is not None
            known = self.crawler_process.spider_loader.list()
            if args[0] not in known:
                raise UsageError(
                    f"unknown source {args[0]!r}; known sources: {', '.join(known)}",
                    print_help=False,
                )
            try:
                CrawlArgs.parse(opts.spargs)
            except ArgumentError as exc:
                raise UsageError(f"bad spider argument: {exc}", print_help=False) from None
            try:
                open_archive(self.settings.get("DEMARCHE_ARCHIVE_URL"))
            except ArchiveError as exc:
                raise UsageError(str(exc), print_help=False) from None
        else:
            super().run(args, opts)  # Scrapy's usage errors
            return
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        outcome = outcome_of(args[0], crawler)
        if self.crawler_process.bootstrap_failed or outcome.status != "finished":
            self.exitcode = 1
            print(f"{args[0]}: {outcome.status}: {outcome.why or 'the crawl did not start'}",
                  file=sys.stderr)
