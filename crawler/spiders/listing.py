"""Paged listing pages: a section front or a press-release list.

Article links are the links whose URL matches the source's
``article_pattern``; the next page comes from the row's ``next_page`` CSS
selector, or from its ``page_template`` on sites that page in JavaScript.
Paging stops at ``max_pages``, at a page with no article link to request
(each one requested already in this run, or fetched by an earlier run and
not due again: listings put the newest first, so an earlier run has seen
what follows), or, with ``-a since``, at a page whose dated links are all
older than that day.
"""

from __future__ import annotations

from urllib.parse import urljoin

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor

from crawler.extraction.dates import date_from_url
from crawler.spiders.base import SourceSpider

# Ministries publish statements as PDF and Word files too.
_DOCUMENTS = {"pdf", "doc", "docx", "odt", "rtf"}
# What one listing page may cost the crawl's own process, which parses it
# (extraction's bounds are for article pages, in workers). The pages of
# ../shared/realpages are 1.5 MB at most, with 1,002 links at most; a
# listing of 27 MB and 600,000 article links held a crawl for minutes at
# 2.4 GB.
LISTING_MAX_BYTES = 8 * 1024 * 1024
LISTING_MAX_LINKS = 5000


class ListingSpider(SourceSpider):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.links = LinkExtractor(
            allow=self.source.article_pattern,
            deny_extensions=[e for e in IGNORED_EXTENSIONS if e not in _DOCUMENTS],
        )
        self.max_pages = self.args.max_pages or self.source.max_pages

    async def start(self):
        for url in self.source.entry_points:
            yield scrapy.Request(url, callback=self.parse_listing, cb_kwargs={"entry": url})

    def parse_listing(self, response: Response, entry: str, page: int = 1):
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("listing/not_html")
            self.logger.warning("Listing page is not HTML: %s", response.url)
            return
        if len(response.body) > LISTING_MAX_BYTES:
            self.crawler.stats.inc_value("listing/too_large")
            self.logger.warning("Listing page of %d bytes, over %d: not read: %s",
                                len(response.body), LISTING_MAX_BYTES, response.url)
            return
        self.crawler.stats.inc_value("listing/pages")
        # Domains are checked on the host name (LinkExtractor's allow_domains
        # compares host:port, which misses a site served on a port).
        links = [x for x in self.links.extract_links(response) if self.source.owns_url(x.url)]
        if len(links) > LISTING_MAX_LINKS:
            self.crawler.stats.inc_value("listing/links_dropped", len(links) - LISTING_MAX_LINKS)
            self.logger.warning("Listing page with %d article links: the first %d are followed: "
                                "%s", len(links), LISTING_MAX_LINKS, response.url)
            del links[LISTING_MAX_LINKS:]
        new = 0
        dated_old = 0
        for link in links:
            if self.is_too_old(date_from_url(link.url)):
                dated_old += 1
            request = self.article_request(link.url, hinted_title=link.text.strip() or None)
            if request is not None:
                new += 1
                yield request
        if not links:
            self.crawler.stats.inc_value("listing/no_links")
            self.logger.warning("No article links on listing page %s", response.url)
        if new == 0 or page >= self.max_pages or (links and dated_old == len(links)):
            return
        next_url = self.next_page_url(response, entry, page)
        if next_url:
            yield scrapy.Request(
                next_url,
                callback=self.parse_listing,
                cb_kwargs={"entry": entry, "page": page + 1},
            )

    def next_page_url(self, response: TextResponse, entry: str, page: int) -> str | None:
        if self.source.next_page:
            found = response.css(self.source.next_page).get()
            return response.urljoin(found.strip()) if found else None
        if self.source.page_template:
            # Page 1 is the entry point itself; the template counts from 1
            # for the second page (fmprc: index_1.html follows index.html).
            return urljoin(entry, self.source.page_template.format(page=page))
        return None
