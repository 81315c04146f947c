"""A spider per registry row: ``scrapy list`` lists the sources and
``scrapy crawl <key>`` runs the generic spider the row names.

Set as ``SPIDER_LOADER_CLASS``; the registry file is the
``DEMARCHE_SOURCES`` setting (tests point it at a loopback site).
"""

from __future__ import annotations

from typing import Self

from scrapy import Request, Spider
from scrapy.settings import BaseSettings

from crawler.sources import Source, registry_of
from crawler.spiders.base import SourceSpider
from crawler.spiders.feed import FeedSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import SitemapSpider

SPIDER_CLASSES: dict[str, type[SourceSpider]] = {
    "feed": FeedSpider,
    "sitemap": SitemapSpider,
    "listing": ListingSpider,
}


def spider_for(source: Source) -> type[SourceSpider]:
    base = SPIDER_CLASSES[source.spider]
    return type(
        f"{base.__name__}[{source.key}]",
        (base,),
        {"name": source.key, "source": source, "__module__": base.__module__},
    )


class SourceSpiderLoader:
    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources
        self._spiders = {key: spider_for(src) for key, src in sources.items()}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(registry_of(settings))

    def load(self, spider_name: str) -> type[Spider]:
        try:
            return self._spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def list(self) -> list[str]:
        return list(self._spiders)

    def find_by_request(self, request: Request) -> list[str]:
        return [key for key, src in self.sources.items() if src.owns_url(request.url)]
