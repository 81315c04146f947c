"""Whether a run requests an article link again (crawler/spiders/revisit.py),
and the spider callbacks that act on it, fed saved responses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Request, signals
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy.orm import Session

from crawler.items import Fetch
from crawler.params import ArgumentError, CrawlArgs
from crawler.sources import Source
from crawler.spiderloader import spider_for
from crawler.spiders.revisit import Reason, RevisitPolicy, conditional_headers, fetch_reason
from crawler.spiders.sitemap import lastmod_signal
from storage.archive import sync_sources
from storage.engine import open_archive
from storage.fetch_state import FetchRecord, record_fetch

# --- the decision ---------------------------------------------------------------

NOW = datetime(2024, 6, 10, 2, 0, tzinfo=UTC)
T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
DEFAULT = RevisitPolicy()


def record(fetched_at: datetime, **fields: object) -> FetchRecord:
    return FetchRecord(url="https://example.org/a", fetched_at=fetched_at, status=200,
                       **fields)  # type: ignore[arg-type]


def reason(rec: FetchRecord | None, *, modified_at: datetime | None = None,
           published: datetime | date | None = None) -> Reason:
    return fetch_reason(rec, modified_at=modified_at, published=published, now=NOW,
                        policy=DEFAULT)


def test_a_link_never_fetched_is_requested():
    assert reason(None) is Reason.NEW
    assert reason(None, published=date(2001, 1, 1)) is Reason.NEW


def test_a_change_signal_after_the_fetch_requests_it_again():
    last = record(NOW - timedelta(days=30))
    assert reason(last, modified_at=NOW - timedelta(days=1)) is Reason.SIGNALLED
    assert reason(last, modified_at=NOW - timedelta(days=31)) is Reason.UNCHANGED
    assert reason(last, modified_at=last.fetched_at) is Reason.UNCHANGED
    # A naive signal is UTC, as parse_timestamp reads one.
    assert reason(last, modified_at=datetime(2024, 6, 1)) is Reason.SIGNALLED


def test_a_young_article_is_revisited_once_per_interval():
    published = NOW - timedelta(days=1)
    assert reason(record(NOW - timedelta(hours=21)), published=published) is Reason.REVISIT
    assert reason(record(NOW - timedelta(hours=20)), published=published) is Reason.REVISIT
    assert reason(record(NOW - timedelta(hours=2)), published=published) is Reason.UNCHANGED
    # A URL's day counts from its midnight UTC.
    assert reason(record(NOW - timedelta(days=1)), published=date(2024, 6, 9)) is Reason.REVISIT


def test_an_old_or_undated_article_is_not_revisited():
    long_ago = record(NOW - timedelta(days=90))
    assert reason(long_ago, published=NOW - timedelta(days=3)) is Reason.UNCHANGED
    assert reason(long_ago, published=date(2024, 6, 7)) is Reason.UNCHANGED
    assert reason(long_ago) is Reason.UNCHANGED


def test_the_window_is_a_setting():
    rec = record(NOW - timedelta(hours=5))
    wide = RevisitPolicy(young=timedelta(days=30), interval=timedelta(hours=4))
    verdict = fetch_reason(rec, modified_at=None, published=NOW - timedelta(days=10), now=NOW,
                           policy=wide)
    assert verdict is Reason.REVISIT


def test_conditional_headers_send_back_the_validators_as_received():
    assert conditional_headers(record(NOW)) == {}
    rec = record(NOW, etag='W/"5e-1a"', last_modified="Mon, 10 Jun 2024 01:00:00 GMT")
    assert conditional_headers(rec) == {"If-None-Match": 'W/"5e-1a"',
                                        "If-Modified-Since": "Mon, 10 Jun 2024 01:00:00 GMT"}


def test_a_lastmod_without_a_time_counts_as_the_end_of_its_day():
    assert lastmod_signal("2024-06-09") == datetime(2024, 6, 10)
    assert lastmod_signal("2024-06-09T10:00:00Z") == datetime(2024, 6, 9, 10, tzinfo=UTC)
    assert lastmod_signal(None) is None
    # Fetched at 09:00 on the day, edited later that day: fetch again.
    assert reason(record(datetime(2024, 6, 9, 9, tzinfo=UTC)),
                  modified_at=lastmod_signal("2024-06-09")) is Reason.SIGNALLED


@pytest.mark.parametrize(("raw", "expected"), [
    ("true", True), ("Yes", True), ("1", True), ("false", False), ("off", False), ("", False),
])
def test_refetch_argument(raw: str, expected: bool):
    assert CrawlArgs.parse({"refetch": raw}).refetch is expected


def test_bad_refetch_argument_names_itself():
    with pytest.raises(ArgumentError, match="refetch: expected true or false"):
        CrawlArgs.parse({"refetch": "always"})


# --- the spider callbacks ----------------------------------------------------------


def a_source(**fields: object) -> Source:
    row = {
        "key": "t", "name": "T", "kind": "ministry", "country": "GB", "language": "en",
        "domains": ("example.org",), "spider": "feed",
        "entry_points": ("https://example.org/feed",), "article_pattern": r"/news/",
    }
    row.update(fields)
    return Source(**row)  # type: ignore[arg-type]


def make_spider(source: Source, records: dict[str, FetchRecord] | None = None, **args: str):
    cls = spider_for(source)
    crawler = get_crawler(cls)
    crawler._apply_settings()
    spider = cls.from_crawler(crawler, **args)
    spider.fetch_records = records or {}
    return spider


def requests_of(results) -> list[Request]:
    return [r for r in results if isinstance(r, Request)]


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
<entry><title>Edited</title><link href="https://example.org/news/edited"/>
  <published>2024-01-10T09:00:00Z</published><updated>2024-06-09T12:00:00Z</updated></entry>
<entry><title>Untouched</title><link href="https://example.org/news/untouched"/>
  <published>2024-01-11T09:00:00Z</published><updated>2024-01-11T09:00:00Z</updated></entry>
<entry><title>Fresh</title><link href="https://example.org/news/fresh"/>
  <published>2024-06-09T08:00:00Z</published></entry>
</feed>"""


def test_feed_updated_date_is_the_change_signal_and_publication_stays_the_hint():
    fetched = datetime(2024, 6, 1, tzinfo=UTC)
    records = {
        "https://example.org/news/edited": FetchRecord(
            "https://example.org/news/edited", fetched, 200, etag='"e1"'),
        "https://example.org/news/untouched": FetchRecord(
            "https://example.org/news/untouched", fetched, 200, etag='"u1"'),
    }
    spider = make_spider(a_source(), records)
    out = requests_of(spider.parse_feed(XmlResponse("https://example.org/feed", body=ATOM)))
    assert [r.url for r in out] == ["https://example.org/news/edited",
                                    "https://example.org/news/fresh"]
    edited, fresh = out
    assert edited.headers.get("If-None-Match") == b'"e1"'
    assert edited.meta["handle_httpstatus_list"] == [304]
    assert edited.cb_kwargs["hinted_date"] == datetime(2024, 1, 10, 9, tzinfo=UTC)
    assert b"If-None-Match" not in fresh.headers and "handle_httpstatus_list" not in fresh.meta
    stats = spider.crawler.stats
    assert stats.get_value("crawl/skipped/unchanged") == 1
    assert stats.get_value("crawl/signalled_changes") == 1
    assert stats.get_value("crawl/article_requests") == 2


def test_listing_stops_paging_when_every_link_is_known_and_revisits_young_ones():
    source = a_source(spider="listing", entry_points=("https://example.org/news/",),
                      article_pattern=r"/news/\d{4}/", next_page='a[rel="next"]::attr(href)')
    today = datetime.now(UTC).date()
    young = f"https://example.org/news/{today:%Y/%m/%d}/statement.html"
    old = "https://example.org/news/2024/01/10/talks.html"
    body = (f'<a href="{old}">old</a><a rel="next" href="/news/?page=2">Next</a>').encode()
    long_ago = datetime.now(UTC) - timedelta(days=1)
    spider = make_spider(source, {old: FetchRecord(old, long_ago, 200)})
    entry = source.entry_points[0]
    assert requests_of(spider.parse_listing(HtmlResponse(entry, body=body), entry=entry)) == []

    body = (f'<a href="{old}">old</a><a href="{young}">young</a>'
            '<a rel="next" href="/news/?page=2">Next</a>').encode()
    spider = make_spider(source, {old: FetchRecord(old, long_ago, 200),
                                  young: FetchRecord(young, long_ago, 200,
                                                     last_modified="Mon, 10 Jun 2024 GMT")})
    out = requests_of(spider.parse_listing(HtmlResponse(entry, body=body), entry=entry))
    assert [r.url for r in out] == [young, "https://example.org/news/?page=2"]
    assert out[0].headers.get("If-Modified-Since") == b"Mon, 10 Jun 2024 GMT"
    assert spider.crawler.stats.get_value("crawl/revisits") == 1


@pytest.mark.parametrize(("args", "settings", "reads"), [
    ({}, {}, True),
    ({"refetch": "true"}, {}, False),
    ({}, {"DEMARCHE_REPLAY": ["demo.warc.gz"]}, False),
])
def test_records_are_read_at_open_unless_every_article_is_to_be_fetched(
    tmp_path: Path, args: dict[str, str], settings: dict[str, object], reads: bool
):
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    link = "https://example.org/news/2024/01/10/talks.html"
    with Session(open_archive(url)) as s, s.begin():
        sync_sources(s, [a_source()], T0)
        record_fetch(s, source="t", url=link, status=200, fetched_at=T0, etag='"x"')
    cls = spider_for(a_source())
    crawler = get_crawler(cls, settings_dict={"DEMARCHE_ARCHIVE_URL": url, **settings})
    crawler._apply_settings()
    spider = cls.from_crawler(crawler, **args)
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    assert set(spider.fetch_records) == ({link} if reads else set())
    request = spider.article_request(link)
    assert (request is None) is reads
    if not reads:
        assert b"If-None-Match" not in request.headers


def test_a_304_answer_becomes_a_fetch_keyed_by_the_link_as_requested():
    link = "https://example.org/news/a"
    final = "https://example.org/news/a/"
    known = FetchRecord(link, NOW, 200, etag='"e1"', last_modified="Mon, 10 Jun 2024 GMT")
    spider = make_spider(a_source(), {link: known})
    request = Request(final, meta={"redirect_urls": [link]})
    response = Response(final, status=304, headers={"ETag": '"e1"'}, request=request)
    (fetch,) = list(spider.parse_article(response))
    assert fetch == Fetch(source="t", url=link, page_url=final, status=304,
                          fetched_at=fetch.fetched_at, etag='"e1"',
                          last_modified="Mon, 10 Jun 2024 GMT")
    assert spider.crawler.stats.get_value("crawl/not_modified") == 1

    response = HtmlResponse(final, body=b"<html></html>", request=request,
                            headers={"ETag": '"e2"', "Content-Type": "text/html"})
    (page,) = list(spider.parse_article(response))
    assert page.fetch().url == link and page.fetch().page_url == final
    assert page.fetch().etag == '"e2"' and page.fetch().last_modified is None
