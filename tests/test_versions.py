"""Versions, takedowns and the many URLs of one statement.

Storage on SQLite and PostgreSQL: earlier texts kept as versions, URL
spellings and aliases (redirects, canonical links, the same text) finding
one article, removals. The spider's takedown rules on hand-built responses.
End to end over loopback HTTP: an edited article and ``demarche history``,
a 404 and redirects away marking articles removed, a site migration.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.ingest.archiving import archive_batch
from crawler.items import Fetch, FetchedPage, Gone, Statement
from crawler.sources import Source
from reading.history import article_history
from storage.archive import (
    Outcome,
    archive_article,
    content_hash,
    mark_removed,
    mark_seen,
    sync_sources,
)
from storage.engine import open_archive
from storage.lookup import archived_url_keys, find_article
from storage.models import Article, ArticleUrl, ArticleVersion, FetchState
from storage.urls import normalise_url, spellings, url_key
from tests.test_revisit import make_spider

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NEWS = "https://mid.ru/en/foreign_policy/news/1801234/"


def a_source(key: str, domains: tuple[str, ...], **fields: object) -> Source:
    row = {
        "key": key, "name": key, "kind": "ministry", "country": "RU", "language": "en",
        "domains": domains, "spider": "listing",
        "entry_points": (f"https://{domains[0]}/en/news/",), "article_pattern": r"/news/\d+",
    }
    row.update(fields)
    return Source(**row)  # type: ignore[arg-type]


MID = a_source("mid_ru_en", ("mid.ru",))
OTHER = a_source("other", ("example.org",))


@pytest.fixture
def archive(archive_url: str) -> str:
    with Session(open_archive(archive_url)) as s, s.begin():
        sync_sources(s, [MID, OTHER], T0)
    return archive_url


def fields(url: str, title: str = "Statement on the talks", body: str = "First text.",
           *, source: str = "mid_ru_en", canonical: str | None = None,
           published: datetime | None = T0, warc: tuple[str, int] | None = None) -> dict:
    return {"source": source, "url": url, "canonical_url": canonical, "title": title,
            "body": body, "published_at": published, "author": None, "language": "en",
            "section": None, "site_name": None,
            "warc_file": warc[0] if warc else None, "warc_offset": warc[1] if warc else None}


def write(engine, *calls: tuple[dict, datetime] | tuple[dict, datetime, str]) -> list[Outcome]:
    """Each call in its own transaction, as batches are."""
    outcomes = []
    for call in calls:
        with Session(engine) as s, s.begin():
            requested = call[2] if len(call) == 3 else None
            outcomes.append(archive_article(s, call[0], call[1], requested_url=requested))
    return outcomes


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def urls_of(engine, article_id: int) -> dict[str, str]:
    with Session(engine) as s:
        rows = s.execute(select(ArticleUrl.url, ArticleUrl.kind)
                         .where(ArticleUrl.article_id == article_id)).all()
        return dict(rows)


# --- URL keys --------------------------------------------------------------------------


def test_spellings_of_one_page_have_one_key():
    key = "https://mid.ru/en/foreign_policy/news/1801234"
    for spelling in [NEWS, "https://www.mid.ru/en/foreign_policy/news/1801234",
                     "https://MID.ru:443/en/foreign_policy/news/1801234/?utm_source=rss#top",
                     "https://www.mid.ru/en/foreign_policy/news/1801234//?fbclid=x"]:
        assert url_key(spelling) == key, spelling
    assert url_key("http://mid.ru/en/1") == url_key("https://mid.ru/en/1")
    assert url_key("https://mid.ru/en/news.php?id=2&lang=en") == url_key(
        "https://www.mid.ru/en/news.php/?lang=en&id=2")
    assert url_key("https://mid.ru/en/news.php?id=1") != url_key("https://mid.ru/en/news.php?id=2")
    assert url_key("https://www.mid.ru") == url_key("https://mid.ru/") == "https://mid.ru/"
    # The spellings older rows may be stored under: what normalise_url gave.
    assert normalise_url(NEWS) in spellings("https://www.mid.ru/en/foreign_policy/news/1801234")


# --- versions ---------------------------------------------------------------------------


def test_a_changed_text_is_kept_as_a_version_and_a_revert_is_another(archive: str):
    engine = open_archive(archive)
    first = fields(NEWS, warc=("a.warc.gz", 10))
    edited = fields(NEWS, body="First text.\n\nA paragraph added later.", warc=("b.warc.gz", 20))
    outcomes = write(engine, (first, T0), (first, T0 + DAY), (edited, T0 + 2 * DAY),
                       (edited, T0 + 3 * DAY))
    assert outcomes == [Outcome.NEW, Outcome.UNCHANGED, Outcome.CHANGED, Outcome.UNCHANGED]
    with Session(engine) as s:
        (version,) = s.scalars(select(ArticleVersion)).all()
        assert (version.title, version.body) == ("Statement on the talks", "First text.")
        assert version.content_hash == content_hash("Statement on the talks", "First text.")
        # Current from the first crawl to the last one that still found it.
        assert (version.first_seen_at, version.seen_at) == (T0, T0 + DAY)
        assert (version.warc_file, version.warc_offset) == ("a.warc.gz", 10)
        article = s.scalars(select(Article)).one()
        assert article.body.endswith("added later.") and article.warc_file == "b.warc.gz"

    # The edit is withdrawn: the first text is current again, and the
    # edited one is a second version (versions are a history, not a set).
    assert write(engine, (first, T0 + 4 * DAY)) == [Outcome.CHANGED]
    with Session(engine) as s:
        versions = s.scalars(select(ArticleVersion).order_by(ArticleVersion.id)).all()
        assert [v.body for v in versions] == ["First text.",
                                              "First text.\n\nA paragraph added later."]
        assert (versions[1].first_seen_at, versions[1].seen_at) == (T0 + 2 * DAY, T0 + 3 * DAY)
        assert (versions[1].warc_file, versions[1].warc_offset) == ("b.warc.gz", 20)
        article = s.scalars(select(Article)).one()
        assert article.body == "First text." and article.changed_at == T0 + 4 * DAY
        history = article_history(s, "https://www.mid.ru/en/foreign_policy/news/1801234")
    assert [t.label for t in history.texts] == ["version 1", "version 2", "current"]
    diffs = [diff for _, _, diff in history.diffs()]
    assert "+A paragraph added later." in diffs[0] and "-A paragraph added later." in diffs[1]
    assert count(engine, Article) == 1


def test_a_title_change_is_a_version_too(archive: str):
    engine = open_archive(archive)
    write(engine, (fields(NEWS), T0), (fields(NEWS, title="Statement on the talks (updated)"),
                                         T0 + DAY))
    with Session(engine) as s:
        assert s.scalars(select(ArticleVersion.title)).all() == ["Statement on the talks"]


# --- one statement, many URLs ----------------------------------------------------------


def test_spellings_of_the_url_find_the_same_row(archive: str):
    engine = open_archive(archive)
    assert write(engine, (fields("https://www.mid.ru/en/foreign_policy/news/1801234/"), T0)) \
        == [Outcome.NEW]
    variants = ["https://mid.ru/en/foreign_policy/news/1801234",
                "https://mid.ru:443/en/foreign_policy/news/1801234/?utm_source=rss",
                "https://WWW.MID.RU/en/foreign_policy/news/1801234#comments"]
    assert write(engine, *[(fields(v), T0 + DAY) for v in variants]) == [Outcome.UNCHANGED] * 3
    assert count(engine, Article) == 1
    with Session(engine) as s:
        article = s.scalars(select(Article)).one()
        # The row keeps the URL of its first fetch; the key is in article_urls.
        assert article.url == "https://www.mid.ru/en/foreign_policy/news/1801234/"
    assert urls_of(engine, article.id) == {
        "https://mid.ru/en/foreign_policy/news/1801234": "fetched"}
    with Session(engine) as s:  # http or https: one page to whoever looks it up
        for spelling in ("http://mid.ru/en/foreign_policy/news/1801234",
                         "HTTP://www.mid.ru/en/foreign_policy/news/1801234/?utm_medium=x"):
            assert find_article(s, spelling).id == article.id, spelling
        assert find_article(s, "ftp://mid.ru/en/foreign_policy/news/1801234") is None


def test_rows_archived_before_article_urls_are_found_by_their_spellings(archive: str):
    engine = open_archive(archive)
    with Session(engine) as s, s.begin():
        # A row as demarche 0.2 wrote it: no article_urls.
        s.add(Article(source="mid_ru_en", url="https://www.mid.ru/en/foreign_policy/news/7/",
                      title="Old", body="Old text.", content_hash=content_hash("Old", "Old text."),
                      first_seen_at=T0, last_seen_at=T0))
    with Session(engine) as s:
        assert archived_url_keys(s, "mid_ru_en") == {"https://mid.ru/en/foreign_policy/news/7"}
    assert write(engine, (fields("https://mid.ru/en/foreign_policy/news/7", "Old", "Old text."),
                            T0 + DAY)) == [Outcome.UNCHANGED]
    with Session(engine) as s:
        (article,) = s.scalars(select(Article)).all()
        assert article.last_seen_at == T0 + DAY
    assert urls_of(engine, article.id) == {"https://mid.ru/en/foreign_policy/news/7": "fetched"}


def test_a_canonical_link_names_the_same_article(archive: str):
    engine = open_archive(archive)
    printed = "https://mid.ru/en/print/1801234"
    # Fetched first at its print URL, which names the article URL as canonical.
    assert write(engine, (fields(printed, canonical=NEWS), T0)) == [Outcome.NEW]
    with Session(engine) as s:
        article_id = s.scalar(select(Article.id))
    assert urls_of(engine, article_id) == {printed: "fetched", url_key(NEWS): "canonical"}
    # Then at the canonical URL itself, edited: the same article, a version.
    assert write(engine, (fields(NEWS, body="Edited text."), T0 + DAY)) == [Outcome.CHANGED]
    # And an AMP copy naming it as canonical, with the edited text.
    amp = "https://mid.ru/en/amp/1801234"
    assert write(engine, (fields(amp, body="Edited text.", canonical=NEWS), T0 + DAY)) == [
        Outcome.UNCHANGED]
    assert count(engine, Article) == 1 and count(engine, ArticleVersion) == 1
    # Fetched there, the canonical URL is now a URL the article was served at.
    assert urls_of(engine, article_id) == {printed: "fetched", url_key(NEWS): "fetched",
                                           amp: "fetched"}


def test_a_canonical_link_merges_only_into_an_article_served_there(archive: str):
    """A template that gives every page the section's URL as canonical must
    not fold the section into one article."""
    engine = open_archive(archive)
    section = "https://mid.ru/en/foreign_policy/news/"
    assert write(engine,
                   (fields("https://mid.ru/en/foreign_policy/news/1", canonical=section), T0),
                   (fields("https://mid.ru/en/foreign_policy/news/2", body="Other text.",
                           canonical=section), T0)) == [Outcome.NEW, Outcome.NEW]
    # A canonical link to the home page is not recorded at all.
    write(engine, (fields("https://mid.ru/en/foreign_policy/news/3", body="Third.",
                            canonical="https://mid.ru/"), T0))
    with Session(engine) as s:
        assert s.scalar(select(ArticleUrl.url).where(ArticleUrl.kind == "canonical")) == \
            url_key(section)
        assert find_article(s, "https://mid.ru/") is None


def test_a_canonical_link_to_another_site_does_not_merge_sources(archive: str):
    engine = open_archive(archive)
    original = "https://example.org/news/1"
    relay = "https://mid.ru/en/foreign_policy/news/2"
    write(engine, (fields(original, source="other"), T0),
            (fields(relay, canonical=original), T0 + DAY))
    assert count(engine, Article) == 2
    with Session(engine) as s:
        relayed = s.scalars(select(Article).where(Article.source == "mid_ru_en")).one()
        # Kept as what the page says (syndication), not as one of its URLs.
        assert relayed.canonical_url == original
        assert find_article(s, original).source == "other"
    assert urls_of(engine, relayed.id) == {relay: "fetched"}


def test_a_redirect_records_the_link_as_requested(archive: str):
    engine = open_archive(archive)
    old = "https://mid.ru/en/foreign_policy/news/1801234"
    new = "https://mid.ru/en/press_service/news/1801234"
    other = "https://mid.ru/en/foreign_policy/news/55"
    write(engine, (fields(old), T0),
            # The site moved its articles: the old link answers 301 to the new.
            (fields(new, body="First text, reworded in the move."), T0 + DAY, old),
            # A new article reached through a redirect brings its link too.
            (fields(new.replace("1801234", "55"), body="Fifty-five."), T0 + DAY, other))
    assert count(engine, Article) == 2 and count(engine, ArticleVersion) == 1
    with Session(engine) as s:
        moved, fresh = s.scalars(select(Article).order_by(Article.id)).all()
        assert moved.url == old and moved.body == "First text, reworded in the move."
    assert urls_of(engine, moved.id) == {old: "fetched", new: "fetched"}
    assert urls_of(engine, fresh.id) == {new.replace("1801234", "55"): "fetched",
                                         other: "redirect"}


def test_the_same_text_at_a_second_url_of_the_source_is_one_article(archive: str):
    engine = open_archive(archive)
    second = "https://mid.ru/en/press_service/minister_speeches/1801234"
    outcomes = write(engine, (fields(NEWS), T0), (fields(second), T0 + DAY),
                       # Another source with the same text: its own article.
                       (fields("https://example.org/news/1801234", source="other"), T0 + DAY),
                       # The same notice a week later: another statement.
                       (fields("https://mid.ru/en/foreign_policy/news/1809999",
                               published=T0 + 7 * DAY), T0 + 7 * DAY))
    assert outcomes == [Outcome.NEW, Outcome.UNCHANGED, Outcome.NEW, Outcome.NEW]
    with Session(engine) as s:
        first = s.scalars(select(Article).order_by(Article.id)).first()
        assert first.last_seen_at == T0 + DAY
    assert urls_of(engine, first.id) == {url_key(NEWS): "fetched", second: "fetched"}


# --- takedowns -------------------------------------------------------------------------


def test_removed_keeps_the_earliest_date_and_a_return_clears_it(archive: str):
    engine = open_archive(archive)
    write(engine, (fields(NEWS, canonical="https://mid.ru/en/news/canonical/1"), T0))
    with Session(engine) as s, s.begin():
        assert mark_removed(s, "https://www.mid.ru/en/foreign_policy/news/1801234", "http 404",
                            T0 + 2 * DAY)
        assert not mark_removed(s, NEWS, "redirect", T0 + 3 * DAY)
        # A batch written late with an earlier finding moves the date back.
        assert not mark_removed(s, NEWS, "http 410", T0 + DAY + timedelta(hours=1))
        # A canonical alias that leads nowhere says nothing of the page.
        assert not mark_removed(s, "https://mid.ru/en/news/canonical/1", "http 404", T0)
        assert not mark_removed(s, "https://mid.ru/en/unknown/1", "http 404", T0)
    with Session(engine) as s:
        article = s.scalars(select(Article)).one()
        assert (article.removed_at, article.removed_reason) == (T0 + DAY + timedelta(hours=1),
                                                               "http 410")
        assert article.body == "First text."
    with Session(engine) as s, s.begin():
        # A sighting from before the removal does not undo it...
        assert mark_seen(s, NEWS, T0 + DAY)
        assert s.scalars(select(Article)).one().removed_at is not None
    # ...one after it does: the page is back.
    write(engine, (fields(NEWS), T0 + 4 * DAY))
    with Session(engine) as s:
        article = s.scalars(select(Article)).one()
        assert (article.removed_at, article.removed_reason) == (None, None)
        # Seen alive after a later 404: that 404 is older news.
        assert not mark_removed(s, NEWS, "http 404", T0 + 3 * DAY)


def statement(url: str, at: datetime, *, requested: str | None = None) -> Statement:
    fetch = Fetch("mid_ru_en", requested or url, url, 200, at)
    return Statement(source="mid_ru_en", url=url, canonical_url=None, title="Statement",
                     body="Text of the statement.", published_at=T0, author=None,
                     language="en", section=None, site_name=None, fetched_at=at, fetch=fetch)


def test_a_batch_marks_gone_articles_removed_once_and_a_replay_never(archive: str):
    engine = open_archive(archive)
    with Session(engine) as s, s.begin():
        assert archive_batch(s, [statement(NEWS, T0)])["new"] == 1
    gone = Gone("mid_ru_en", NEWS, 404, T0 + DAY, "http 404")
    with Session(engine) as s, s.begin():
        assert archive_batch(s, [gone], remember_fetches=False) == {}
    with Session(engine) as s:
        assert s.scalars(select(Article.removed_at)).one() is None
    with Session(engine) as s, s.begin():
        assert archive_batch(s, [gone])["removed"] == 1
    with Session(engine) as s, s.begin():
        again = Gone("mid_ru_en", NEWS, 404, T0 + 2 * DAY, "http 404")
        assert archive_batch(s, [again])["removed"] == 0
    with Session(engine) as s:
        assert s.scalars(select(Article.removed_at)).one() == T0 + DAY
        # The 404 is the URL's last fetch: nightly runs need not ask again.
        assert s.scalars(select(FetchState.status)).one() == 404


# --- the spider's takedown rules -------------------------------------------------------


LISTING = a_source("mid_ru_en", ("mid.ru",),
                   entry_points=("https://mid.ru/en/foreign_policy/news/",),
                   article_pattern=r"/news/\d+")


def response(final: str, requested: str, status: int = 200, reasons=(301,)) -> Response:
    meta = {"redirect_urls": [requested], "redirect_reasons": list(reasons)} \
        if final != requested else {}
    request = Request(final, meta=meta)
    if status != 200:
        return Response(final, status=status, request=request)
    return HtmlResponse(final, body=b"<html><body><p>page</p></body></html>", request=request,
                        headers={"Content-Type": "text/html"})


@pytest.mark.parametrize(("final", "status", "expected"), [
    (NEWS, 404, ("http 404", 404)),
    (NEWS, 410, ("http 410", 410)),
    ("https://mid.ru/", 200, ("redirect", 301)),
    ("https://mid.ru/en/foreign_policy/news/", 200, ("redirect", 301)),  # the listing
    ("https://mid.ru/en/search?q=1801234", 200, ("redirect", 301)),  # no article URL
    ("https://other.example/en/news/1801234", 200, ("redirect", 301)),  # another site
    ("https://www.mid.ru/en/foreign_policy/news/1801234", 200, None),  # same page
    ("http://mid.ru/en/foreign_policy/news/1801234", 200, None),
    ("https://mid.ru/en/press_service/news/1801234", 200, None),  # moved, still an article
])
def test_what_the_spider_counts_as_gone(final: str, status: int, expected):
    spider = make_spider(LISTING)
    spider.archived_urls = {url_key(NEWS)}
    (item,) = list(spider.parse_article(response(final, NEWS, status)))
    if expected is None:
        assert isinstance(item, FetchedPage) and item.url == final
        return
    assert isinstance(item, Gone)
    assert (item.reason, item.status, item.url) == (*expected, NEWS)
    assert spider.crawler.stats.get_value(
        f"crawl/gone/{expected[0].removeprefix('http ')}") == 1


def test_only_archived_urls_are_checked_for_takedowns():
    spider = make_spider(LISTING)
    spider.archived_urls = {url_key(NEWS)}
    (item,) = list(spider.parse_article(response("https://mid.ru/", "https://mid.ru/en/news/9")))
    assert isinstance(item, FetchedPage)  # an unknown link: extraction decides, as before
    known = spider.article_request("https://www.mid.ru/en/foreign_policy/news/1801234")
    assert known.meta["handle_httpstatus_list"] == [404, 410] and known.dont_filter
    fresh = spider.article_request("https://mid.ru/en/foreign_policy/news/1801235")
    assert "handle_httpstatus_list" not in fresh.meta and not fresh.dont_filter
