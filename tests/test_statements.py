"""From articles to statements in the archive: what a crawl's enrichment
leaves in the tables and views, what `demarche show` and the statement
filters of `demarche search` give, and `demarche reextract` filling old rows;
on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crawler.enrich import Enrichment, Mention, Quote, Speaker, Turn
from crawler.ingest.processing import enricher_hash
from crawler.sources import load_sources
from reading.search import SearchFilters, search
from storage.archive import store_article, sync_sources
from storage.engine import open_archive
from storage.models import Article
from storage.statements import statement_details, store_enrichment
from tests.test_search import ARMENIA, SEED, SYRIA_RU, make_demo, run

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory)


def show(archive: Path, key: str) -> dict:
    result = run(["show", key, "--format", "json"], archive)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_seed_is_a_report_of_lavrovs_words(demo_db: Path):
    record = show(demo_db, SEED)
    assert record["statement_type"] == "news report"
    assert record["speakers"] == [
        {"name": "Sergei Lavrov", "role": "Foreign Minister", "country": "RU"}]
    assert len(record["quotes"]) >= 4
    assert {q["speaker"] for q in record["quotes"]} == {"Sergei Lavrov"}
    assert any("Syrian government should" in q["text"] for q in record["quotes"])
    counts = {c["code"]: c["count"] for c in record["countries"]}
    assert {"SY", "RU", "US", "AM", "IR", "CN"} <= set(counts)
    assert max(counts, key=counts.get) == "SY"
    assert record["document_number"] is None and record["translations"] == []


def test_show_text_prints_speakers_quotes_and_countries(demo_db: Path):
    result = run(["show", SEED], demo_db)
    assert result.returncode == 0, result.stderr
    assert "speaker" in result.stdout and "Sergei Lavrov (Foreign Minister, RU)" in result.stdout
    assert "Sergei Lavrov: “" in result.stdout
    assert "SY " in result.stdout


def test_language_versions_are_linked_as_translations(demo_db: Path):
    """The demo's English and Russian mid.ru comments carry one document
    number: each names the other as its translation."""
    with sqlite3.connect(demo_db) as conn:
        pairs = conn.execute("""SELECT a.url, b.url, t.translation_language FROM translations t
            JOIN articles a ON a.id = t.article_id JOIN articles b ON b.id = t.translation_id
            ORDER BY a.language""").fetchall()
        numbers = dict(conn.execute(
            "SELECT url, document_number FROM articles WHERE document_number IS NOT NULL"))
    assert len(pairs) == 2, pairs
    english = next(p for p in pairs if p[2] == "ru")
    assert english[1] == SYRIA_RU
    assert numbers[english[0]] == numbers[SYRIA_RU]
    record = show(demo_db, SYRIA_RU)
    assert [t["language"] for t in record["translations"]] == ["en"]


def test_statements_view_and_tables_answer_research_questions(demo_db: Path):
    with sqlite3.connect(demo_db) as conn:
        by_type = dict(conn.execute(
            "SELECT statement_type, count(*) FROM statements GROUP BY statement_type"))
        assert sum(by_type.values()) == 12 and by_type["news report"] == 4
        assert by_type["briefing"] == 2
        # Every answer of the State Department's spokesperson, turn by turn.
        answers = conn.execute("""SELECT s.url, t.speaker, t.text FROM turns t
            JOIN statements s ON s.id = t.article_id
            WHERE t.kind = 'answer' AND s.source = 'state_gov_briefings'""").fetchall()
        assert answers and all(speaker for _, speaker, _ in answers)
        questions = conn.execute("SELECT count(*) FROM turns WHERE kind = 'question'").fetchone()
        assert questions[0] >= 2
        mentions = dict(conn.execute(
            "SELECT country, count(*) FROM mentions GROUP BY country"))
        assert mentions["SY"] >= 5


@pytest.mark.parametrize("filters, expected", [
    (SearchFilters(speaker="lavrov"), {SEED, ARMENIA}),
    (SearchFilters(speaker="Lavrov", mentions="am"), {SEED, ARMENIA}),
    (SearchFilters(statement_type="news report", speaker="lavrov"), {SEED}),
    (SearchFilters(mentions="AM", statement_type="press release"), {ARMENIA}),
    (SearchFilters(speaker="nobody of that name"), set()),
])
def test_search_filters_by_speaker_type_and_mentioned_country(demo_db: Path, filters, expected):
    with Session(open_archive(f"sqlite:///{demo_db}")) as s:
        hits = {h.url for h in search(s, "Syria OR Armenia OR Lavrov", filters, 50)}
    assert hits == expected


def test_search_command_takes_the_statement_filters(demo_db: Path):
    result = run(["search", "Syria", "--speaker", "Lavrov", "--type", "news report",
                  "--format", "json"], demo_db)
    assert result.returncode == 0, result.stderr
    assert [hit["url"] for hit in json.loads(result.stdout)] == [SEED]
    bad = run(["search", "Syria", "--type", "tweet"], demo_db)
    assert bad.returncode == 2 and "--type 'tweet': no statement type of that name" in bad.stderr


def test_reextract_enriches_rows_archived_before_enrichment(demo_db: Path, tmp_path: Path):
    """Rows without enrichment (an archive from before it existed), with and
    without a WARC record, get it from `demarche reextract`; a second run
    has nothing to do."""
    archive = tmp_path / "old.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(archive) as target:
        source.backup(target)
    with sqlite3.connect(archive) as conn:
        before = conn.execute("SELECT count(*) FROM speakers").fetchone()[0]
        for table in ("speakers", "quotes", "mentions", "turns", "translation_keys"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("UPDATE articles SET statement_type = NULL, document_number = NULL, "
                     "enricher_hash = NULL")
        # One row whose WARC record is unknown: enriched from its text.
        conn.execute("UPDATE articles SET warc_file = NULL, warc_offset = NULL WHERE url = ?",
                     (SEED,))
    # The WARC files are beside the demo's archive.
    env_archive = archive
    result = run(["reextract"], env_archive)
    assert result.returncode == 0, result.stderr
    assert "12 enriched again" in result.stdout, result.stdout
    with sqlite3.connect(archive) as conn:
        assert conn.execute("SELECT count(*) FROM speakers").fetchone()[0] == before
        assert conn.execute("SELECT count(*) FROM articles WHERE enricher_hash = ?",
                            (enricher_hash(),)).fetchone()[0] == 12
    assert show(archive, SEED)["speakers"][0]["name"] == "Sergei Lavrov"
    again = run(["reextract"], archive)
    assert "0 enriched again" in again.stdout, again.stdout


ENRICHED = Enrichment(
    statement_type="briefing",
    speakers=(Speaker("Mao Ning", "Spokesperson", "CN"),),
    quotes=(Quote("We firmly oppose it.", "Mao Ning", 40),),
    countries=(Mention("US", 3), Mention("CN", 5)),
    source_country="CN",
    document_number=None,
    translation_keys=("url:https://www.mfa.gov.cn/eng/xw/fyrbt/lxjzh/202405/t1.html",
                      "url:https://www.mfa.gov.cn/eng/xw/fyrbt/lxjzh/202405/t1.html"),
    turns=(Turn(0, "question", None, "AFP", "What is China's response?"),
           Turn(1, "answer", "Mao Ning", None, "We firmly oppose it.")),
)


def test_enrichment_is_stored_replaced_and_read_back(archive_url: str):
    engine = open_archive(archive_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
        _, article_id = store_article(s, {
            "source": "fmprc_en", "url": "https://www.mfa.gov.cn/eng/xw/fyrbt/lxjzh/202405/t1.html",
            "title": "Foreign Ministry Spokesperson's Regular Press Conference",
            "body": "Q: What is China's response?\n\nA: We firmly oppose it.",
            "published_at": T0, "language": "en"}, T0)
        store_enrichment(s, article_id, ENRICHED, "h1")
    with Session(engine) as s:
        details = statement_details(s, article_id)
        assert details["statement_type"] == "briefing"
        assert details["speakers"] == [{"name": "Mao Ning", "role": "Spokesperson",
                                        "country": "CN"}]
        assert details["countries"] == [{"code": "CN", "count": 5}, {"code": "US", "count": 3}]
        assert [(t["kind"], t["outlet"], t["speaker"]) for t in details["turns"]] == [
            ("question", "AFP", None), ("answer", None, "Mao Ning")]
        assert s.execute(text("SELECT statement_type, speaker FROM statements")).all() == [
            ("briefing", "Mao Ning")]
    # Enriched again by other rules: the old rows go, the new ones stay.
    with Session(engine) as s, s.begin():
        store_enrichment(s, article_id, Enrichment(
            statement_type="readout", speakers=(), quotes=(), countries=(Mention("FR", 1),),
            source_country="CN", document_number="12", translation_keys=(), turns=()), "h2")
    with Session(engine) as s:
        details = statement_details(s, article_id)
        assert (details["statement_type"], details["speakers"], details["quotes"],
                details["turns"], details["document_number"]) == ("readout", [], [], [], "12")
        assert details["countries"] == [{"code": "FR", "count": 1}]
        assert s.scalar(select(Article.enricher_hash)) == "h2"


def test_over_long_values_are_cut_or_skipped_not_refused(archive_url: str):
    """An hreflang link of kilobytes, a speaker 'name' that is a parsing
    accident: the article's write goes through on PostgreSQL too."""
    engine = open_archive(archive_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
        _, article_id = store_article(s, {
            "source": "fmprc_en", "url": "https://www.mfa.gov.cn/eng/long.html",
            "title": "Statement", "body": "Text.", "published_at": T0, "language": "en"}, T0)
        store_enrichment(s, article_id, Enrichment(
            statement_type="statement", speakers=(Speaker("N" * 500, "R" * 300, "CN"),),
            quotes=(), countries=(), source_country="CN", document_number="9" * 100,
            translation_keys=("url:" + "x" * 3000, "doc:CN:1"), turns=()), "h1")
    with Session(engine) as s:
        details = statement_details(s, article_id)
        assert details["speakers"] == [{"name": "N" * 200, "role": "R" * 100, "country": "CN"}]
        assert details["document_number"] == "9" * 64
        assert s.execute(text("SELECT key FROM translation_keys")).all() == [("doc:CN:1",)]


def test_archive_enriches_an_unchanged_article_only_when_the_rules_changed(archive_url: str):
    from crawler.ingest.archiving import archive_batch
    from crawler.items import Statement

    engine = open_archive(archive_url)
    statement = Statement(
        source="fmprc_en", url="https://www.mfa.gov.cn/eng/same.html", canonical_url=None,
        title="Statement", body="We firmly oppose it.", published_at=T0, author=None,
        language="en", section=None, site_name=None, fetched_at=T0, enrichment=ENRICHED)
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
        assert archive_batch(s, [statement])["new"] == 1
    with Session(engine) as s, s.begin():
        s.execute(text("DELETE FROM speakers"))  # would come back only if enriched again
        assert archive_batch(s, [statement])["unchanged"] == 1
    with Session(engine) as s:
        assert s.scalar(text("SELECT count(*) FROM speakers")) == 0
    with Session(engine) as s, s.begin():
        s.execute(text("UPDATE articles SET enricher_hash = 'older rules'"))
        assert archive_batch(s, [statement])["unchanged"] == 1
    with Session(engine) as s:
        assert s.scalar(text("SELECT count(*) FROM speakers")) == 1
        assert s.scalar(select(Article.enricher_hash)) == enricher_hash()
