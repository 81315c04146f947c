"""Spider callbacks fed saved pages: real feeds and sitemaps from
../shared/realpages, and the demo site's listings in each site's structure."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.items import FetchedPage
from crawler.sources import Source, load_sources
from crawler.spiderloader import spider_for
from tests.conftest import ROOT

DEMO = ROOT / "crawler/demo/site"


def make_spider(source: Source, **args: str):
    cls = spider_for(source)
    crawler = get_crawler(cls)
    crawler._apply_settings()
    return cls.from_crawler(crawler, **args)


def a_source(**fields: object) -> Source:
    row = {
        "key": "t", "name": "T", "kind": "media", "country": "GB", "language": "en",
        "domains": ("example.org",), "spider": "feed",
        "entry_points": ("https://example.org/feed",), "article_pattern": ".",
    }
    row.update(fields)
    return Source(**row)  # type: ignore[arg-type]


def requests_of(results) -> list[Request]:
    return [r for r in results if isinstance(r, Request)]


def test_rss_feed_real_page(shared: Path):
    source = a_source(domains=("bbc.co.uk", "bbc.com"), article_pattern=r"^https://www\.bbc\.co(m|\.uk)/news/")
    spider = make_spider(source)
    body = (shared / "realpages/bbc.co.uk/news_world_rss.xml").read_bytes()
    out = requests_of(spider.parse_feed(XmlResponse("https://feeds.bbci.co.uk/news/world/rss.xml", body=body)))
    assert len(out) >= 25
    assert all(r.url.startswith("https://www.bbc.co") for r in out)
    assert all(r.cb_kwargs["hinted_date"] is not None for r in out)
    assert all(r.cb_kwargs["hinted_title"] for r in out)


def test_rss_feed_demo_skips_non_articles_and_since():
    source = load_sources()["state_gov_briefings"]
    body = (DEMO / "www.state.gov/briefings-feed.xml").read_bytes()
    response = XmlResponse(source.entry_points[0], body=body)
    out = requests_of(make_spider(source).parse_feed(response))
    assert [r.url.split("?")[0] for r in out] == [
        "https://www.state.gov/briefings/department-press-briefing-april-3-2012/",
        "https://www.state.gov/briefings/department-press-briefing-april-2-2012/",
    ]
    assert out[0].cb_kwargs["hinted_date"] == datetime(2012, 4, 3, 18, 10, tzinfo=UTC)
    out = requests_of(make_spider(source, since="2012-04-03").parse_feed(response))
    assert len(out) == 1


def test_news_sitemap_real_page_publication_dates(shared: Path):
    source = a_source(domains=("nytimes.com",), spider="sitemap",
                         article_pattern=r"^https://www\.nytimes\.com/")
    body = (shared / "realpages/nytimes.com/news_sitemap_excerpt.xml").read_bytes()
    out = requests_of(make_spider(source).parse_sitemap(
        XmlResponse("https://www.nytimes.com/sitemaps/new/news.xml", body=body)))
    assert len(out) == 6
    first = out[0]
    assert first.url == "https://www.nytimes.com/interactive/2020/05/11/magazine/quarantine-insanity.html"
    # The news:publication_date, not the later lastmod.
    assert first.cb_kwargs["hinted_date"] == datetime(2020, 5, 11, 9, 0, 1, tzinfo=UTC)
    assert "Quarantine Was Driving Me Crazy" in first.cb_kwargs["hinted_title"]


def test_sitemap_index_follows_matching_children_and_gunzips():
    source = load_sources()["state_gov_releases"]
    spider = make_spider(source)
    index = (DEMO / "www.state.gov/sitemap_index.xml").read_bytes()
    children = requests_of(spider.parse_sitemap(XmlResponse(source.entry_points[0], body=index)))
    assert [r.url for r in children] == ["https://www.state.gov/state_department_release-sitemap.xml.gz"]
    gz = gzip.compress((DEMO / "www.state.gov/release-sitemap.xml").read_bytes())
    out = requests_of(spider.parse_sitemap(Response(children[0].url, body=gz)))
    assert [r.url for r in out] == [
        "https://www.state.gov/releases/2012/04/friends-of-the-syrian-people-istanbul/"]
    newer = make_spider(source, since="2012-05-01")
    assert requests_of(newer.parse_sitemap(XmlResponse(source.entry_points[0], body=index))) == []
    # Its articles were met, older than the run wants: a quiet run, not one
    # whose entry points named no article (crawler/extensions/ledger.py).
    assert newer.crawler.stats.get_value("sitemap/children_too_old") >= 1
    from crawler.extensions.ledger import run_outcome
    stats = {**newer.crawler.stats.get_stats(), "downloader/response_status_count/200": 1,
             "sitemap/skipped_links": 2}
    assert run_outcome("finished", stats) == ("finished", "")


def test_sitemap_from_robots_txt():
    source = load_sources()["state_gov_releases"]
    robots = (DEMO / "www.state.gov/robots.txt").read_bytes()
    from scrapy.http import TextResponse
    out = requests_of(make_spider(source).parse_sitemap(
        TextResponse("https://www.state.gov/robots.txt", body=robots, encoding="utf-8")))
    assert [r.url for r in out] == ["https://www.state.gov/sitemap_index.xml"]


def test_invalid_sitemap_is_counted():
    spider = make_spider(load_sources()["state_gov_releases"])
    assert requests_of(spider.parse_sitemap(XmlResponse("https://www.state.gov/x.xml", body=b"<html>no</html>"))) == []
    assert spider.crawler.stats.get_value("sitemap/invalid") == 1


def test_sputnik_listing_and_its_more_button():
    source = load_sources()["sputnik_russia"]
    spider = make_spider(source)
    body = (DEMO / "sputnikglobe.com/russia.html").read_bytes()
    out = requests_of(spider.parse_listing(HtmlResponse(source.entry_points[0], body=body),
                                           entry=source.entry_points[0]))
    articles = [r.url for r in out if r.callback == spider.parse_article]
    listing = [r for r in out if r.callback == spider.parse_listing]
    assert articles == ["https://sputnikglobe.com/20120403/172590411.html",
                        "https://sputnikglobe.com/20120402/172567892.html"]
    assert [r.url for r in listing] == [
        "https://sputnikglobe.com/services/russia/more.html?id=172567892&date=20120402T141800"]
    assert listing[0].cb_kwargs["page"] == 2


def test_mid_listing_pagination_and_pattern():
    source = load_sources()["mid_ru_en"]
    spider = make_spider(source)
    body = (DEMO / "mid.ru/en-news.html").read_bytes()
    out = requests_of(spider.parse_listing(HtmlResponse(source.entry_points[0], body=body),
                                           entry=source.entry_points[0]))
    assert [r.url for r in out] == [
        "https://mid.ru/en/foreign_policy/news/1801234/",  # not the photo gallery
        "https://mid.ru/en/foreign_policy/news/?PAGEN_1=2",
    ]


def test_listing_page_template_and_max_pages():
    source = load_sources()["fmprc_en"]
    spider = make_spider(source, max_pages="2")
    entry = source.entry_points[0]
    body = (b'<html><body><a href="./fyrbt/202411/t20241128_11534521.html">Remarks</a>'
            b'<a href="/eng/xw/fyrbt/fyrbt/202411/t20241127_11533000.html">Older</a></body></html>')
    out = requests_of(spider.parse_listing(HtmlResponse(entry, body=body), entry=entry))
    assert [r.url for r in out][-1] == "https://www.fmprc.gov.cn/eng/xw/fyrbt/index_1.html"
    assert len(out) == 3
    out = requests_of(spider.parse_listing(HtmlResponse(entry + "index_1.html", body=body.replace(b"1128", b"1126").replace(b"1127", b"1125")), entry=entry, page=2))
    assert all(r.callback == spider.parse_article for r in out)  # max_pages reached


def test_article_callback_yields_the_raw_page():
    source = load_sources()["sputnik_russia"]
    spider = make_spider(source)
    url = "https://sputnikglobe.com/20120402/172567892.html"
    body = (DEMO / "sputnikglobe.com/20120402-172567892.html").read_bytes()
    request = Request(url, meta={"warc_record": ("x.warc.gz", 1234)})
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=request)
    (page,) = list(spider.parse_article(response))
    assert (page.warc_file, page.warc_offset) == ("x.warc.gz", 1234)
    assert isinstance(page, FetchedPage)
    assert page.source == "sputnik_russia" and page.body == body
    assert page.content_type == "text/html; charset=utf-8"


@pytest.mark.parametrize("key", list(load_sources()))
def test_every_source_builds_a_spider(key: str):
    spider = make_spider(load_sources()[key])
    assert spider.name == key
    assert spider.allowed_domains == list(load_sources()[key].domains)


def test_a_listing_page_is_bounded_in_bytes_and_in_links():
    from crawler.spiders.listing import LISTING_MAX_BYTES, LISTING_MAX_LINKS

    source = load_sources()["fmprc_en"]
    spider = make_spider(source)
    entry = source.entry_points[0]
    many = LISTING_MAX_LINKS + 700
    body = "".join(f'<a href="./fyrbt/202411/t20241128_{n:08d}.html">Remarks</a>'
                   for n in range(many)).encode()
    out = requests_of(spider.parse_listing(HtmlResponse(entry, body=b"<p>" + body), entry=entry))
    assert len([r for r in out if r.callback == spider.parse_article]) == LISTING_MAX_LINKS
    assert spider.crawler.stats.get_value("listing/links_dropped") == 700
    huge = b"<html><body>" + b" " * LISTING_MAX_BYTES + body[:200] + b"</body></html>"
    assert requests_of(spider.parse_listing(HtmlResponse(entry, body=huge), entry=entry)) == []
    assert spider.crawler.stats.get_value("listing/too_large") == 1
