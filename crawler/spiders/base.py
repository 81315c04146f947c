"""What every source spider shares: the bound source row, the typed run
arguments, and the article request and callback.

The spider loader makes one subclass per registry row of the generic spider
the row names (feed, sitemap, listing) and sets ``name`` and ``source`` on it.

Runs are incremental: when the spider opens it reads which article URLs of
its source earlier runs fetched (``fetch_state``), and ``article_request``
skips those that nothing says have changed (``crawler.spiders.revisit``).
A replayed run (``DEMARCHE_REPLAY``) and ``-a refetch=true`` fetch every
article unconditionally.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from sqlalchemy.orm import Session

from crawler.extraction.dates import date_from_url
from crawler.items import Fetch, FetchedPage
from crawler.params import CrawlArgs
from crawler.sources import Source
from crawler.spiders.revisit import Reason, RevisitPolicy, conditional_headers, fetch_reason
from storage.engine import open_archive
from storage.fetch_state import FetchRecord, known_fetches
from storage.urls import normalise_url


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _requested_url(response: Response) -> str:
    """The article link as requested, before any redirect."""
    if response.request is None:  # a response built by hand, in tests
        return response.url
    return (response.meta.get("redirect_urls") or [response.url])[0]


class SourceSpider(scrapy.Spider):
    source: ClassVar[Source]

    def __init__(self, **kwargs: Any) -> None:
        # Raises ArgumentError on a bad -a value, before anything is fetched.
        self.args = CrawlArgs.parse(kwargs)
        super().__init__()
        self.allowed_domains = list(self.source.domains)
        self._requested: set[str] = set()
        self.revisit = RevisitPolicy()
        # What earlier runs fetched, by normalised URL; read when the spider
        # opens, and left empty when every article is to be fetched.
        self.fetch_records: dict[str, FetchRecord] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.revisit = RevisitPolicy(
            young=timedelta(days=settings.getfloat("DEMARCHE_REVISIT_DAYS", 2)),
            interval=timedelta(hours=settings.getfloat("DEMARCHE_REVISIT_HOURS", 20)),
        )
        # A replayed run answers from a recording, which says nothing about
        # what the site serves now, and costs the site nothing to read again.
        replay = settings.getlist("DEMARCHE_REPLAY")
        if settings.get("DEMARCHE_ARCHIVE_URL") and not replay and not spider.args.refetch:
            crawler.signals.connect(spider.load_fetch_records, signal=signals.spider_opened)
        return spider

    def load_fetch_records(self) -> None:
        with Session(open_archive(self.settings.get("DEMARCHE_ARCHIVE_URL"))) as session:
            self.fetch_records = known_fetches(session, self.source.key)
        self.logger.info("%d article URLs fetched by earlier runs", len(self.fetch_records))

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
        modified_at: datetime | None = None,
    ) -> scrapy.Request | None:
        """A request for an article page, or None when the run's bounds or
        an earlier fetch say no.

        ``hinted_date`` is the referrer's publication date; ``modified_at``
        its change signal (sitemap lastmod, feed ``updated``).
        """
        key = normalise_url(url)
        if key in self._requested:
            return None
        url_date = date_from_url(url)
        if self.is_too_old(hinted_date) or self.is_too_old(url_date):
            self.crawler.stats.inc_value("crawl/skipped/too_old")
            return None
        record = self.fetch_records.get(key)
        archived = record.published_at if record else None
        reason = fetch_reason(
            record,
            modified_at=modified_at,
            published=archived or hinted_date or url_date,
            now=datetime.now(UTC),
            policy=self.revisit,
        )
        if reason is Reason.UNCHANGED:
            self.crawler.stats.inc_value("crawl/skipped/unchanged")
            return None
        if self.args.max_articles is not None and len(self._requested) >= self.args.max_articles:
            self.crawler.stats.inc_value("crawl/skipped/max_articles")
            return None
        self._requested.add(key)
        self.crawler.stats.inc_value("crawl/article_requests")
        if reason is Reason.REVISIT:
            self.crawler.stats.inc_value("crawl/revisits")
        elif reason is Reason.SIGNALLED:
            self.crawler.stats.inc_value("crawl/signalled_changes")
        headers = conditional_headers(record) if record else {}
        return scrapy.Request(
            url,
            callback=self.parse_article,
            cb_kwargs={"hinted_date": hinted_date, "hinted_title": hinted_title},
            headers=headers,
            # HttpErrorMiddleware drops what is not 2xx; a 304 answer to a
            # conditional request is an answer, not an error.
            meta={"handle_httpstatus_list": [304]} if headers else {},
        )

    def parse_article(
        self,
        response: Response,
        hinted_date: datetime | None = None,
        hinted_title: str | None = None,
    ):
        requested = _requested_url(response)
        etag = _header(response, b"ETag")
        last_modified = _header(response, b"Last-Modified")
        if response.status == 304:
            self.crawler.stats.inc_value("crawl/not_modified")
            # A 304 should repeat the validators (RFC 9110 15.4.5); keep the
            # old ones when it does not.
            record = self.fetch_records.get(normalise_url(requested))
            yield Fetch(
                source=self.source.key,
                url=requested,
                page_url=response.url,
                status=304,
                fetched_at=datetime.now(UTC),
                etag=etag or (record.etag if record else None),
                last_modified=last_modified or (record.last_modified if record else None),
            )
            return
        record = response.meta.get("warc_record")
        yield FetchedPage(
            source=self.source.key,
            url=response.url,
            status=response.status,
            content_type=_header(response, b"Content-Type"),
            body=response.body,
            fetched_at=datetime.now(UTC),
            hinted_date=hinted_date,
            hinted_title=hinted_title,
            etag=etag,
            last_modified=last_modified,
            requested_url=requested if requested != response.url else None,
            warc_file=record[0] if record else None,
            warc_offset=record[1] if record else None,
        )
