"""What every source spider shares: the bound source row, the typed run
arguments, and the article request and callback.

The spider loader makes one subclass per registry row of the generic spider
the row names (feed, sitemap, listing) and sets ``name`` and ``source`` on it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from crawler.extraction.dates import date_from_url
from crawler.items import FetchedPage
from crawler.params import CrawlArgs
from crawler.sources import Source
from storage.urls import normalise_url


class SourceSpider(scrapy.Spider):
    source: ClassVar[Source]

    def __init__(self, **kwargs: Any) -> None:
        # Raises ArgumentError on a bad -a value, before anything is fetched.
        self.args = CrawlArgs.parse(kwargs)
        super().__init__()
        self.allowed_domains = list(self.source.domains)
        self._requested: set[str] = set()

    @property
    def since(self) -> date | None:
        return self.args.since

    def is_too_old(self, day: date | datetime | None) -> bool:
        if self.since is None or day is None:
            return False
        if isinstance(day, datetime):
            day = day.astimezone(UTC).date() if day.tzinfo else day.date()
        return day < self.since

    def article_request(
        self,
        url: str,
        *,
        hinted_date: datetime | None = None,
        hinted_title: str | None = None,
    ) -> scrapy.Request | None:
        """A request for an article page, or None when the run's bounds say no."""
        key = normalise_url(url)
        if key in self._requested:
            return None
        if self.is_too_old(hinted_date) or self.is_too_old(date_from_url(url)):
            self.crawler.stats.inc_value("crawl/skipped/too_old")
            return None
        if self.args.max_articles is not None and len(self._requested) >= self.args.max_articles:
            self.crawler.stats.inc_value("crawl/skipped/max_articles")
            return None
        self._requested.add(key)
        self.crawler.stats.inc_value("crawl/article_requests")
        return scrapy.Request(
            url,
            callback=self.parse_article,
            cb_kwargs={"hinted_date": hinted_date, "hinted_title": hinted_title},
        )

    def parse_article(
        self,
        response: Response,
        hinted_date: datetime | None = None,
        hinted_title: str | None = None,
    ):
        content_type = response.headers.get(b"Content-Type")
        yield FetchedPage(
            source=self.source.key,
            url=response.url,
            status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            body=response.body,
            fetched_at=datetime.now(UTC),
            hinted_date=hinted_date,
            hinted_title=hinted_title,
        )
