"""Every request stays on its source, redirects included, and never reaches
an address a crawl must not (crawler/addresses.py).

Scrapy's own OffsiteMiddleware lets a request with ``dont_filter`` go
anywhere, and RedirectMiddleware copies ``dont_filter`` onto the redirect
it builds: a revisit of an archived article (which sets it, so that a
redirect to a page this run fetched is not dropped as a duplicate) would
follow a redirect to any host, robots.txt unchecked, and keep the answer in
the WARC. Here ``dont_filter`` only means "not a duplicate".

``SourceOffsiteMiddleware`` replaces Scrapy's: a request off the spider's
``allowed_domains`` is dropped whatever its flags, and so is one whose host
is a loopback or metadata name or a private IP literal (names are checked
after DNS by crawler/resolver.py). ``OffsiteRedirectMiddleware`` sits before
RedirectMiddleware and looks at each 3xx first: a redirect off the source is
not followed. When the request was an archived article's (the spider marks
it ``demarche_archived``), the 3xx itself goes to the spider, which records
a takedown ("redirected away") without fetching the other site; any other
such redirect is dropped. Both count what they drop (``offsite/...``) and
log one line per host.
"""

from __future__ import annotations

import logging
from typing import Any, Self
from urllib.parse import urljoin

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.addresses import PrivateAddressRefused, refused_host

logger = logging.getLogger(__name__)

REDIRECTS = (301, 302, 303, 307, 308)


class SourceOffsiteMiddleware(OffsiteMiddleware):
    def __init__(self, stats: Any, allow_private: bool = False):
        super().__init__(stats)
        self.allow_private = allow_private
        self.hosts_refused: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.allow_private = crawler.settings.getbool("DEMARCHE_ALLOW_PRIVATE_ADDRESSES")
        return middleware

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = self.crawler.spider
        host = urlparse_cached(request).hostname or ""
        if not self.allow_private and (reason := refused_host(host)):
            self.refuse(PrivateAddressRefused(f"{host} is {reason}"), host)
        if request.meta.get("allow_offsite") or self.should_follow(request, spider):
            return
        if host not in self.domains_seen:
            self.domains_seen.add(host)
            logger.info("Not following %s off the source (%s): it is not one of the "
                        "source's domains", host, request.url)
            self.stats.inc_value("offsite/domains")
        self.stats.inc_value("offsite/filtered")
        raise IgnoreRequest(f"{request.url} is off the source's domains")

    def process_exception(self, request: Request, exception: BaseException) -> None:
        # The resolver's refusal comes back here, after DNS.
        if isinstance(exception, PrivateAddressRefused):
            self.refuse(exception, urlparse_cached(request).hostname or "")

    def refuse(self, exception: PrivateAddressRefused, host: str) -> None:
        self.stats.inc_value("offsite/private_address")
        if host not in self.hosts_refused:
            self.hosts_refused.add(host)
            logger.warning("Refused %s (DEMARCHE_ALLOW_PRIVATE_ADDRESSES is off)", exception)
        raise exception


class OffsiteRedirectMiddleware:
    """Runs its ``process_response`` before RedirectMiddleware's (a higher
    order number than 600)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if (response.status not in REDIRECTS or not location
                or request.meta.get("dont_redirect")):
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        if source is None or source.owns_url(target):
            return response  # RedirectMiddleware follows it
        stats = self.crawler.stats
        stats.inc_value("offsite/redirect")
        if request.meta.get("demarche_archived"):
            # The spider sees the redirect itself: a takedown, with the
            # target named, and nothing fetched from the other site.
            request.meta["dont_redirect"] = True
            statuses = request.meta.setdefault("handle_httpstatus_list", [])
            statuses.append(response.status)
            return response
        logger.info("Not following a redirect off the source: %s -> %s", request.url, target)
        raise IgnoreRequest(f"redirect from {request.url} to {target}, off the source")
