"""What every source spider shares: the bound source row, the typed run
arguments, and the article request and callback.

The spider loader makes one subclass per registry row of the generic spider
the row names (feed, sitemap, listing) and sets ``name`` and ``source`` on it.

Runs are incremental: when the spider opens it reads which article URLs of
its source earlier runs fetched (``fetch_state``), and ``article_request``
skips those that nothing says have changed (``crawler.spiders.revisit``).
A replayed run (``DEMARCHE_REPLAY``) and ``-a refetch=true`` fetch every
article unconditionally.

Takedowns: the spider also reads which URLs its source's articles were
served at (``archived_url_keys``). A request for one of them lets a 404 or
410 through to ``parse_article``, and follows redirects even to a page this
run has fetched already (a listing); an answer that says the article is
gone becomes a ``Gone`` item instead of a page: 404, 410, or a redirect
away from the article (to another site, the home page, an entry point, or
a URL that is no article of the source). A redirect to another spelling of
the same page (https, www., a trailing slash) is no takedown, nor one to
another article URL (a site moving its articles): that page is archived and
its article keeps the old URL as an alias. Replayed runs check nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any, ClassVar, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from sqlalchemy.orm import Session

from crawler.extraction.dates import date_from_url
from crawler.items import Fetch, FetchedPage, Gone
from crawler.params import CrawlArgs
from crawler.sources import Source
from crawler.spiders.revisit import Reason, RevisitPolicy, conditional_headers, fetch_reason
from storage.engine import open_archive
from storage.fetch_state import FetchRecord, known_fetches
from storage.lookup import archived_url_keys
from storage.urls import is_site_root, normalise_url, same_page, url_key

# Article requests a sitemap or a feed hands the scheduler at a time (the
# DEMARCHE_DRAIN_BATCH setting); the rest wait, unread, until the crawl has
# drained these. Scrapy takes every request a callback yields at once: a
# sitemap of a million URLs queued a million requests (3.5 GB). 500 keeps a
# polite crawl (2 requests at a time per site) busy for minutes between two
# refills, which wait for Scrapy's idle check (every 5 s).
DRAIN_BATCH = 500


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
        # Keys of the URLs this source's articles were served at: a 404 or
        # a redirect away there is a takedown. Read when the spider opens.
        self.archived_urls: set[str] = set()
        self._entry_keys = {url_key(u) for u in self.source.entry_points}
        # Requests not yet handed to the scheduler (``drain``).
        self._backlog: deque[Iterator[scrapy.Request]] = deque()
        self.drain_batch = DRAIN_BATCH

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
        spider.drain_batch = settings.getint("DEMARCHE_DRAIN_BATCH", DRAIN_BATCH)
        crawler.signals.connect(spider.refill, signal=signals.spider_idle)
        if settings.get("DEMARCHE_ARCHIVE_URL") and not replay:
            if not spider.args.refetch:
                crawler.signals.connect(spider.load_fetch_records, signal=signals.spider_opened)
            # A refetch is when takedowns are found: read these in any case.
            crawler.signals.connect(spider.load_archived_urls, signal=signals.spider_opened)
        return spider

    def load_fetch_records(self) -> None:
        with Session(open_archive(self.settings.get("DEMARCHE_ARCHIVE_URL"))) as session:
            self.fetch_records = known_fetches(session, self.source.key)
        self.logger.info("%d article URLs fetched by earlier runs", len(self.fetch_records))

    def load_archived_urls(self) -> None:
        with Session(open_archive(self.settings.get("DEMARCHE_ARCHIVE_URL"))) as session:
            self.archived_urls = archived_url_keys(session, self.source.key)

    def drain(self, requests: Iterable[scrapy.Request]) -> Iterator[scrapy.Request]:
        """The first ``drain_batch`` requests now; the rest, still unread,
        when the crawl runs out of work (``refill``)."""
        requests = iter(requests)
        yield from islice(requests, self.drain_batch)
        self._backlog.append(requests)

    def refill(self) -> None:
        """On ``spider_idle``: the next batch of waiting requests, if any."""
        handed = 0
        while self._backlog and handed < self.drain_batch:
            for request in islice(self._backlog[0], self.drain_batch - handed):
                self.crawler.engine.crawl(request)
                handed += 1
            if handed < self.drain_batch:
                self._backlog.popleft()  # it gave fewer than asked: exhausted
        if handed:
            self.crawler.stats.inc_value("crawl/refills")
            raise DontCloseSpider

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
        if url_key(url) in self._requested:
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
        self._requested.add(url_key(url))
        self.crawler.stats.inc_value("crawl/article_requests")
        if reason is Reason.REVISIT:
            self.crawler.stats.inc_value("crawl/revisits")
        elif reason is Reason.SIGNALLED:
            self.crawler.stats.inc_value("crawl/signalled_changes")
        headers = conditional_headers(record) if record else {}
        # HttpErrorMiddleware drops what is not 2xx; a 304 answer to a
        # conditional request is an answer, not an error, and so is a 404
        # or 410 where an archived article was: a takedown.
        statuses = [304] if headers else []
        archived = url_key(url) in self.archived_urls
        meta: dict[str, object] = {}
        if archived:
            statuses += [404, 410]
            # A redirect off the source reaches parse_article as the 3xx
            # itself (crawler/middlewares/offsite.py).
            meta["demarche_archived"] = True
        if statuses:
            meta["handle_httpstatus_list"] = statuses
        return scrapy.Request(
            url,
            callback=self.parse_article,
            cb_kwargs={"hinted_date": hinted_date, "hinted_title": hinted_title},
            headers=headers,
            meta=meta,
            # A redirect from an archived article's URL must reach
            # parse_article even when it leads to a page this run fetched
            # (the listing): the dupefilter would drop it silently. This
            # also lets a redirect to another site through, to be seen as
            # one, though never followed off the source (the offsite
            # middlewares). (article_request asks for each URL once a run.)
            dont_filter=archived,
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
        gone = self.takedown(response, requested)
        if gone is not None:
            self.crawler.stats.inc_value(f"crawl/gone/{gone.reason.removeprefix('http ')}")
            self.logger.info("Gone (%s): %s", gone.reason, requested)
            yield gone
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

    def takedown(self, response: Response, requested: str) -> Gone | None:
        """A ``Gone`` when the answer for an archived article's URL says the
        article is no longer there, else None."""
        if url_key(requested) not in self.archived_urls:
            return None
        now = datetime.now(UTC)
        if response.status in (404, 410):
            return Gone(self.source.key, requested, response.status, now,
                        f"http {response.status}")
        if 300 <= response.status < 400 and b"Location" in response.headers:
            # A redirect off the source, not followed: where it pointed.
            final = response.urljoin(response.headers[b"Location"].decode("latin-1"))
            return Gone(self.source.key, requested, response.status, now, "redirect",
                        final_url=final)
        if requested == response.url or not self.redirected_away(requested, response.url):
            return None
        first = (response.meta.get("redirect_reasons") or [None])[0]
        status = first if isinstance(first, int) else response.status
        return Gone(self.source.key, requested, status, now, "redirect", final_url=response.url)

    def redirected_away(self, requested: str, final: str) -> bool:
        """Whether a redirect from an article URL leads away from the
        article: many sites answer for a removed page with a redirect to
        their home page or to the section's listing (a "soft 404")."""
        if same_page(requested, final):
            return False
        return (
            not self.source.owns_url(final)
            or is_site_root(final)
            or url_key(final) in self._entry_keys
            or not self.source.is_article_url(final)
        )
