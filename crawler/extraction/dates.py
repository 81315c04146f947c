"""The publication date of a page, in UTC.

Order of trust (most specific first):

1. a publication timestamp the publisher put in the markup for machines:
   ``article:published_time`` and friends, or JSON-LD ``datePublished``;
   these carry a time and a zone, which nothing else does;
2. the date in the URL (``/20120402/``, ``/2012/04/02/``, ``t20120402_``):
   CMSs write it once at publication and never touch it;
3. htmldate's reading of the page (through trafilatura), asked for the
   original date, not the last modification;
4. what the referrer said: a feed entry's or sitemap entry's date.

A date in the future or before 1990 is ignored as a template artefact.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta

from dateutil import parser as dateparser
from lxml import html as lxml_html

_META_NAMES = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "dc.date.issued",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
)
_URL_DATES = [
    re.compile(r"(?<!\d)(?P<y>(19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)"),
    re.compile(r"/(?P<y>(19|20)\d\d)[/-](?P<m>[01]?\d)[/-](?P<d>[0-3]?\d)(?:/|[-_]|$)"),
]
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def _plausible(moment: datetime | None, now: datetime) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if not (_EARLIEST <= moment <= now + timedelta(days=1)):
        return None
    return moment


# Zone abbreviations that feeds and CMSs print; dateutil knows none of them
# and would otherwise return a naive time.
_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "BST": 3600, "CET": 3600, "CEST": 7200, "MSK": 10800,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000, "MST": -25200,
    "MDT": -21600, "PST": -28800, "PDT": -25200, "JST": 32400, "IST": 19800,
}


def parse_timestamp(value: str | None) -> datetime | None:
    """ISO 8601 in its basic or extended form, or RFC 822; else None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return dateparser.isoparse(value)
    except (ValueError, OverflowError, TypeError):
        pass
    try:
        return dateparser.parse(value, tzinfos=_ZONES)
    except (ValueError, OverflowError, TypeError):
        return None


def date_in_markup(tree: lxml_html.HtmlElement) -> datetime | None:
    """The publisher's machine-readable publication timestamp, if any."""
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if name in _META_NAMES:
            found = parse_timestamp(meta.get("content"))
            if found:
                return found
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        for node in _walk_jsonld(data):
            found = parse_timestamp(str(node.get("datePublished") or ""))
            if found:
                return found
    return None


def _walk_jsonld(data: object):
    if isinstance(data, list):
        for item in data:
            yield from _walk_jsonld(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if key in data:
                yield from _walk_jsonld(data[key])


def date_from_url(url: str) -> date | None:
    for pattern in _URL_DATES:
        for match in pattern.finditer(url):
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                continue
    return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def published_at(
    markup: datetime | None,
    url: str,
    page_date: str | None,
    hinted: datetime | None = None,
    now: datetime | None = None,
) -> datetime | None:
    now = now or datetime.now(UTC)
    from_markup = _plausible(markup, now)
    url_day = date_from_url(url)
    if from_markup is not None:
        # The markup's timestamp wins unless the URL says another day, which
        # happens when a template prints the build or update time instead;
        # a zone shift of a few hours is not a disagreement.
        if url_day is None or abs((from_markup.date() - url_day).days) <= 1:
            return from_markup
    hinted = _plausible(hinted, now)
    for day in (url_day, _iso_day(page_date)):
        if day is None or _plausible(_midnight(day), now) is None:
            continue
        # A feed or sitemap timestamp of the same day adds the time of day.
        if hinted is not None and hinted.date() == day:
            return hinted
        return _midnight(day)
    return hinted


def _iso_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
