"""Check registry rows against their live sites (``demarche sources check``).

For each entry point of a row: fetch it (a redirect is not followed but
reported, unless it only respells the URL), count the article links the
row's own spider finds there (the real ``parse_listing``, ``parse_feed`` or
``parse_sitemap`` of ``spider_for(row)``, so the check matches links
exactly as a crawl would), and extract the first article with the crawl's
``process_page``. A verdict is OK, or FAIL with the reason: an HTTP status
(403, 404), moved (a redirect to another path or host), a timeout, no
article links (the page lists nothing), the pattern matching none of the
links, or an article that does not extract.

When an entry point fails, the check looks for what the site offers
instead: feeds linked from the failing page and the home page
(trafilatura's ``determine_feed``), sitemaps named in robots.txt
(trafilatura's ``extract_robots_sitemaps``) or at /sitemap.xml, and the
redirect's target, and tries each with the row's article pattern. Each that
yields article links becomes a suggested row.

The fetching is a Scrapy crawl with the project's settings, so that the
address rules (crawler/addresses.py: no private addresses unless
DEMARCHE_ALLOW_PRIVATE_ADDRESSES), robots.txt, the user agent and the
timeout hold as in any crawl. Nothing is written: no archive, no WARC, no
run ledger.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import courlan
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import Settings
from trafilatura.feeds import FeedParameters, determine_feed
from trafilatura.sitemaps import extract_robots_sitemaps
from twisted.python.failure import Failure

from crawler.extraction.draft import Rejected
from crawler.ingest.processing import process_page
from crawler.items import FetchedPage
from crawler.sources import Source
from crawler.spiderloader import spider_for
from storage.urls import same_page

REDIRECTS = (301, 302, 303, 307, 308)
# Sitemap index children fetched to find article links; feeds and sitemaps
# tried when an entry point fails. A check asks a site for a dozen pages.
MAX_CHILDREN = 3
MAX_CANDIDATES = 4
# A check is a handful of requests per site, one at a time: no
# AutoThrottle to warm up, one try (a check says what happens, it does not
# insist), and nothing kept.
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0.25,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "RETRY_ENABLED": False,
    "ITEM_PIPELINES": {},
    "DEMARCHE_LEDGER_ENABLED": False,
    "DEMARCHE_WARC_ENABLED": False,
    # The table says what failed; the failure summary would say it again.
    "LOG_LEVEL": "CRITICAL",
}


class FetchFailed(Exception):
    """A page that could not be had, with the reason in the check's words."""


@dataclasses.dataclass
class Suggestion:
    row: Source
    articles: int  # article links its spider found there
    found: str  # where: "feed linked from the home page", ...


@dataclasses.dataclass
class EntryCheck:
    source: Source
    entry_point: str
    ok: bool = False
    reason: str = ""
    links: int = 0  # links on the page (entries of a feed, URLs of a sitemap)
    articles: int = 0  # of them, article links the row's spider would request
    article: str = ""  # the article extracted: its title
    suggestions: list[Suggestion] = dataclasses.field(default_factory=list)


def failure_reason(failure: Failure) -> str:
    """A download failure in a check's words: the cause the crawl's
    failure middleware names (crawler/middlewares/failures.py), or what
    refused the request (robots.txt, the address rules)."""
    from scrapy.exceptions import IgnoreRequest

    from crawler.middlewares.failures import DownloadFailed, cause_of

    exc = failure.value
    if isinstance(exc, DownloadFailed):
        cause = str(exc).split(": ", 1)[0]  # "timed out: URL"
    elif isinstance(exc, IgnoreRequest):
        return f"refused: {exc or 'robots.txt or the address rules'}"
    else:
        cause = cause_of(exc)
    return "timeout" if cause == "timed out" else cause


def _row_spider(row: Source, crawler: Any) -> scrapy.Spider:
    """A spider of ``row`` to parse pages with, bound to the check's
    crawler for its stats and settings but to none of its signals: it is
    never scheduled, and what it asks for is only counted."""
    spider = spider_for(row)()
    spider.crawler = crawler
    spider.settings = crawler.settings
    return spider


def _all_links(row: Source, response: Response) -> int:
    """What a page offers, to tell "lists nothing" from "matches nothing"."""
    if row.spider == "listing":
        if not isinstance(response, TextResponse):
            return 0
        return len([x for x in LinkExtractor().extract_links(response) if row.owns_url(x.url)])
    if row.spider == "feed":
        import feedparser

        return len(feedparser.parse(response.body).entries)
    from crawler.spiders.sitemap import sitemap_entries

    body = response.body
    if body[:2] == b"\x1f\x8b":
        from scrapy.utils.gz import gunzip

        body = gunzip(body, max_size=64 * 1024 * 1024)
    kind, entries = sitemap_entries(body)
    return sum(1 for _ in entries) if kind in ("urlset", "sitemapindex") else 0


class SourceCheckSpider(scrapy.Spider):
    name = "sources-check"

    def __init__(self, sources: Sequence[Source], results: list[EntryCheck]) -> None:
        super().__init__()
        self.sources = list(sources)
        self.results = results
        self.allowed_domains = sorted({d for s in self.sources for d in s.domains})

    async def start(self):  # type: ignore[no-untyped-def]
        """Every check at once (the downloader keeps each site to one
        request at a time); the crawl ends when they are done. Pages are
        fetched with ``engine.download_async``, which answers each with its
        response or its failure: a scheduled request refused by the
        offsite middleware would vanish without either."""
        checks = [EntryCheck(s, url) for s in self.sources for url in s.entry_points]
        self.results.extend(checks)
        await asyncio.gather(*(self.check_entry(check) for check in checks))
        return
        yield  # an async generator of no requests

    async def fetch(self, url: str, *, redirect: bool = True) -> Response:
        """The page at ``url``; FetchFailed when none. With ``redirect``
        off, a 3xx comes back as it is; with it on, an error status fails."""
        request = scrapy.Request(url, dont_filter=True, meta={"dont_redirect": not redirect})
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # noqa: BLE001 - every failure is a reason to report
            raise FetchFailed(failure_reason(Failure(exc))) from exc
        if redirect and response.status >= 400:
            raise FetchFailed(f"HTTP {response.status}")
        return response

    async def check_entry(self, check: EntryCheck) -> None:
        try:
            await self.check_page(check)
        except Exception as exc:  # noqa: BLE001 - one broken check must not stop the others
            check.ok, check.reason = False, f"check failed: {type(exc).__name__}: {exc}"

    async def check_page(self, check: EntryCheck) -> None:
        source = check.source
        try:
            response = page = await self.fetch(check.entry_point, redirect=False)
        except FetchFailed as exc:
            check.reason = str(exc)
            return
        location = response.headers.get(b"Location")
        if response.status in REDIRECTS and location:
            target = urljoin(check.entry_point, location.decode("latin-1"))
            if same_page(check.entry_point, target):
                try:
                    page = await self.fetch(target)  # a respelling (https, a slash)
                except FetchFailed as exc:
                    check.reason = str(exc)
                    return
            else:
                check.reason = f"moved: {response.status} to {target}"
                await self.suggest(check, None, moved_to=target)
                return
        elif response.status >= 400:
            check.reason = f"HTTP {response.status}"
            await self.suggest(check, response)
            return
        articles = await self.article_links(source, page)
        check.links, check.articles = _all_links(source, page), len(articles)
        if not articles:
            check.reason = ("no article links: the page lists nothing" if not check.links
                            else f"pattern matches nothing: none of {check.links} links is "
                                 "an article URL")
            await self.suggest(check, page)
            return
        check.reason, check.ok = await self.extract_one(source, articles)

    async def article_links(self, row: Source, response: Response) -> list[str]:
        """The article URLs ``row``'s spider requests from this page, with a
        sitemap index's (or robots.txt's) first children fetched too."""
        spider = _row_spider(row, self.crawler)
        spider.drain_batch = 1000  # enough to count; the rest is never read
        callbacks = {"listing": "parse_listing", "feed": "parse_feed", "sitemap": "parse_sitemap"}
        parse = getattr(spider, callbacks[row.spider])
        args = {"entry": response.url} if row.spider == "listing" else {}
        articles: list[str] = []
        pages = [(response, args)]
        fetched = 0
        while pages:
            page, kwargs = pages.pop(0)
            for request in parse(page, **kwargs) or ():
                if request.callback == spider.parse_article:
                    articles.append(request.url)
                elif row.spider == "sitemap" and fetched < MAX_CHILDREN:
                    fetched += 1
                    try:
                        pages.append((await self.fetch(request.url), {}))
                    except FetchFailed:
                        continue
        return articles

    async def extract_one(self, source: Source, articles: Iterable[str]) -> tuple[str, bool]:
        url = next(iter(articles))
        try:
            response = await self.fetch(url)
        except FetchFailed as exc:
            return f"article {url}: {exc}", False
        content_type = response.headers.get(b"Content-Type")
        page = FetchedPage(
            source=source.key, url=response.url, status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            body=response.body, fetched_at=datetime.now(UTC))
        result = process_page(page, source)
        if isinstance(result, Rejected):
            return f"article does not extract ({result}): {url}", False
        words = len(result.body.split())
        day = f", {result.published_at:%Y-%m-%d}" if result.published_at else ""
        return f"extracted “{result.title}” ({words} words{day})", True

    async def suggest(self, check: EntryCheck, page: Response | None, *,
                      moved_to: str | None = None) -> None:
        """What the site offers instead of a failing entry point, tried
        with the row's article pattern: each that works is a suggestion."""
        source = check.source
        base = courlan.get_base_url(check.entry_point)
        candidates: list[tuple[str, str, str]] = []  # (spider, url, where found)
        if moved_to:
            candidates.append((source.spider, moved_to, "where the entry point moved"))
        pages = [("the entry point", page)] if isinstance(page, TextResponse) else []
        try:
            pages.append(("the home page", await self.fetch(base + "/")))
        except FetchFailed:
            pass
        for where, found in pages:
            if isinstance(found, TextResponse) and not found.url.endswith((".xml", ".rss")):
                params = FeedParameters(base, urlsplit(base).hostname or "", found.url)
                candidates += [("feed", url, f"feed linked from {where}")
                               for url in determine_feed(found.text, params)]
        sitemaps: list[str] = []
        try:
            robots = await self.fetch(base + "/robots.txt")
            sitemaps = extract_robots_sitemaps(robots.text, base) if isinstance(
                robots, TextResponse) else []
        except FetchFailed:
            pass
        candidates += [("sitemap", url, "sitemap named in robots.txt") for url in sitemaps]
        if not sitemaps:
            candidates.append(("sitemap", base + "/sitemap.xml", "sitemap at /sitemap.xml"))
        seen = {check.entry_point}
        for spider, url, where in candidates:
            if url in seen or len(seen) > MAX_CANDIDATES:
                continue
            seen.add(url)
            row = candidate_row(source, spider, url)
            try:
                found = await self.fetch(url)
                articles = await self.article_links(row, found)
            except (FetchFailed, ValueError):
                continue
            if articles:
                check.suggestions.append(Suggestion(row, len(articles), where))


def candidate_row(source: Source, spider: str, url: str) -> Source:
    """``source`` walked by ``spider`` from ``url``: the fields of another
    spider dropped."""
    changes: dict[str, Any] = {"spider": spider, "entry_points": (url,)}
    if spider != "listing":
        changes |= {"next_page": None, "page_template": None}
    if spider != "sitemap":
        changes["sitemap_follow"] = None
    return dataclasses.replace(source, **changes)


def check_sources(sources: Sequence[Source], settings: Settings,
                  timeout: float | None = None) -> list[EntryCheck]:
    """Check every entry point of ``sources``; one result each, in order."""
    overrides = dict(SETTINGS)
    if timeout is not None:
        overrides["DOWNLOAD_TIMEOUT"] = timeout
    chosen = settings.copy()
    for name, value in overrides.items():
        chosen.set(name, value, priority="cmdline")
    results: list[EntryCheck] = []
    process = CrawlerProcess(chosen)
    process.crawl(SourceCheckSpider, sources=sources, results=results)
    process.start()
    for check in results:
        if not check.reason:
            check.reason = "no answer"  # the crawl stopped before it
    return results


def _toml_value(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str) and "\\" in value and "'" not in value and "\n" not in value:
        return f"'{value}'"  # a literal string: regexes read as written
    import json

    return json.dumps(value, ensure_ascii=False)


def row_toml(row: Source) -> str:
    """``row`` as a registry ``[[source]]`` table: fields left at their
    default omitted."""
    lines = ["[[source]]"]
    for field in dataclasses.fields(Source):
        value = getattr(row, field.name)
        if field.default is not dataclasses.MISSING and value == field.default:
            continue
        lines.append(f"{field.name} = {_toml_value(value)}")
    return "\n".join(lines)
