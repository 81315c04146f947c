"""What flows through the crawl: a fetched page, then a clean statement.

Spiders yield ``FetchedPage``; the extraction pipeline turns it into a
``Statement`` (or drops it with a reason); the archive pipeline stores the
``Statement``. Both are plain dataclasses, which Scrapy accepts as items and
which pickle cheaply to the extraction process pool.

Each article response is also a ``Fetch``: the statement carries it into
the archive with its text, and a 304 Not Modified answer is yielded as a
bare ``Fetch``, which the archive pipeline records without extraction.

An archived article's URL that answers 404 or 410, or redirects away from
the article (to the home page, a listing, a page that is no article), is
yielded as ``Gone``: the archive marks the article removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Fetch:
    """One response to an article request, as ``fetch_state`` keeps it.

    ``url`` is the link as requested: the key the next run looks up.
    ``page_url`` is where the answer came from after redirects: the URL the
    article is archived under.
    """

    source: str
    url: str
    page_url: str
    status: int
    fetched_at: datetime
    # The response's validators, sent back in the next conditional request.
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchedPage:
    source: str
    url: str
    status: int
    content_type: str | None
    body: bytes = field(repr=False)  # kept out of log lines
    fetched_at: datetime
    # What the page's referrer knew: a feed entry's or a sitemap entry's
    # publication date, used when the page itself carries none.
    hinted_date: datetime | None = None
    hinted_title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # The link as requested, when a redirect led to ``url``.
    requested_url: str | None = None
    # Where the response is kept: a WARC file (relative to the WARC folder,
    # or absolute for an imported one) and the offset of its record.
    warc_file: str | None = None
    warc_offset: int | None = None

    def fetch(self) -> Fetch:
        return Fetch(
            source=self.source,
            url=self.requested_url or self.url,
            page_url=self.url,
            status=self.status,
            fetched_at=self.fetched_at,
            etag=self.etag,
            last_modified=self.last_modified,
        )


@dataclass
class Statement:
    source: str
    url: str  # normalised: the archive's unique key
    canonical_url: str | None
    title: str
    body: str = field(repr=False)
    published_at: datetime | None  # in the publisher's offset when the page gives one
    author: str | None
    language: str | None
    section: str | None
    site_name: str | None
    fetched_at: datetime
    # The summary printed between headline and body, which the body leaves
    # out (crawler/extraction/standfirst.py); None when the page has none.
    standfirst: str | None = None
    # What extraction noticed and worked around ("charset_mismatch"):
    # counted in the crawl stats, not archived.
    notes: tuple[str, ...] = ()
    # The response it came from, recorded with it in one transaction.
    fetch: Fetch | None = field(default=None, repr=False)
    # Provenance: the WARC record of the response, the extractor that made
    # the text (crawler/extraction/provenance.py).
    warc_file: str | None = None
    warc_offset: int | None = None
    extractor: str | None = None
    extractor_hash: str | None = None
    # Type, speakers, quotes, countries... (crawler.enrich.Enrichment) and
    # the MinHash signature (storage.minhash) of the text as stored, made
    # by the worker (crawler.ingest.processing.process_and_enrich) of
    # ``clean_body`` when it is set (``body`` without the source's chrome
    # the worker knew of), else of ``body``. The archive uses them when it
    # stores that very text, and makes its own otherwise; it enriches from
    # what the worker read of the page's HTML (crawler.enrich.PageMarkup).
    enrichment: Any = field(default=None, repr=False)
    markup: Any = field(default=None, repr=False)
    clean_body: str | None = field(default=None, repr=False)
    signature: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Gone:
    """An archived article's URL that no longer serves it.

    ``status`` is the answer (404, 410, or the first redirect's status);
    ``reason`` what ``articles.removed_reason`` says ("http 404",
    "redirect"); ``final_url`` where a redirect led.
    """

    source: str
    url: str  # as requested
    status: int
    seen_at: datetime
    reason: str
    final_url: str | None = None
