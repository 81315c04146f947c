"""XML sitemaps: index files, gzip, and Google News sitemaps.

Scrapy's own SitemapSpider drops the ``<news:news>`` block of news sitemaps
(it keeps only direct children of ``<url>``), and the publication date in it
is exactly what tells a new statement from an old one. So this spider reads
sitemaps with lxml itself, using Scrapy's helpers for gzip and robots.txt.
An entry point may be a sitemap, a sitemap index or a robots.txt.

An entry's ``<lastmod>`` is its change signal: an article fetched before
that moment is fetched again. It also stays the article's last-resort
publication date when the entry has no news block: a page cannot have been
published after its last change.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.extraction.dates import parse_timestamp
from crawler.spiders.base import SourceSpider

# A sitemap may be 50 MB uncompressed (sitemaps.org); more is a mistake.
MAX_SITEMAP_BYTES = 60 * 1024 * 1024
# Entity expansion off (no XML bombs, no external files), comments dropped,
# damaged files read as far as they go.
_PARSE_OPTIONS = {"recover": True, "remove_comments": True, "resolve_entities": False,
                  "huge_tree": True, "no_network": True}


def _text(node: etree._Element, path: str) -> str | None:
    found = node.findtext(path)
    return found.strip() if found and found.strip() else None


def sitemap_entries(body: bytes) -> tuple[str, Iterator[dict[str, str | None]]]:
    """The sitemap's type (``sitemapindex`` or ``urlset``) and its entries,
    read as they are asked for: each entry's element is dropped once read,
    so a sitemap of a million URLs never becomes a tree of a million
    elements (the spider drains the entries as the crawl goes)."""
    events = etree.iterparse(io.BytesIO(body), events=("start", "end"), **_PARSE_OPTIONS)
    try:
        _, root = next(events)
    except (StopIteration, etree.XMLSyntaxError):
        return "invalid", iter(())
    if not isinstance(root.tag, str):
        return "invalid", iter(())
    kind = etree.QName(root).localname
    child = "sitemap" if kind == "sitemapindex" else "url"

    def entries() -> Iterator[dict[str, str | None]]:
        try:
            for event, node in events:
                if (event != "end" or node.getparent() is not root
                        or not isinstance(node.tag, str) or etree.QName(node).localname != child):
                    continue
                yield {
                    "loc": _text(node, "{*}loc"),
                    "lastmod": _text(node, "{*}lastmod"),
                    "published": _text(node, "{*}news/{*}publication_date"),
                    "title": _text(node, "{*}news/{*}title"),
                }
                node.clear()
                while node.getprevious() is not None:
                    del root[0]
        except etree.XMLSyntaxError:
            return  # damage past what recovery reads: the entries before it stand

    return kind, entries()


def lastmod_signal(raw: str | None) -> datetime | None:
    """The moment a ``<lastmod>`` says the page changed, for comparing with
    our last fetch. A day alone ("2024-06-01", allowed by the W3C datetime
    format sitemaps use) means some time that day: it counts as the day's
    end, so that an edit made after our fetch on that day is not missed."""
    moment = parse_timestamp(raw)
    if moment is not None and raw is not None and len(raw.strip()) <= len("YYYY-MM-DD"):
        moment += timedelta(days=1)
    return moment


class SitemapSpider(SourceSpider):
    async def start(self):
        for url in self.source.entry_points:
            yield scrapy.Request(url, callback=self.parse_sitemap)

    def _body(self, response: Response) -> bytes | None:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
            except ValueError as exc:
                self.logger.warning("Cannot gunzip sitemap %s: %s", response.url, exc)
                return None
        return body

    def parse_sitemap(self, response: Response):
        if response.url.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.body, base_url=response.url):
                yield scrapy.Request(url, callback=self.parse_sitemap)
            return
        body = self._body(response)
        kind, entries = sitemap_entries(body) if body else ("invalid", iter(()))
        if kind not in ("sitemapindex", "urlset"):
            self.crawler.stats.inc_value("sitemap/invalid")
            self.logger.warning("Not a sitemap: %s", response.url)
            return
        self.crawler.stats.inc_value(f"sitemap/{kind}")
        # Article requests go to the scheduler a batch at a time, as the
        # crawl drains them (SourceSpider.drain).
        yield from self.drain(self._requests(response, kind, entries))

    def _requests(self, response: Response, kind: str,
                  entries: Iterator[dict[str, str | None]]) -> Iterator[scrapy.Request]:
        follow = re.compile(self.source.sitemap_follow) if self.source.sitemap_follow else None
        for entry in entries:
            loc = entry["loc"]
            if not loc:
                continue
            modified = parse_timestamp(entry["lastmod"])
            if kind == "sitemapindex":
                # An index entry's lastmod is its newest URL's: older means
                # nothing in it is new enough.
                if follow is not None and not follow.search(loc):
                    continue
                if self.is_too_old(modified):
                    # Its articles are met, and older than the run wants.
                    self.crawler.stats.inc_value("sitemap/children_too_old")
                    continue
                yield scrapy.Request(response.urljoin(loc), callback=self.parse_sitemap)
                continue
            if not self.source.is_article_url(loc):
                self.crawler.stats.inc_value("sitemap/skipped_links")
                continue
            published: datetime | None = parse_timestamp(entry["published"])
            request = self.article_request(
                loc,
                hinted_date=published or modified,
                hinted_title=entry["title"],
                modified_at=lastmod_signal(entry["lastmod"]),
            )
            if request is not None:
                yield request
