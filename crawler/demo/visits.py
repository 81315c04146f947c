"""Crawl the demo's sites on each of its visits, one visit after the other,
in this process.

Each visit is one crawl of every demo source, answered by that visit's
recording (``crawler/demo/live_site.py``); the next visit starts when the
last crawl of the one before has closed, so that its spiders read what the
earlier visit archived. Twisted's reactor runs once per process, so the
visits share one ``CrawlerProcess``, each crawl with its visit's settings,
and one extraction pool: its workers are not spawned again for each visit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from twisted.internet.defer import Deferred, DeferredList, inlineCallbacks

from crawler.ingest.workers import PageBounds
from crawler.pipelines.extract import ExtractionPipeline, ExtractionPool
from crawler.runner import CrawlOutcome, check_request, outcome_of

SITE_MIDDLEWARE = "crawler.demo.live_site.DemoSiteMiddleware"
# Every article of the sources is fetched on every visit (``-a
# refetch=true``): the demo's articles are from 2012, which the revisit
# policy would never fetch again, and a refetch is when a crawl looks for
# takedowns (crawler/spiders/base.py).
ARGS = {"refetch": "true"}


def visit_settings(settings: Settings, recording: Path) -> Settings:
    """The settings of a visit: ``settings``, answered from ``recording``."""
    visit = settings.copy()
    middlewares = visit.getdict("DOWNLOADER_MIDDLEWARES")
    # In the replay middleware's place: last before the network.
    middlewares[SITE_MIDDLEWARE] = 950
    visit.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    visit.set("DEMARCHE_DEMO_SITE", str(recording), priority="cmdline")
    return visit


def crawl_visits(keys: Sequence[str], recordings: Sequence[Path],
                 settings: Settings) -> list[list[CrawlOutcome]]:
    """Crawl ``keys`` once per recording, in order; each visit's outcomes,
    up to the first visit of which a crawl did not finish (the later ones
    would show what that one left out)."""
    check_request(settings, keys, ARGS)
    process = CrawlerProcess(settings)
    visits: list[list[tuple[str, Crawler]]] = []

    def start(recording: Path) -> Deferred:
        crawlers = []
        for key in keys:
            # The first crawler of the process installs the reactor, as
            # CrawlerProcess.create_crawler does.
            crawler = Crawler(process.spider_loader.load(key), visit_settings(settings, recording),
                              init_reactor=not visits and not crawlers)
            crawlers.append((key, crawler))
        visits.append(crawlers)
        return DeferredList([process.crawl(c, **ARGS) for _, c in crawlers], consumeErrors=True)

    first, *later = recordings
    started = start(first)  # before the reactor runs, which this installs
    from twisted.internet import reactor

    @inlineCallbacks
    def the_rest():  # type: ignore[no-untyped-def]
        try:
            yield started
            for recording in later:
                if any(outcome_of(k, c).status != "finished" for k, c in visits[-1]):
                    break
                yield start(recording)
        finally:
            # Stopped once running, even when the first visit failed at once.
            reactor.callLater(0, reactor.stop)

    # Held from before the first crawl opens to after the last one closes,
    # so that the pool each crawl's pipeline acquires lives through both.
    workers = ExtractionPipeline.from_crawler(visits[0][0][1]).workers  # as its crawls size it
    ExtractionPool.acquire(workers, PageBounds.from_settings(settings))
    try:
        the_rest()
        process.start(stop_after_crawl=False)
    finally:
        ExtractionPool.release()
    return [[outcome_of(key, crawler) for key, crawler in crawlers] for crawlers in visits]
