"""Whether a run requests an article link again.

A link never fetched before is always requested. A link fetched before is
requested again only when something says the page may have changed since:

- its referrer's change signal (a sitemap ``<lastmod>``, a feed entry's
  ``updated``) is later than our last fetch; or
- the article is young and our last fetch is older than the revisit
  interval: ministries complete and correct statements in the first day or
  two (a transcript posted in part, a translation added, a typo fixed), and
  listing pages announce none of it.

Everything else is skipped. A re-fetch is conditional when the last answer
carried validators, so that an unchanged page costs a 304 and no body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from storage.fetch_state import FetchRecord


class Reason(StrEnum):
    NEW = "new"  # never fetched
    SIGNALLED = "signalled"  # the referrer says it changed since our fetch
    REVISIT = "revisit"  # young, and not fetched for a while
    UNCHANGED = "unchanged"  # nothing says it changed: skip it


@dataclass(frozen=True)
class RevisitPolicy:
    # Defaults of DEMARCHE_REVISIT_DAYS and DEMARCHE_REVISIT_HOURS.
    young: timedelta = timedelta(days=2)
    interval: timedelta = timedelta(hours=20)


def _utc(moment: datetime | date | None) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(), tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fetch_reason(
    record: FetchRecord | None,
    *,
    modified_at: datetime | None,
    published: datetime | date | None,
    now: datetime,
    policy: RevisitPolicy,
) -> Reason:
    """Why the link is requested, or ``UNCHANGED`` when it is not.

    ``modified_at`` is the referrer's change signal; ``published`` the best
    known publication time (archived, hinted, or the URL's date).
    """
    if record is None:
        return Reason.NEW
    modified = _utc(modified_at)
    if modified is not None and modified > record.fetched_at:
        return Reason.SIGNALLED
    born = _utc(published)
    if (
        born is not None
        and now - born <= policy.young
        and now - record.fetched_at >= policy.interval
    ):
        return Reason.REVISIT
    return Reason.UNCHANGED


def conditional_headers(record: FetchRecord) -> dict[str, str]:
    """The validators of the last answer, sent back as RFC 9110 preconditions.

    Both go out when both are known: a server that ignores If-None-Match
    may still honour If-Modified-Since, and one that honours both lets the
    ETag win. The Last-Modified text is sent back exactly as received.
    """
    headers = {}
    if record.etag:
        headers["If-None-Match"] = record.etag
    if record.last_modified:
        headers["If-Modified-Since"] = record.last_modified
    return headers
