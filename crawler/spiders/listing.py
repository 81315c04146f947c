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
        self.crawler.stats.inc_value("listing/pages")
        # Domains are checked on the host name (LinkExtractor's allow_domains
        # compares host:port, which misses a site served on a port).
        links = [x for x in self.links.extract_links(response) if self.source.owns_url(x.url)]
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
