"""Odd and over-long values through the real write path (issue 14, point
6), on SQLite and on a real PostgreSQL: NUL bytes, lone surrogates, 1 MB
titles, 100 kB sections and URLs past their column reach every text column
of the tables a crawl or an import writes, and nothing is lost but what a
bounded column cut, each cut noted in the log (storage/bounds.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from batch.warc_import import import_warcs
from crawler.enrich import Enrichment, Mention, Quote, Speaker, Turn
from crawler.ingest.archiving import archive_batch
from crawler.items import Fetch, Gone, Statement
from crawler.sources import load_sources
from storage.archive import sync_sources
from storage.boilerplate import record_lines
from storage.bounds import clean_text, fit_row, width
from storage.engine import open_archive
from storage.models import Article, Base
from storage.urls import normalise_url
from tests.conftest import article_html

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
NUL, LONE, PAIR = "\x00", "\udc80", "\ud83d\ude00"  # PAIR: 😀 as two code points


def odd(word: str, size: int) -> str:
    """About ``size`` characters of ``word`` with a NUL byte, a lone
    surrogate and a split surrogate pair in it, near the start (so that a
    cut keeps them)."""
    return (f"{word}{NUL}{LONE}{PAIR} " * (size // (len(word) + 4) + 1))[:size]


def clean(value: str) -> str:
    """What the archive keeps of ``odd`` text, by the test's own reckoning."""
    return value.replace(NUL, "").replace(PAIR, "😀").replace(LONE, "\ufffd")


@dataclass(frozen=True)
class OddSource:
    """A sources row as an import makes one from a host name (up to 253
    characters: longer than sources.name)."""

    key: str = "odd"
    name: str = odd("Odd Ministry", 300)
    site_name: str = odd("Odd", 500)
    kind: str = "imported"
    country: str = "ZZ"
    language: str = "en-GB-oxendict"
    spider: str = "feed"
    domains: tuple[str, ...] = ("odd.example",)
    entry_points: tuple[str, ...] = ("https://odd.example/",)


LONG = "https://odd.example/news/" + "a" * 3000
TITLE, SECTION = odd("Title", 1_000_000), odd("Section", 100_000)
BODY = "\n\n".join(odd(f"Paragraph {n} of the statement", 2000) for n in range(500))
ENRICHED = Enrichment(
    statement_type="s" * 40,
    speakers=(Speaker(odd("Name", 500), odd("Role", 300), "RU"),),
    quotes=(Quote(odd("Quoted", 5000), odd("Speaker", 300), 0),),
    countries=(Mention("RU", 1),),
    source_country="RU",
    document_number=odd("No", 100),
    translation_keys=(f"doc:{NUL}1", "url:" + "x" * 3000),
    turns=(Turn(0, "question", odd("Asker", 300), odd("Outlet", 300), odd("Why", 2000)),),
)


def statement(url: str) -> Statement:
    # A body of its own: one text under two URLs of a source is one article.
    return Statement(
        source="odd", url=url, canonical_url=LONG + "/canonical", title=TITLE,
        body=f"{BODY}\n\n{url[-12:]}",
        published_at=T0, author=odd("Author", 1000), language="en-GB-oxendict-x",
        section=SECTION, site_name=odd("Site", 500), fetched_at=T0,
        fetch=Fetch(source="odd", url=url, page_url=url, status=200, fetched_at=T0,
                    etag="e" * 600, last_modified=f"Mon{NUL}"),
        warc_file="warc/" + "w" * 600, warc_offset=0, extractor="x" * 100,
        extractor_hash="h" * 40, enrichment=ENRICHED)


def test_titles_bodies_and_quotes_are_text_columns_never_cut():
    for name in ("articles.title", "articles.body", "article_versions.title",
                 "article_versions.body", "quotes.text", "turns.text", "boilerplate_lines.text",
                 "crawl_runs.log_tail"):
        table, column = name.split(".")
        assert width(Base.metadata.tables[table].c[column]) is None, name


def test_odd_values_reach_every_text_column(archive_url: str, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="storage")
    engine = open_archive(archive_url)
    # Two URLs that differ only past the column's 2,048 characters.
    first, second = LONG + "/1", LONG + "/2"
    with Session(engine) as s, s.begin():
        sync_sources(s, [OddSource()], T0)
        counts = archive_batch(s, [
            statement(first), statement(second),
            Gone(source="odd", url=LONG + "/gone", status=404, seen_at=T0, reason="http 404"),
        ])
        record_lines(s, "odd", {"k" * 40: odd("Line", 3000)}, T0)
    assert counts["new"] == 2

    with Session(engine) as s:
        source = s.execute(text("SELECT name, site_name, language FROM sources")).one()
        assert source == (clean(OddSource.name)[:200], clean(OddSource.site_name)[:200],
                          "en-GB-ox")
        rows = s.scalars(select(Article).order_by(Article.id)).all()
        assert len(rows) == 2
        for article, url in zip(rows, (first, second), strict=True):
            # The texts whole, a megabyte of title and 500 paragraphs of body.
            assert article.title == clean(TITLE) and len(article.title.encode()) > 1_000_000
            assert article.body == clean(f"{BODY}\n\n{url[-12:]}")
            assert article.section == clean(SECTION)[:200]
            assert article.author == clean(odd("Author", 1000))[:300]
            assert article.site_name == clean(odd("Site", 500))[:200]
            assert article.language == "en-GB-ox"
            assert article.canonical_url == (LONG + "/canonical")[:2048]
            assert (article.warc_file, article.extractor, article.extractor_hash) == (
                ("warc/" + "w" * 600)[:512], "x" * 64, "h" * 16)
            assert (article.statement_type, article.document_number) == (
                "s" * 32, clean(odd("No", 100))[:64])
            assert len(article.url) == 2048 and article.url.startswith(normalise_url(url)[:2000])
        assert rows[0].url != rows[1].url  # cut with a digest: two pages stay two
        urls = s.execute(text("SELECT url FROM article_urls WHERE kind = 'fetched'")).scalars()
        assert len({u for u in urls if len(u) <= 2048}) == 2
        fetches = s.execute(text("SELECT url, etag, last_modified FROM fetch_state")).all()
        assert len(fetches) == 3 and all(len(url) <= 2048 for url, _, _ in fetches)
        # A validator too long to send back is dropped, not cut (fetch_state.py).
        assert {(etag, modified) for _, etag, modified in fetches} == {(None, "Mon"), (None, None)}
        assert s.execute(text("SELECT name, role FROM speakers")).all() == 2 * [
            (clean(odd("Name", 500))[:200], clean(odd("Role", 300))[:100])]
        assert s.execute(text("SELECT text, speaker FROM quotes")).all() == 2 * [
            (clean(odd("Quoted", 5000)), clean(odd("Speaker", 300))[:200])]
        assert s.execute(text("SELECT speaker, outlet, text FROM turns")).all() == 2 * [
            (clean(odd("Asker", 300))[:200], clean(odd("Outlet", 300))[:200],
             clean(odd("Why", 2000)))]
        assert s.execute(text("SELECT DISTINCT key FROM translation_keys")).scalars().all() == [
            "doc:1"]
        assert s.execute(text("SELECT line_key, text FROM boilerplate_lines")).all() == [
            ("k" * 32, clean(odd("Line", 3000)))]

    notes = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for column in ("sources.name", "articles.section", "articles.author", "articles.url",
                   "articles.canonical_url", "articles.language", "articles.warc_file",
                   "articles.document_number", "speakers.name", "turns.outlet",
                   "article_urls.url", "fetch_state.url", "boilerplate_lines.line_key"):
        assert any(n.startswith(column + " of ") and "cut from" in n for n in notes), column
    assert any(n.startswith("articles.section of https://odd.example/news/aaa")
               and f"cut from {len(clean(SECTION))} to 200 characters" in n for n in notes)
    for column in ("articles.title", "articles.body", "quotes.text", "turns.text"):
        said = [n for n in notes if n.startswith(column + " of ")]
        assert said and all("NUL byte(s) removed" in n and "lone surrogate(s)" in n
                            and "cut" not in n for n in said), column
    assert any(n.startswith("translation_keys.key of article") and "left out" in n
               for n in notes)

    # The same pages again: found under their cut URLs, nothing doubled.
    with Session(engine) as s, s.begin():
        again = archive_batch(s, [statement(first), statement(second)])
    assert again["unchanged"] == 2
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 2
        # Each fetched URL, and the canonical one (the first article's).
        assert s.scalar(text("SELECT count(*) FROM article_urls")) == 3


def test_an_import_of_a_page_with_a_long_section_goes_through(archive_url: str, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture):
    """The page that stopped import-warc on PostgreSQL: a news section of
    several hundred characters (the AP's), beside an ordinary page. The
    import goes through, and the section kept is a label: the keyword
    list's first entry (crawler/extraction/html.py, section_label), not
    the list cut at the column's width."""
    section = "World News, Politics, Government and Elections; " * 10
    pages = []
    for n, meta in enumerate(["", f'<meta property="article:section" content="{section}">']):
        html = article_html(f"Statement number {n} on the negotiations", [
            "The ministry expressed its deep concern over the escalation in the region today.",
            "It called on all parties to exercise restraint and to return to negotiations.",
            "The ministry stands ready to facilitate a dialogue between the sides at once."],
            date="2024-03-01T10:00:00+03:00").replace("</head>", meta + "</head>")
        pages.append((f"https://news.example/2024/03/01/statement-{n}.html", html.encode()))
    path = tmp_path / "news.warc.gz"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body),
                                                          http_headers=headers))
    caplog.set_level(logging.WARNING, logger="storage")
    summary = import_warcs([path], archive_url, load_sources(), workers=1)
    assert summary.outcomes["new"] == 2
    with Session(open_archive(archive_url)) as s:
        sections = s.execute(text("SELECT section FROM articles ORDER BY url")).scalars().all()
    assert sections == [None, "World News"]
    assert not any(r.getMessage().startswith("articles.section of") for r in caplog.records)


def test_fit_row_keeps_what_fits_and_joins_surrogate_pairs(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="storage")
    values = {"section": "Новости", "title": "T" * 10_000, "published_at": T0, "other": NUL}
    assert fit_row(Article, values, "row") == values  # (not a column: "other" is left alone)
    assert not caplog.records
    assert clean_text(f"a{PAIR}b{LONE}{NUL}c") == "a😀b\ufffdc"
    assert fit_row(Article, {"section": "é" * 300}, "row")["section"] == "é" * 200
    assert caplog.records[-1].getMessage() == (
        "articles.section of row: cut from 300 to 200 characters")
