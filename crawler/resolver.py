"""The crawl's DNS resolver: Scrapy's caching resolver, refusing any name
that resolves to a loopback, private, link-local, multicast or metadata
address (crawler/addresses.py). Twisted connects to the address this returns,
so the check is made on the address actually connected to: a public name
pointed at 10.0.0.5 (DNS rebinding, a hijacked record) is refused as surely
as the literal. IP literals never reach a resolver; the offsite middleware
(crawler/middlewares/offsite.py) checks those before the request leaves."""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from crawler.addresses import PrivateAddressRefused, refused_address

# Names whose latest resolution this process refused, with why. Twisted
# hands the download a plain DNS error (Scrapy's CannotResolveHostError)
# whatever the resolver raised, which would be retried and summed up as "DNS
# lookup failed": the retry middleware looks the host up here first
# (``refusal``). A later resolution of the name to a public address, or a
# real DNS failure, takes it out again, so that a long-lived process does
# not report tomorrow's outage as today's refusal; bounded as Scrapy's own
# DNS cache is.
REFUSED: LocalCache[str, str] = LocalCache(limit=10_000)


class PrivateNameRefused(DNSLookupError):
    """The name resolves to an address a crawl must not reach. A DNS error
    for Twisted, which then fails the connection without logging a
    traceback as it does for any other exception."""


def refusal(request: Any, exception: BaseException) -> PrivateAddressRefused | None:
    """The refusal behind a download's DNS error, when the resolver made it."""
    if not isinstance(exception, (CannotResolveHostError, DNSLookupError)):
        return None
    why = REFUSED.get(urlparse_cached(request).hostname or "")
    return PrivateAddressRefused(why) if why else None


class PublicAddressResolver(CachingThreadedResolver):
    allow_private = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("DEMARCHE_ALLOW_PRIVATE_ADDRESSES")
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 - Twisted's name
        deferred = super().getHostByName(name, timeout)
        if not self.allow_private:
            deferred.addCallbacks(self._refuse_private, self._failed, callbackArgs=(name,),
                                  errbackArgs=(name,))
        return deferred

    @staticmethod
    def _refuse_private(address: str, name: str) -> str:
        key = name.lower().rstrip(".")
        reason = refused_address(address)
        if reason is not None:
            REFUSED[key] = f"{name} resolves to {address}, {reason}"
            raise PrivateNameRefused(name, REFUSED[key])
        REFUSED.pop(key, None)
        return address

    @staticmethod
    def _failed(failure: Any, name: str) -> Any:
        REFUSED.pop(name.lower().rstrip("."), None)
        return failure
