"""Download failures counted per run and said once per cause.

An unreachable site used to print some 250 lines: a Twisted traceback per
request and per robots.txt, and a "Gave up retrying" line each. This
middleware sits outermost (order 10): its ``process_exception`` sees only
failures that retries did not get past. Each is counted in the run's own
stats (``download/failed``, ``download/failed/<cause>``: Scrapy's
``log_count/ERROR`` counts every crawler's log lines in a process, so it
cannot say which run an error belongs to), turned into ``DownloadFailed``
(an IgnoreRequest: Scrapy logs those without a traceback), and summarised
when the spider closes, one line per cause and host: "DNS lookup failed for
mid.ru: 4 requests". The summary is kept in the stats
(``demarche/failures``) for the ledger, ``demarche status`` and the
scheduler. Unexpected errors (a spider callback raising) keep their
tracebacks: they come another way.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Self
from weakref import WeakKeyDictionary

from scrapy import Request, Spider, signals
from scrapy import exceptions as scrapy_errors
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as net
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived
from w3lib.url import canonicalize_url

logger = logging.getLogger(__name__)

# Cause names for the exceptions a download ends with: Scrapy's own (2.19
# wraps Twisted's) and Twisted's, for other download handlers.
_CAUSES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((scrapy_errors.CannotResolveHostError, net.DNSLookupError), "DNS lookup failed"),
    ((scrapy_errors.DownloadConnectionRefusedError, net.ConnectionRefusedError),
     "connection refused"),
    ((scrapy_errors.DownloadTimeoutError, net.TimeoutError, net.TCPTimedOutError), "timed out"),
    ((scrapy_errors.DownloadCancelledError,), "download cancelled (over DOWNLOAD_MAXSIZE)"),
    ((scrapy_errors.ResponseDataLossError,), "response cut short"),
    ((scrapy_errors.UnsupportedURLSchemeError,), "unsupported URL scheme"),
    ((net.NoRouteError,), "no route to host"),
    ((scrapy_errors.DownloadFailedError, ResponseNeverReceived, ResponseFailed,
      net.ConnectionLost, net.ConnectionDone), "connection lost"),
)


class DownloadFailed(IgnoreRequest):
    """A download that failed for good, already counted and summarised."""


def cause_of(exception: BaseException) -> str:
    for types, cause in _CAUSES:
        if isinstance(exception, types):
            return cause
    name = type(exception).__name__
    if "SSL" in name or "TLS" in name or "Certificate" in name:
        return "TLS error"
    return name


class FailureTally:
    """A run's failed downloads by cause and host: counted in its stats
    and summarised in ``demarche/failures``, kept current there because
    the ledger may close the run before a middleware hears that the
    spider closed. One per crawler, shared by the middlewares that see
    failures (``tally_of``)."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats
        self.counts: Counter[tuple[str, str]] = Counter()

    def record(self, cause: str, host: str) -> bool:
        """Count one failure; True the first time for this cause and host."""
        first = (cause, host) not in self.counts
        self.counts[cause, host] += 1
        self.stats.inc_value("download/failed")
        self.stats.inc_value(f"download/failed/{cause}")
        self.stats.set_value("demarche/failures", "; ".join(self.summary()))
        return first

    def summary(self) -> list[str]:
        return [f"{cause} for {host}: {count} request{'s' if count != 1 else ''}"
                for (cause, host), count in self.counts.most_common()]


_TALLIES: WeakKeyDictionary[Crawler, FailureTally] = WeakKeyDictionary()


def tally_of(crawler: Crawler) -> FailureTally:
    if crawler not in _TALLIES:
        _TALLIES[crawler] = FailureTally(crawler.stats)
    return _TALLIES[crawler]


class DownloadFailures:
    def __init__(self, crawler: Crawler):
        self.tally = tally_of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if isinstance(exception, IgnoreRequest):
            return None  # robots.txt, offsite, a refused address: not a failure
        cause = cause_of(exception)
        self.tally.record(cause, urlparse_cached(request).hostname or "?")
        logger.debug("Download failed (%s): %s: %s", cause, request.url, exception)
        raise DownloadFailed(f"{cause}: {request.url}")

    def spider_closed(self, spider: Spider) -> None:
        for line in self.tally.summary():
            logger.error(line)


UNDECODABLE = "body its Content-Encoding does not decode"


class CheckedDecompression(HttpCompressionMiddleware):
    """Scrapy's decompression (order 590), with a body that its declared
    Content-Encoding cannot undo (garbage sent as gzip, gzip sent as br)
    counted as a failed download in the run's tally and said once per host,
    instead of an "Error downloading" with the decoder's traceback. Its
    limits on the decompressed size are Scrapy's, unchanged."""

    def __init__(self, stats: Any = None, *, crawler: Crawler | None = None) -> None:
        super().__init__(stats, crawler=crawler)
        self.tally = None if crawler is None else tally_of(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            raise  # past DOWNLOAD_MAXSIZE while decompressing: said by Scrapy
        except Exception as exc:  # noqa: BLE001 - zlib, brotli, zstandard: each its own error
            host = urlparse_cached(request).hostname or "?"
            if self.tally is None or self.tally.record(UNDECODABLE, host):
                encoding = response.headers.get(b"Content-Encoding", b"").decode("latin-1")
                logger.error("A %s from %s (%s: %s): not archived; further ones are counted "
                             "as download/failed", UNDECODABLE, host, encoding or "?", exc)
            raise DownloadFailed(f"{UNDECODABLE}: {request.url}") from None


class CheckedRedirect(RedirectMiddleware):
    """Scrapy's redirects (order 600), with a page lost to a redirect loop
    or to too long a chain counted in the run's tally and said once per
    host. Scrapy drops either at DEBUG: a loop as a duplicate request (the
    scheduler's filter sees the first URL again), a long chain as "max
    redirections reached". One return to a URL of the chain is followed,
    past the filter: a site that sets a cookie and redirects back to the
    page serves it the second time."""

    tally: FailureTally

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.tally = tally_of(crawler)
        return middleware

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        chain = [canonicalize_url(url) for url in request.meta.get("redirect_urls", [])]
        chain.append(canonicalize_url(request.url))
        seen = chain.count(canonicalize_url(redirected.url))
        if seen > 1:
            self._lost(request, "redirect loop", f"back to {redirected.url} again")
        # The request's own flag, before a return set it for one hop (Scrapy
        # copies it to every later hop of the chain).
        own = request.meta.get("demarche_dont_filter", request.dont_filter)
        try:
            followed = super()._redirect(redirected, request, reason)
        except IgnoreRequest:
            self._lost(request, "too many redirects", f"over {self.max_redirect_times}")
        followed.meta["demarche_dont_filter"] = own
        followed.dont_filter = own or bool(seen)
        return followed

    def _lost(self, request: Request, cause: str, detail: str) -> None:
        host = urlparse_cached(request).hostname or "?"
        start = (request.meta.get("redirect_urls") or [request.url])[0]
        if self.tally.record(cause, host):
            logger.error("%s at %s (%s): not archived; further ones are counted as "
                         "download/failed", cause.capitalize(), start, detail)
        raise DownloadFailed(f"{cause}: {start}")
