"""Chrome learned per source: counted in the archive, stripped everywhere,
never from a line seen on one page only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.extraction.boilerplate import candidate_lines, learn_in_corpus, line_key, strip_lines
from crawler.ingest.archiving import archive_batch
from crawler.ingest.processing import enricher_hash
from crawler.items import Statement
from crawler.sources import load_sources
from storage.archive import sync_sources
from storage.engine import open_archive
from storage.minhash import text_signature
from storage.models import Article, ArticleMinhash, BoilerplateLine

T0 = datetime(2024, 3, 1, tzinfo=UTC)
PROMPT = "Like this story? Share it with a friend!"
DISCLAIMER = ("The views and opinions expressed in the article do not necessarily reflect "
              "those of Sputnik.")


def statement(n: int, *extra: str) -> Statement:
    body = "\n\n".join([f"Paragraph one of statement number {n} about the talks in Geneva.",
                        f"Paragraph two of statement {n}: the sides agreed to meet again.", *extra])
    return Statement(source="sputnik_russia", url=f"https://sputnikglobe.com/2024030{n}/{n}.html",
                     canonical_url=None, title=f"Statement {n}", body=body, published_at=None,
                     author=None, language="en", section=None, site_name=None,
                     fetched_at=T0 + timedelta(hours=n))


def test_keys_ignore_case_space_and_end_punctuation():
    assert line_key("Like this story?  Share it with a friend!") == line_key("like this story? share it with a friend")
    assert candidate_lines("Question:\n\nThank you.\n\n" + PROMPT) == {line_key(PROMPT): PROMPT}
    assert strip_lines(f"A first paragraph.\n\n{PROMPT}\n\nLast.", {line_key(PROMPT)}) == "A first paragraph.\n\nLast."
    # A line learned in one spelling goes in every spelling with its key,
    # even one too short to be counted itself.
    learned = {line_key("« Back to news »")}
    assert strip_lines("A first paragraph of the text.\n\nBack to news", learned) == \
        "A first paragraph of the text."


def test_lines_on_many_pages_of_one_site_are_learned_in_a_corpus():
    bodies = {f"p{i}": f"Unique text number {i} of the article body here.\n\n{PROMPT}" for i in range(4)}
    bodies["q"] = f"Another site's article text with words.\n\n{PROMPT}"
    sites = {**{f"p{i}": "a.example" for i in range(4)}, "q": "b.example"}
    learned = learn_in_corpus(bodies, sites)
    assert learned["a.example"] == {line_key(PROMPT)}
    assert learned["b.example"] == set()  # one page on that site: never learned


def test_archive_learns_chrome_and_strips_it_from_every_article(archive_url: str):
    engine = open_archive(archive_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
    with Session(engine) as s, s.begin():
        counts = archive_batch(s, [statement(1, PROMPT, DISCLAIMER), statement(2, PROMPT)])
    assert counts["new"] == 2 and counts["recleaned"] == 0
    with Session(engine) as s:
        assert all(PROMPT in a.body for a in s.scalars(select(Article)))
    with Session(engine) as s, s.begin():
        counts = archive_batch(s, [statement(3, PROMPT), statement(4, PROMPT)])
    assert counts["recleaned"] >= 2  # the two older rows, cleaned when the line was learned
    with Session(engine) as s:
        articles = s.scalars(select(Article).order_by(Article.url)).all()
        assert len(articles) == 4
        assert not any(PROMPT in a.body for a in articles)
        assert DISCLAIMER in articles[0].body  # on one page only: kept
        assert all("Paragraph one" in a.body for a in articles)
        rows = {r.text: r.pages for r in s.scalars(select(BoilerplateLine))}
        assert rows[PROMPT] == 4 and rows[DISCLAIMER] == 1
        # The re-cleaned rows are indexed again for syndication (their
        # signature is that of the text now stored). Their enrichment was
        # made from the old text: the rows of this batch are enriched again
        # at once, the older ones marked for redoing.
        signatures = dict(s.execute(select(ArticleMinhash.article_id, ArticleMinhash.signature)).all())
        assert all(signatures.get(a.id) == text_signature(a.body) for a in articles)
        stale = {a.url for a in articles if a.enricher_hash is None}
        assert stale == {statement(1).url, statement(2).url}
    # A re-crawl of an old article finds it unchanged: its stored text is
    # already the cleaned one; its enrichment is made again.
    with Session(engine) as s, s.begin():
        assert archive_batch(s, [statement(1, PROMPT, DISCLAIMER)])["unchanged"] == 1
    with Session(engine) as s:
        again = s.scalars(select(Article).where(Article.url == statement(1).url)).one()
        assert again.enricher_hash == enricher_hash() and again.statement_type is not None


def test_a_text_made_only_of_learned_lines_stays_whole():
    """Eight statements of one source under different headlines with the
    same paragraphs: the lines are on every page, but stripping them would
    leave empty articles."""
    body = "The Ministry has no comment on the matter at this time.\n\n" \
           "Further information will be published on this website in due course."
    keys = set(candidate_lines(body))
    assert keys and strip_lines(body, keys) == body
    chrome = "Subscribe to our newsletter for the latest statements."
    assert strip_lines(body + "\n\n" + chrome,
                                   set(candidate_lines(chrome))) == body


# A line of chrome with a quotation in it: a quotation of nobody in the article.
QUOTED_CHROME = ("“Share this story with a friend today,” said Anna Lindqvist of the "
                 "newsletter team.")


def archive_that_learned(archive_url: str, chrome: str):  # type: ignore[no-untyped-def]
    """An archive whose source learned ``chrome``: on three of its articles."""
    engine = open_archive(archive_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
    for n in (1, 2, 3):
        with Session(engine) as s, s.begin():
            archive_batch(s, [statement(n, chrome)])
    return engine


def test_an_enrichment_made_before_learned_chrome_went_is_made_again(archive_url: str):
    """A worker enriches the text as extracted; when the archive strips a
    learned line from it, the enrichment of the text as stored is the one
    kept (a quotation in the chrome is no quotation of the article)."""
    from crawler.ingest.processing import enrich_statement
    from storage.models import Quote

    engine = archive_that_learned(archive_url, QUOTED_CHROME)
    late = statement(5, QUOTED_CHROME)
    enriched = enrich_statement(late, None)
    assert any("Share this story" in q.text for q in enriched.enrichment.quotes)
    with Session(engine) as s, s.begin():
        assert archive_batch(s, [enriched])["new"] == 1
    with Session(engine) as s:
        article = s.scalars(select(Article).where(Article.url == late.url)).one()
        assert "Share this story" not in article.body
        quotes = s.scalars(select(Quote.text).where(Quote.article_id == article.id)).all()
        assert not any("Share this story" in q for q in quotes)


def test_a_worker_told_the_learned_chrome_enriches_and_signs_the_text_stored(
        archive_url: str, monkeypatch):
    """Handed the source's learned lines (as the crawl and the import hand
    them), a worker enriches and signs the text without them; the archive
    stores that text and keeps the worker's enrichment and signature
    instead of making its own."""
    import crawler.ingest.archiving as archiving
    from crawler.ingest.archiving import known_chrome
    from crawler.ingest.processing import prepare_statement
    from storage.models import Quote

    engine = archive_that_learned(archive_url, QUOTED_CHROME)
    with Session(engine) as s:
        learned = known_chrome(s, ["sputnik_russia"])
    assert learned == {"sputnik_russia": frozenset({line_key(QUOTED_CHROME)})}

    late = prepare_statement(statement(5, QUOTED_CHROME), None, learned["sputnik_russia"])
    assert QUOTED_CHROME in late.body  # as extracted: the archive counts its lines
    assert late.clean_body is not None and QUOTED_CHROME not in late.clean_body
    assert not any("Share this story" in q.text for q in late.enrichment.quotes)
    assert late.signature == text_signature(late.clean_body)

    made_here = []
    monkeypatch.setattr(archiving, "_enrichment",
                        lambda *args: made_here.append(args) or pytest.fail("enriched again"))
    with Session(engine) as s, s.begin():
        assert archive_batch(s, [late])["new"] == 1
    assert made_here == []
    with Session(engine) as s:
        article = s.scalars(select(Article).where(Article.url == late.url)).one()
        assert article.body == late.clean_body
        assert article.enricher_hash == enricher_hash()
        signature = s.scalar(select(ArticleMinhash.signature)
                             .where(ArticleMinhash.article_id == article.id))
        assert signature == late.signature
        quotes = s.scalars(select(Quote.text).where(Quote.article_id == article.id)).all()
        assert sorted(quotes) == sorted(q.text for q in late.enrichment.quotes)


def test_the_crawl_hands_its_workers_the_chrome_its_archive_learned(archive_url: str):
    """The archive pipeline tells the extraction pipeline the source's
    learned lines when the spider opens and after each batch it writes
    (``crawler.signals.chrome_learned``): the lines its workers take out."""
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from crawler.pipelines.archive import ArchivePipeline
    from crawler.pipelines.extract import ExtractionPipeline

    engine = open_archive(archive_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
    for n in (1, 2):
        with Session(engine) as s, s.begin():
            archive_batch(s, [statement(n, PROMPT)])
    crawler = get_crawler(settings_dict={"DEMARCHE_ARCHIVE_URL": archive_url,
                                         "DEMARCHE_BATCH_SIZE": 1})
    crawler._apply_settings()
    crawler.spider = SimpleNamespace(source=SimpleNamespace(key="sputnik_russia"))
    extraction = ExtractionPipeline.from_crawler(crawler)
    archive = ArchivePipeline.from_crawler(crawler)
    archive.open_spider()
    assert extraction.chrome == {}  # seen on two articles: not chrome yet
    archive.process_item(statement(3, PROMPT))  # the third: learned, written at once
    assert extraction.chrome == {"sputnik_russia": frozenset({line_key(PROMPT)})}
    archive.close_spider()
    reopened = ArchivePipeline.from_crawler(crawler)
    extraction.chrome.clear()
    reopened.open_spider()
    assert extraction.chrome == {"sputnik_russia": frozenset({line_key(PROMPT)})}
    reopened.close_spider()
