"""Incremental runs: an article fetched before is fetched again only when a
signal says it may have changed (sitemap lastmod, feed ``updated``, the
revisit window of a young article), and then with a conditional request.

End to end over loopback HTTP with the real revisit window; the decision
itself as a pure function; the spider callbacks on hand-built responses;
``fetch_state`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.items import Fetch, Statement
from crawler.pipelines.archive import ArchivePipeline
from storage.archive import archive_article, mark_seen, sync_sources
from storage.engine import open_archive
from storage.fetch_state import FetchRecord, known_fetches, record_fetch
from storage.models import Article, FetchState
from tests.conftest import Site, article_html, write_sources
from tests.test_revisit import T0, a_source

# The production revisit window (crawler/settings.py), over conftest's
# FAST, which revisits everything.
POLICY = {"DEMARCHE_REVISIT_DAYS": "2", "DEMARCHE_REVISIT_HOURS": "20"}
PARAS = [
    "The Minister held talks with his counterpart on the bilateral agenda and regional issues.",
    "The sides agreed to continue consultations at the level of deputy ministers next month.",
]
ARTICLES = [
    "/news/2024/01/10/talks.html",
    "/news/2024/01/11/comment.html",
    "/news/2024/01/12/visit.html",
]
SECOND_PAGE = "/news/2024/01/05/older.html"
MOVED = "/news/2024/01/13/moved.html"  # 301 to MOVED_TO
MOVED_TO = "/news/2024/01/13/moved-here.html"
IMAGE = "/news/2024/01/14/photo.html"  # not HTML: rejected for good


def paths_requested(site: Site, since: int = 0) -> list[str]:
    return [path for path, _ in site.requests[since:]]


def headers_of(site: Site, path: str) -> list[dict[str, str]]:
    return [headers for p, headers in site.requests if p == path]


def build_listing_site(site: Site) -> None:
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    links = "".join(f'<a href="{p}">item</a>' for p in [*ARTICLES, MOVED, IMAGE])
    site.page("/news/", f'<html><body>{links}<a rel="next" href="/news/?page=2">Next</a>'
                        "</body></html>")
    site.page("/news/?page=2", f'<html><body><a href="{SECOND_PAGE}">more</a></body></html>')
    for n, path in enumerate([*ARTICLES, SECOND_PAGE, MOVED_TO]):
        # Validators on some pages: a skipped page must not be asked for at
        # all, conditional or not.
        headers = {"ETag": f'"v1-{n}"'} if n % 2 else {}
        site.page(path, article_html(f"Statement {path}", PARAS), headers=headers)
    site.page(MOVED, b"", status=301, headers={"Location": MOVED_TO})
    site.page(IMAGE, b"\x89PNG\r\n\x1a\n" * 40, content_type="image/png")


def test_second_crawl_of_an_unchanged_site_fetches_only_its_entry_pages(
    site, crawl, tmp_path: Path
):
    build_listing_site(site)
    sources = write_sources(tmp_path / "sources.toml", site)
    first = crawl(sources, "loopback_news", settings=POLICY)
    assert first.returncode == 0, first.output
    first_stats = first.last_run_stats()
    assert first_stats["crawl/article_requests"] == 6  # 3 + older + moved + image
    assert first_stats["archive/new"] == 5
    assert first_stats["extract/rejected/not_html"] == 1
    first_paths = paths_requested(site)
    # robots.txt, two listing pages, six links, one of them redirected.
    assert len(first_paths) == 10
    # The redirected link is remembered as linked, the rejected image too.
    recorded = {u for (u,) in first.rows("SELECT url FROM fetch_state")}
    assert recorded == {site.url(p) for p in [*ARTICLES, SECOND_PAGE, MOVED, IMAGE]}

    second = crawl(sources, "loopback_news", settings=POLICY)
    assert second.returncode == 0, second.output
    stats = second.last_run_stats()
    # Page 1's links are all known, so page 2 is not even asked for.
    assert paths_requested(site, len(first_paths)) == ["/robots.txt", "/news/"]
    assert stats["response_received_count"] == 2
    assert stats.get("crawl/article_requests", 0) == 0
    assert stats["crawl/skipped/unchanged"] == 5
    assert all(site.hits[p] == 1 for p in [*ARTICLES, SECOND_PAGE, MOVED, MOVED_TO, IMAGE])
    assert second.rows("SELECT count(*), count(DISTINCT url) FROM articles")[0] == (5, 5)
    assert second.rows("SELECT status, articles_new, articles_changed, errors FROM crawl_runs "
                       "ORDER BY id") == [("finished", 5, 0, 0), ("finished", 0, 0, 0)]


def test_refetch_fetches_every_article_again_unconditionally(site, crawl, tmp_path: Path):
    build_listing_site(site)
    sources = write_sources(tmp_path / "sources.toml", site)
    first = crawl(sources, "loopback_news", settings=POLICY)
    assert first.returncode == 0, first.output
    done = len(site.requests)

    again = crawl(sources, "loopback_news", "-a", "refetch=true", settings=POLICY)
    assert again.returncode == 0, again.output
    stats = again.last_run_stats()
    assert stats["crawl/article_requests"] == 6
    assert stats["archive/unchanged"] == 5
    assert stats.get("crawl/not_modified", 0) == 0
    assert all(site.hits[p] == 2 for p in [*ARTICLES, SECOND_PAGE, MOVED, MOVED_TO, IMAGE])
    assert not any("If-None-Match" in h or "If-Modified-Since" in h
                   for _, h in site.requests[done:])
    (args,) = again.rows("SELECT args FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    assert (args if isinstance(args, dict) else json.loads(args))["refetch"] == "True"


def test_a_page_rejected_for_a_passing_reason_is_asked_for_again(site, crawl, tmp_path: Path):
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    site.page("/news/", f'<a href="{ARTICLES[0]}">a</a><a href="{ARTICLES[1]}">b</a>')
    site.page(ARTICLES[0], article_html("Statement", PARAS))
    site.page(ARTICLES[1], b"")  # an empty answer: the server had a bad moment
    sources = write_sources(tmp_path / "sources.toml", site)
    assert crawl(sources, "loopback_news", settings=POLICY).returncode == 0

    site.page(ARTICLES[1], article_html("Comment, now served", PARAS))
    second = crawl(sources, "loopback_news", settings=POLICY)
    assert second.returncode == 0, second.output
    stats = second.last_run_stats()
    assert stats["crawl/article_requests"] == 1 and stats["crawl/skipped/unchanged"] == 1
    assert stats["archive/new"] == 1
    assert site.hits[ARTICLES[0]] == 1 and site.hits[ARTICLES[1]] == 2


def sitemap(site: Site, lastmods: dict[str, str]) -> None:
    urls = "".join(f"<url><loc>{site.url(p)}</loc><lastmod>{m}</lastmod></url>"
                   for p, m in lastmods.items())
    site.page("/sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                              f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
              content_type="application/xml")


def w3c(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_sitemap_lastmod_moving_forward_refetches_that_article_conditionally(
    site, crawl, tmp_path: Path
):
    etag_page, dated_page, bare_page = ARTICLES
    http_date = "Wed, 10 Jan 2024 09:00:00 GMT"
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    site.page(etag_page, article_html("Talks", PARAS), headers={"ETag": '"a1"'})
    site.page(dated_page, article_html("Comment", PARAS), headers={"Last-Modified": http_date})
    site.page(bare_page, article_html("Visit", PARAS))
    lastmods = {etag_page: "2024-01-10", dated_page: "2024-01-11T08:00:00+00:00",
                bare_page: "2024-01-12"}
    sitemap(site, lastmods)
    sources = write_sources(tmp_path / "sources.toml", site, spider="sitemap",
                            entry_points=[site.url("/sitemap.xml")])
    first = crawl(sources, "loopback_news", settings=POLICY)
    assert first.returncode == 0, first.output
    assert first.last_run_stats()["archive/new"] == 3
    assert first.rows(f"SELECT etag, last_modified, status FROM fetch_state "
                      f"WHERE url = '{site.url(etag_page)}'") == [('"a1"', None, 200)]
    seen = dict(first.rows("SELECT url, last_seen_at FROM articles"))

    # The site says two pages changed; they did not (ETag, Last-Modified).
    time.sleep(1)  # fetch times are kept to the second
    sitemap(site, {**lastmods, etag_page: w3c(datetime.now(UTC)),
                   dated_page: w3c(datetime.now(UTC))})
    second = crawl(sources, "loopback_news", settings=POLICY)
    assert second.returncode == 0, second.output
    stats = second.last_run_stats()
    assert stats["crawl/article_requests"] == stats["crawl/signalled_changes"] == 2
    assert stats["crawl/not_modified"] == 2
    assert stats["crawl/skipped/unchanged"] == 1
    assert stats["archive/unchanged"] == 2 and "archive/changed" not in stats
    assert not any(k.startswith("httperror/") for k in stats)
    assert second.rows("SELECT status, errors, articles_unchanged FROM crawl_runs "
                       "ORDER BY id DESC LIMIT 1") == [("finished", 0, 2)]
    assert headers_of(site, etag_page)[-1]["If-None-Match"] == '"a1"'
    assert headers_of(site, dated_page)[-1]["If-Modified-Since"] == http_date
    assert site.hits[bare_page] == 1
    now_seen = dict(second.rows("SELECT url, last_seen_at FROM articles"))
    assert now_seen[site.url(etag_page)] > seen[site.url(etag_page)]
    assert now_seen[site.url(dated_page)] > seen[site.url(dated_page)]
    assert now_seen[site.url(bare_page)] == seen[site.url(bare_page)]
    assert second.rows(f"SELECT etag, status FROM fetch_state "
                       f"WHERE url = '{site.url(etag_page)}'") == [('"a1"', 304)]

    # Now one of them really changed.
    time.sleep(1)
    site.page(etag_page, article_html("Talks (updated)", [*PARAS, "The talks will resume."]),
              headers={"ETag": '"a2"'})
    sitemap(site, {**lastmods, etag_page: w3c(datetime.now(UTC)),
                   dated_page: w3c(datetime.now(UTC) - timedelta(minutes=5))})
    third = crawl(sources, "loopback_news", settings=POLICY)
    assert third.returncode == 0, third.output
    stats = third.last_run_stats()
    assert stats["crawl/article_requests"] == 1
    assert stats["archive/changed"] == 1 and "crawl/not_modified" not in stats
    assert headers_of(site, etag_page)[-1]["If-None-Match"] == '"a1"'
    title, changed_at = third.rows(
        f"SELECT title, changed_at FROM articles WHERE url = '{site.url(etag_page)}'")[0]
    assert title == "Talks (updated)" and changed_at is not None
    assert third.rows(f"SELECT etag, status FROM fetch_state "
                      f"WHERE url = '{site.url(etag_page)}'") == [('"a2"', 200)]
    assert third.rows("SELECT count(*), count(DISTINCT url) FROM articles")[0] == (3, 3)


# --- storage -------------------------------------------------------------------------


@pytest.fixture
def archive(archive_url: str) -> str:
    with Session(open_archive(archive_url)) as s, s.begin():
        sync_sources(s, [a_source(key="mid_ru_en"), a_source(key="other")], T0)
    return archive_url


def fields(url: str) -> dict:
    return {"source": "mid_ru_en", "url": url, "canonical_url": None, "title": "Statement",
            "body": "Text of the statement.", "published_at": datetime(2024, 1, 9, tzinfo=UTC),
            "author": None, "language": "en", "section": None, "site_name": None}


def test_fetch_records_upsert_and_carry_the_archived_publication_date(archive: str):
    engine = open_archive(archive)
    url = "https://mid.ru/en/foreign_policy/news/1801234/"
    with Session(engine) as s, s.begin():
        archive_article(s, fields(url), T0)
        record_fetch(s, source="mid_ru_en", url=url + "?utm_source=rss", status=200,
                     fetched_at=T0, etag='"a"', last_modified="Wed, 10 Jan 2024 09:00:00 GMT")
        record_fetch(s, source="mid_ru_en", url="https://mid.ru/en/photo/1/", status=200,
                     fetched_at=T0, etag="x" * 600)
        record_fetch(s, source="other", url="https://example.org/news/1", status=200,
                     fetched_at=T0)
    with Session(engine) as s:
        known = known_fetches(s, "mid_ru_en")
    assert set(known) == {url, "https://mid.ru/en/photo/1/"}
    assert known[url] == FetchRecord(url, T0, 200, '"a"', "Wed, 10 Jan 2024 09:00:00 GMT",
                                     datetime(2024, 1, 9, tzinfo=UTC))
    # Too long to store: dropped, not cut (a cut ETag would never match).
    assert known["https://mid.ru/en/photo/1/"].etag is None
    assert known["https://mid.ru/en/photo/1/"].published_at is None

    later = T0 + timedelta(days=1)
    with Session(engine) as s, s.begin():
        record_fetch(s, source="mid_ru_en", url=url, status=304, fetched_at=later, etag='"a"')
    with Session(engine) as s, s.begin():
        # A late batch with an older fetch does not roll the record back.
        record_fetch(s, source="mid_ru_en", url=url, status=200, fetched_at=T0, etag='"old"')
    with Session(engine) as s:
        (row,) = s.scalars(select(FetchState).where(FetchState.url == url)).all()
        assert (row.status, row.fetched_at, row.etag, row.last_modified) == (
            304, later, '"a"', None)


def test_mark_seen_moves_last_seen_forward_only(archive: str):
    engine = open_archive(archive)
    url = "https://mid.ru/en/foreign_policy/news/1801234/"
    with Session(engine) as s, s.begin():
        archive_article(s, fields(url), T0)
        assert mark_seen(s, url + "#top", T0 + timedelta(days=2))
        assert mark_seen(s, url, T0 + timedelta(days=1))
        assert not mark_seen(s, "https://mid.ru/en/none/", T0)
    with Session(engine) as s:
        article = s.scalars(select(Article)).one()
        assert article.last_seen_at == T0 + timedelta(days=2)
        assert article.first_seen_at == T0 and article.changed_at is None


def statement(url: str, fetch: Fetch | None) -> Statement:
    return Statement(source="mid_ru_en", url=url, canonical_url=None, title="Statement",
                     body="Text of the statement.", published_at=None, author=None,
                     language="en", section=None, site_name=None, fetched_at=T0, fetch=fetch)


@pytest.mark.parametrize("replay", [False, True])
def test_archive_pipeline_records_fetches_except_in_a_replayed_run(archive: str, replay: bool):
    settings = {"DEMARCHE_ARCHIVE_URL": archive, "DEMARCHE_REPLAY": ["demo.warc.gz"] if replay
                else []}
    crawler = get_crawler(settings_dict=settings)
    crawler._apply_settings()
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    url = "https://mid.ru/en/foreign_policy/news/1801234/"
    gone = "https://mid.ru/en/photo/1/"
    pipeline.process_item(statement(url, Fetch("mid_ru_en", url, url, 200, T0, '"a"')))
    pipeline.process_item(Fetch("mid_ru_en", gone, gone, 304, T0 + timedelta(hours=1)))
    pipeline.close_spider()
    with Session(open_archive(archive)) as s:
        assert s.scalars(select(Article.url)).all() == [url]
        known = known_fetches(s, "mid_ru_en")
    assert set(known) == (set() if replay else {url, gone})
