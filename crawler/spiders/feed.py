"""RSS and Atom feeds: each entry that links to an article of the source.

feedparser reads every feed dialect (RSS 0.9x/1.0/2.0, Atom, RDF) and
tolerates the malformed ones ministries publish; its entry dates become the
article's fallback publication date, and an entry's ``updated`` date (Atom
``<updated>``, ``dcterms:modified``) is its change signal: an article
fetched before it is fetched again.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import scrapy
from scrapy.http import Response

from crawler.spiders.base import SourceSpider


def _entry_date(entry: feedparser.FeedParserDict, *keys: str) -> datetime | None:
    for key in keys:
        # ``in`` before ``get``: feedparser 6 answers a missing
        # ``updated_parsed`` with the publication date (its issue 310),
        # which is no change signal.
        parsed = entry.get(key) if key in entry else None
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return None


class FeedSpider(SourceSpider):
    async def start(self):
        for url in self.source.entry_points:
            yield scrapy.Request(url, callback=self.parse_feed)

    def parse_feed(self, response: Response):
        # The HTTP headers tell feedparser the charset and the base URL.
        headers = {
            k.decode("latin-1").lower(): v[0].decode("latin-1")
            for k, v in response.headers.items()
        }
        feed = feedparser.parse(response.body, response_headers=headers)
        if not feed.entries:
            # Not a feed at all (an error page, HTML: feedparser names no
            # version) is not a quiet feed.
            unreadable = not feed.get("version")
            self.crawler.stats.inc_value("feed/unreadable" if unreadable else "feed/empty")
            self.logger.warning(
                "No entries in feed %s (%s)",
                response.url,
                feed.get("bozo_exception") or "the feed lists nothing",
            )
            return
        self.crawler.stats.inc_value("feed/entries", len(feed.entries))
        yield from self.drain(self._requests(response, feed.entries))

    def _requests(self, response: Response, entries: list) -> Iterator[scrapy.Request]:  # type: ignore[type-arg]
        for entry in entries:
            link = response.urljoin(entry.get("link") or "")
            if not self.source.is_article_url(link):
                self.crawler.stats.inc_value("feed/skipped_links")
                continue
            request = self.article_request(
                link,
                hinted_date=_entry_date(entry, "published_parsed", "created_parsed",
                                        "updated_parsed"),
                hinted_title=entry.get("title"),
                modified_at=_entry_date(entry, "updated_parsed"),
            )
            if request is not None:
                yield request
