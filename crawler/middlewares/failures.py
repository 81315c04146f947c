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
from typing import Self

from scrapy import Request, Spider, signals
from scrapy import exceptions as scrapy_errors
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as net
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

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


class DownloadFailures:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.failures: Counter[tuple[str, str]] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if isinstance(exception, IgnoreRequest):
            return None  # robots.txt, offsite, a refused address: not a failure
        cause = cause_of(exception)
        host = urlparse_cached(request).hostname or "?"
        self.failures[cause, host] += 1
        stats = self.crawler.stats
        stats.inc_value("download/failed")
        stats.inc_value(f"download/failed/{cause}")
        # Kept current in the stats: the ledger may close the run before
        # this middleware hears that the spider closed.
        stats.set_value("demarche/failures", "; ".join(self.summary()))
        logger.debug("Download failed (%s): %s: %s", cause, request.url, exception)
        raise DownloadFailed(f"{cause}: {request.url}")

    def summary(self) -> list[str]:
        return [f"{cause} for {host}: {count} request{'s' if count != 1 else ''}"
                for (cause, host), count in self.failures.most_common()]

    def spider_closed(self, spider: Spider) -> None:
        for line in self.summary():
            logger.error(line)


UNDECODABLE = "body its Content-Encoding does not decode"


class CheckedDecompression(HttpCompressionMiddleware):
    """Scrapy's decompression (order 590), with a body that its declared
    Content-Encoding cannot undo (garbage sent as gzip, gzip sent as br)
    counted as a failed download and said once per host, instead of an
    "Error downloading" with the decoder's traceback. Its limits on the
    decompressed size are Scrapy's, unchanged."""

    hosts_said: set[str]

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            raise  # past DOWNLOAD_MAXSIZE while decompressing: said by Scrapy
        except Exception as exc:  # noqa: BLE001 - zlib, brotli, zstandard: each its own error
            host = urlparse_cached(request).hostname or "?"
            if self.stats is not None:
                self.stats.inc_value("download/failed")
                self.stats.inc_value(f"download/failed/{UNDECODABLE}")
            said = self.__dict__.setdefault("hosts_said", set())
            if host not in said:
                said.add(host)
                encoding = response.headers.get(b"Content-Encoding", b"").decode("latin-1")
                logger.error("A %s from %s (%s: %s): not archived; further ones are counted "
                             "as download/failed", UNDECODABLE, host, encoding or "?", exc)
            raise DownloadFailed(f"{UNDECODABLE}: {request.url}") from None
