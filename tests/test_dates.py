"""Publication dates: markup, URL, page text, referrer hint, in that order."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lxml import html

from crawler.extraction.dates import date_from_url, date_in_markup, parse_timestamp, published_at

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_dates_in_urls():
    assert date_from_url("https://sputnikglobe.com/20120402/172567892.html") == date(2012, 4, 2)
    assert date_from_url("https://www.nytimes.com/2019/11/18/business/x.html") == date(2019, 11, 18)
    assert date_from_url("https://www.fmprc.gov.cn/eng/xw/t20241128_11534521.html") == date(2024, 11, 28)
    assert date_from_url("https://mid.ru/en/foreign_policy/news/1801234/") is None
    assert date_from_url("https://example.org/2012/04/release/") is None


def test_markup_formats():
    assert parse_timestamp("20120402T1418+0400") == datetime(2012, 4, 2, 10, 18, tzinfo=UTC)
    assert parse_timestamp("Tue, 03 Apr 2012 18:10:00 +0000") == datetime(2012, 4, 3, 18, 10, tzinfo=UTC)
    assert parse_timestamp("not a date") is None
    tree = html.fromstring('<html><head><script type="application/ld+json">'
                           '{"@graph":[{"@type":"NewsArticle","datePublished":"2012-04-01T19:30:00+04:00",'
                           '"dateModified":"2013-01-01"}]}</script></head><body></body></html>')
    assert date_in_markup(tree) == datetime(2012, 4, 1, 15, 30, tzinfo=UTC)


def test_order_of_trust():
    markup = datetime(2012, 4, 2, 10, 18, tzinfo=UTC)
    url = "https://sputnikglobe.com/20120402/1.html"
    assert published_at(markup, url, "2012-05-05", None, NOW) == markup
    # A markup stamp far from the URL's day is a build or update time.
    build = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert published_at(build, url, None, None, NOW) == datetime(2012, 4, 2, tzinfo=UTC)
    # The page's own day, refined by a feed time of the same day.
    hint = datetime(2012, 4, 3, 18, 10, tzinfo=UTC)
    assert published_at(None, "https://x.org/a/", "2012-04-03", hint, NOW) == hint
    assert published_at(None, "https://x.org/a/", "2012-04-05", hint, NOW) == datetime(2012, 4, 5, tzinfo=UTC)
    assert published_at(None, "https://x.org/a/", None, hint, NOW) == hint


def test_implausible_dates_ignored():
    future = datetime(2031, 1, 1, tzinfo=UTC)
    assert published_at(future, "https://x.org/a/", None, None, NOW) is None
    assert published_at(None, "https://x.org/1970/01/01/a", None, None, NOW) is None
