"""The publication date of a page, in the publisher's own UTC offset.

Order of trust (most specific first):

1. a publication timestamp the publisher put in the markup for machines:
   ``article:published_time`` and friends, or JSON-LD ``datePublished``;
   these carry a time and a zone, which nothing else does; failing that,
   the date printed right under the headline (a ``<time datetime>`` there,
   or a date line such as "Bern, 17.08.2007 - ..." or "13 Oct 2020 18:29"),
   unless it is labelled as a modification ("Updated", "Letzte Änderung");
2. the date in the URL (``/20120402/``, ``/2012/04/02/``, ``t20120402_``):
   CMSs write it once at publication and never touch it;
3. htmldate's reading of the page (through trafilatura), asked for the
   original date, not the last modification;
4. what the referrer said: a feed entry's or sitemap entry's date.

A timestamp that carries an offset keeps it (the day printed on the page is
the publisher's local day; storage converts to UTC); one without a zone, or
a bare day, is taken as UTC. A date in the future or before 1990 is ignored
as a template artefact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta

from dateutil import parser as dateparser
from htmldate.extractors import LONG_TEXT_PATTERN, MONTH_NUMBERS
from lxml import html as lxml_html

from crawler.extraction.jsonld import jsonld_nodes

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
# A year and month alone: /story/2016/10/slug
_URL_MONTH = re.compile(r"/(?P<y>(19|20)\d\d)[/-](?P<m>[01]?\d)(?=/|$)")
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def _plausible(moment: datetime | None, now: datetime) -> datetime | None:
    """The moment, aware (naive is taken as UTC) and in its own offset, or None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Aware datetimes compare as instants, whatever their offsets.
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


def date_in_markup(tree: lxml_html.HtmlElement, nodes: list[dict] | None = None
                   ) -> datetime | None:
    """The publisher's machine-readable publication timestamp, else the date
    printed under the headline (naive: its zone is unknown), else None.

    ``nodes`` are the page's JSON-LD nodes when the caller has them."""
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if name in _META_NAMES:
            # Some CMSs (Drupal's metatag, Politico) write value= for content=.
            found = parse_timestamp(meta.get("content") or meta.get("value"))
            if found:
                return found
    for node in jsonld_nodes(tree) if nodes is None else nodes:
        found = parse_timestamp(str(node.get("datePublished") or ""))
        if found:
            return found
    return date_under_headline(tree)


# --- The date printed under the headline -----------------------------------
#
# News and government pages print the publication date in the article
# header, just after the headline: a byline's <time>, a "source / date" line,
# a dateline lead. Dates further down belong to the body, to related-story
# lists or to the footer ("Letzte Änderung", "last modified"), which is why
# htmldate, reading the whole page, sometimes returns one of those.

# How much text after the headline the header may take, and how long a line
# may be and still be a date line rather than a paragraph of prose.
_HEADER_CHARS = 600
_DATE_LINE_CHARS = 160
_LABEL_CHARS = 40
_SKIPPED = frozenset({"script", "style", "noscript", "template", "select", "svg", "button"})
_HEADINGS = ("h1", "h2", "h3")
_TITLE_HOLDERS = ("div", "span", "p", "td", "strong", "b", "font", "header")
# A date labelled as a modification, not a publication.
_MODIFIED = re.compile(
    r"(?<![^\W\d_])(?:updated?|last[ -](?:modified|changed|updated|reviewed)|modified|revised|"
    r"aktualisiert|letzte\s+änderung|geändert|stand\b|mis\s+à\s+jour|modifié|actualizado|"
    r"aggiornato|обновлено|изменено)|更新|修改",
    re.IGNORECASE,
)
_MACHINE_DAY = re.compile(r"\s*(19|20)\d\d-\d\d-\d\d")
# Numeric dates with a four-digit year: 2020-01-31, 17.08.2007, 10/04/2016,
# 2020年1月31日, 2020년 1월 31일.
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?:(?P<y>(?:19|20)\d\d)(?P<s1>[-/.])(?P<m>[01]?\d)(?P=s1)(?P<d>[0-3]?\d)"
    r"|(?P<a>[0-3]?\d)(?P<s2>[-/.])(?P<b>[0-3]?\d)(?P=s2)(?P<y2>(?:19|20)\d\d)"
    r"|(?P<y3>(?:19|20)\d\d)\s*[年년]\s*(?P<m3>[01]?\d)\s*[月월]\s*(?P<d3>[0-3]?\d)\s*[日일])(?!\d)"
)
# Month names htmldate lacks (it reads English, French, German, Indonesian
# and Turkish): Russian and Ukrainian genitives by stem, and AP's "Sept.".
_MORE_MONTHS = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7,
    "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12,
    "січ": 1, "лют": 2, "бер": 3, "кві": 4, "тра": 5, "чер": 6, "лип": 7, "сер": 8,
    "вер": 9, "жов": 10, "лис": 11, "гру": 12,
}
_ABBREVIATION_DOT = re.compile(r"(?<=[^\W\d_]{3})\.")


def _text(value: str | None) -> str:
    return " ".join(value.split()).casefold() if value else ""


def _headline(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    """The element holding the page's headline: a heading, or failing that
    any element, whose text is the page's og:title or <title> (or the part of
    <title> before or after the site's name); the longest if several are."""
    titles: set[str] = set()
    site_names: set[str] = set()
    page_title = ""
    for element in tree.iter("meta", "title"):
        if element.tag == "title":
            if not page_title:
                page_title = _text(element.text_content())
            continue
        name = (element.get("property") or element.get("name") or "").lower()
        value = _text(element.get("content") or element.get("value"))
        if name in ("og:title", "twitter:title"):
            titles.add(value)
        elif name in ("og:site_name", "application-name"):
            site_names.add(value)
    # Some sites put their own name in twitter:title.
    titles -= site_names
    titles.discard("")

    def is_title(text: str) -> bool:
        if len(text) < 6 or text in site_names:
            return False
        if text in titles or text == page_title:
            return True
        return (len(text) >= max(8, 0.4 * len(page_title))
                and (page_title.startswith(text) or page_title.endswith(text)))

    def best(found: list[tuple[str, lxml_html.HtmlElement]]) -> lxml_html.HtmlElement | None:
        return max(found, key=lambda pair: len(pair[0]))[1] if found else None

    body = tree.find("body")
    if body is None:
        return None
    headings = [(_text(h.text_content()), h) for h in body.iter(*_HEADINGS)]
    found = best([(text, h) for text, h in headings if is_title(text)])
    if found is None:
        found = best([(text, e) for e in body.iter(*_TITLE_HOLDERS)
                      if e.text and is_title(text := _text(e.text))])
    if found is None:
        h1s = [h for _, h in headings if h.tag == "h1"]
        found = h1s[0] if len(h1s) == 1 else None
    return found


def _walk(element) -> Iterator[str | lxml_html.HtmlElement]:
    """An element's text, and its <time> elements, in document order, then its tail."""
    tag = element.tag
    if isinstance(tag, str) and tag not in _SKIPPED:
        if tag == "time":
            yield element
        if element.text:
            yield element.text
        for child in element:
            yield from _walk(child)
    if element.tail:
        yield element.tail


def _after(element) -> Iterator[str | lxml_html.HtmlElement]:
    """Everything after an element in document order, its own subtree excluded."""
    while element is not None:
        if element.tail:
            yield element.tail
        sibling = element.getnext()
        while sibling is not None:
            yield from _walk(sibling)
            sibling = sibling.getnext()
        element = element.getparent()


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_in_line(line: str, month_first: bool = False,
                 url_month: tuple[int, int] | None = None) -> date | None:
    """The first full date (day, month and four-digit year) in a line of text.

    Numeric dates are day-first (17.08.2007), but one written with slashes
    whose day could be a month (10/04/2016) is read month-first when only
    that reading falls in the year and month of the page's URL
    (``url_month``) or when the page is in American English (``month_first``)."""
    found: list[tuple[int, date]] = []
    match = _NUMERIC_DATE.search(line)
    if match:
        if match["y"]:
            day = _day(int(match["y"]), int(match["m"]), int(match["d"]))
        elif match["y3"]:
            day = _day(int(match["y3"]), int(match["m3"]), int(match["d3"]))
        else:
            year, first, second = int(match["y2"]), int(match["a"]), int(match["b"])
            day_first, month_first_day = _day(year, second, first), _day(year, first, second)
            if match["s2"] == "/" and day_first and month_first_day and day_first != month_first_day:
                if url_month:
                    month_first = (year, first) == url_month and (year, second) != url_month
                if month_first:
                    day_first = month_first_day
            # 10/24/2016 can only be month first.
            day = day_first or month_first_day
        if day:
            found.append((match.start(), day))
    # Month names, through htmldate's pattern and its table of names.
    line = _ABBREVIATION_DOT.sub("", line)
    for match in LONG_TEXT_PATTERN.finditer(line):
        word = (match["month"] or match["month2"]).lower()
        month = MONTH_NUMBERS.get(word) or _MORE_MONTHS.get(word[:3]) or (9 if word == "sept" else None)
        day = month and _day(int(match["year"] or match["year2"]), month,
                             int(match["day"] or match["day2"]))
        if day:
            found.append((match.start(), day))
            break
    return min(found)[1] if found else None


def _page_url(tree: lxml_html.HtmlElement) -> str:
    for link in tree.iter("link", "meta"):
        if link.tag == "link" and (link.get("rel") or "").lower() == "canonical":
            return link.get("href") or ""
        if link.tag == "meta" and link.get("property") == "og:url":
            return link.get("content") or ""
    return ""


def date_under_headline(tree: lxml_html.HtmlElement) -> datetime | None:
    """The date printed in the article header, just after the headline: the
    ``datetime`` of a <time> there, or the first date in a short line of
    text; a date labelled as a modification is passed over. Naive: a printed
    date carries no zone."""
    headline = _headline(tree)
    if headline is None:
        return None
    month_first = (tree.get("lang") or "").lower().replace("_", "-") == "en-us"
    url_month = _month_from_url(_page_url(tree))
    budget = _HEADER_CHARS
    label = ""  # a short line before, which may label a date: "Updated:"
    for item in _after(headline):
        if not isinstance(item, str):
            stamp = item.get("datetime") or ""
            names = " ".join((item.get("class") or "", item.get("itemprop") or "", label))
            if _MACHINE_DAY.match(stamp) and not _MODIFIED.search(names):
                found = parse_timestamp(stamp)
                if found:
                    return found
            continue
        line = " ".join(item.split())
        if not line:
            continue
        if len(line) <= _DATE_LINE_CHARS:
            day = date_in_line(line, month_first, url_month)
            if day:
                # Only the words before the date can label it.
                head = line[:line.find(str(day.year))]
                if not _MODIFIED.search(label + " " + head):
                    return datetime.combine(day, time(0))
        budget -= len(line)
        if budget < 0:
            break
        label = line if len(line) <= _LABEL_CHARS else ""
    return None


# --- Choosing -----------------------------------------------------------------


def date_from_url(url: str) -> date | None:
    for pattern in _URL_DATES:
        for match in pattern.finditer(url):
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                continue
    return None


def _month_from_url(url: str) -> tuple[int, int] | None:
    """The year and month of a URL that names no day: /story/2016/10/slug."""
    match = _URL_MONTH.search(url)
    if match and 1 <= int(match["m"]) <= 12:
        return int(match["y"]), int(match["m"])
    return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def published_at(
    markup: datetime | None,
    url: str,
    page_date: str | Callable[[], str | None] | None,
    hinted: datetime | None = None,
    now: datetime | None = None,
) -> datetime | None:
    """The publication moment: aware, in the publisher's offset when the
    timestamp carried one, else in UTC (a bare day at UTC midnight)."""
    now = now or datetime.now(UTC)
    url_day = date_from_url(url)
    from_markup = _plausible(markup, now)
    # The markup's timestamp wins unless the URL says another day, which
    # happens when a template prints the build or update time instead; a
    # zone shift of a few hours is not a disagreement.
    if from_markup is not None and (
        url_day is None or abs((from_markup.date() - url_day).days) <= 1
    ):
        return from_markup
    hinted = _plausible(hinted, now)

    def days() -> Iterator[date | None]:
        yield url_day
        # The page's date is looked for only now: htmldate's search of the
        # whole page is a tenth of an extraction, and most pages never get here.
        yield _iso_day(page_date() if callable(page_date) else page_date)

    for day in days():
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
