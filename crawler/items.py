"""What flows through the crawl: a fetched page, then a clean statement.

Spiders yield ``FetchedPage``; the extraction pipeline turns it into a
``Statement`` (or drops it with a reason); the archive pipeline stores the
``Statement``. Both are plain dataclasses, which Scrapy accepts as items and
which pickle cheaply to the extraction process pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
    # What extraction noticed and worked around ("charset_mismatch"):
    # counted in the crawl stats, not archived.
    notes: tuple[str, ...] = ()
