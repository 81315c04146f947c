"""What a reader (HTML or PDF) gets out of a page before the shared
finishing steps, and the value returned when there is nothing to keep."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Rejected:
    reason: str  # short and stat-safe: not_html, empty, no_article, ...
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass
class Draft:
    title: str
    paragraphs: list[str]
    # The publisher's machine-readable timestamp (meta tags, JSON-LD, PDF info).
    markup_date: datetime | None = None
    # The date a generic reader (htmldate) finds in the page, YYYY-MM-DD:
    # a function, called only when the markup and the URL give no date.
    page_date: Callable[[], str | None] | None = None
    author: str | None = None
    # The byline printed in the page, read when ``author`` (the declared
    # one) is no person's name: "Finian Cunningham Sputnik International".
    byline: Callable[[], str | None] | None = None
    declared_language: str | None = None
    canonical_url: str | None = None
    section: str | None = None
    site_name: str | None = None
    notes: list[str] = field(default_factory=list)
    # The texts of the page's links (clean.link_key), to spot teasers.
    link_keys: frozenset[str] = frozenset()
    # The summary printed between headline and body (standfirst.py).
    standfirst: str | None = None
