"""`demarche show` and `demarche export`: one article, or all that match, as
records with keys in a fixed order, read back from JSON Lines, CSV and
Parquet; on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session

from reading.export import (
    FIELDS,
    article_details,
    field_names,
    find_article,
    record_names,
    records,
    write_csv,
    write_jsonl,
    write_parquet,
)
from reading.query_language import parse_query
from reading.search import SearchFilters
from storage.engine import open_archive
from storage.models import ArticleUrl
from tests.test_search import SEED, demo_in, make_demo, run


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory)


@pytest.fixture
def demo(archive_url: str, demo_db: Path) -> str:
    return demo_in(archive_url, demo_db)


SHOW_KEYS = ["id", "source", "source_name", "country", "url", "canonical_url", "title",
             "published_at", "author", "language", "section", "site_name", "standfirst", "body",
             "content_hash", "first_seen_at", "last_seen_at", "changed_at", "removed_at",
             "removed_reason", "warc_file", "warc_offset", "extractor", "extractor_hash",
             "cluster_id", "cluster_similarity", "statement_type", "document_number",
             "enricher_hash", "urls", "versions", "speakers", "quotes", "countries",
             "translations", "turns"]


def test_records_in_a_fixed_order_with_filters_and_a_query(demo: str):
    with Session(open_archive(demo)) as s:
        everything = list(records(s, batch=2))  # several batches
        sputnik = list(records(s, SearchFilters(source="sputnik_russia")))
        april_3 = list(records(s, SearchFilters(since=date(2012, 4, 3), until=date(2012, 4, 3))))
        annan = list(records(s, query=parse_query('"Annan plan"')))
        annan_sputnik = list(records(s, SearchFilters(source="sputnik_russia"),
                                     parse_query("Annan OR Nalbandian")))
    assert len(everything) == 12
    assert [r["id"] for r in everything] == sorted(r["id"] for r in everything)
    assert list(everything[0])[:len(FIELDS)] == list(FIELDS) == field_names()[:len(FIELDS)]
    assert len(sputnik) == 4 and {r["country"] for r in sputnik} == {"RU"}
    assert len(april_3) == 4
    assert {r["url"] for r in annan} == {SEED, "https://sputnikglobe.com/20120403/172590411.html"}
    assert len(annan_sputnik) == 3
    assert isinstance(everything[0]["published_at"], datetime)


def test_writers_read_back(demo: str, tmp_path: Path):
    with Session(open_archive(demo)) as s:
        jsonl, table = io.StringIO(), io.StringIO()
        assert write_jsonl(records(s), jsonl) == 12
        assert write_csv(records(s), table) == 12
        path = tmp_path / "articles.parquet"
        assert write_parquet(records(s), str(path), row_group=5) == 12
        empty = tmp_path / "none.parquet"
        assert write_parquet(records(s, SearchFilters(source="nowhere")), str(empty)) == 0
    lines = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    assert len(lines) == 12 and list(lines[0]) == field_names()
    seed = next(r for r in lines if r["url"] == SEED)
    assert seed["published_at"] == "2012-04-02T10:18:00Z"
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert len(rows) == 12 and list(rows[0]) == field_names()
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_rows == 12 and parquet.metadata.num_row_groups == 3
    read = parquet.read()
    assert read.column_names == field_names()
    assert read.schema.field("published_at").type == pa.timestamp("ms", tz="UTC")
    assert read.schema.field("id").type == pa.int64()
    by_url = {r["url"]: r for r in read.to_pylist()}
    assert by_url[SEED]["published_at"] == datetime(2012, 4, 2, 10, 18, tzinfo=UTC)
    assert by_url[SEED]["body"] == seed["body"]
    assert pq.read_table(empty).num_rows == 0


def test_show_finds_an_article_by_id_url_or_alias(demo: str):
    engine = open_archive(demo)
    with Session(engine) as s, s.begin():
        seed_id = find_article(s, SEED)
        assert seed_id is not None
        assert find_article(s, str(seed_id)) == seed_id
        assert find_article(s, SEED.replace("https://", "HTTPS://") + "?utm_source=x#top") == seed_id
        assert find_article(s, "https://sputnikglobe.com/nothing.html") is None
        assert find_article(s, "999999") is None
        alias = "https://sputnikglobe.com/amp/20120402/172567892"
        if s.get(ArticleUrl, alias) is None:
            s.add(ArticleUrl(url=alias, article_id=seed_id, kind="redirect",
                             first_seen_at=datetime(2012, 4, 3, tzinfo=UTC)))
    with Session(engine) as s:
        assert find_article(s, alias) == seed_id
        details = article_details(s, seed_id)
    assert list(details) == SHOW_KEYS
    assert details["source_name"] == "Sputnik International: Russia"
    # The archive keeps a redirect's link as its key only: said so.
    assert {"url": None, "key": alias, "kind": "redirect",
            "first_seen_at": datetime(2012, 4, 3, tzinfo=UTC)} in details["urls"]
    assert details["versions"] == 0


def test_show_command_text_and_json(demo_db: Path):
    shown = run(["show", SEED + "?utm_source=rss", "--format", "json"], demo_db)
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert list(record) == SHOW_KEYS
    assert record["url"] == SEED and record["published_at"] == "2012-04-02T10:18:00Z"
    assert record["first_seen_at"].endswith("Z")
    again = run(["show", str(record["id"]), "--format", "json"], demo_db)
    assert again.stdout == shown.stdout  # stable
    text = run(["show", str(record["id"])], demo_db)
    assert text.returncode == 0
    assert "title               Russia Urges Syria to ‘Make First Step,’ Call Off Troops" in text.stdout
    assert "published_at        2012-04-02T10:18:00Z" in text.stdout
    assert text.stdout.rstrip().endswith("without foreign intervention.")
    missing = run(["show", "https://example.org/none"], demo_db)
    assert missing.returncode == 2 and "no article" in missing.stderr
    # The URL fetched as the page was fetched (www., trailing slash), not
    # its key, in show and in history.
    briefing = "https://www.state.gov/briefings/department-press-briefing-april-2-2012/"
    for command in ("show", "history"):
        listed = run([command, briefing], demo_db).stdout
        assert re.search(r"fetched\)?\s+(\S+\s+)*" + re.escape(briefing), listed), listed
        assert "https://state.gov/briefings/department-press-briefing-april-2-2012 " not in listed


def test_export_command(demo_db: Path, tmp_path: Path):
    out = tmp_path / "all.parquet"
    result = run(["export", "--format", "parquet", "--out", str(out)], demo_db)
    assert result.returncode == 0, result.stderr
    assert "12 articles" in result.stdout
    table = pq.read_table(out)
    # With the enrichment (tests/test_export_enriched.py).
    assert table.num_rows == 12 and table.column_names == record_names()
    jsonl = tmp_path / "annan.jsonl"
    run(["export", "--format", "jsonl", "--out", str(jsonl), "--query", '"Annan plan"',
         "--source", "sputnik_russia", "--since", "2012-04-02"], demo_db)
    assert len(jsonl.read_text(encoding="utf-8").splitlines()) == 2
    streamed = run(["export", "--format", "csv", "--out", "-", "--until", "2012-04-01"], demo_db)
    assert len(list(csv.DictReader(io.StringIO(streamed.stdout)))) == 2
    assert "2 articles" in streamed.stderr
    bad = run(["export", "--format", "parquet", "--out", "-"], demo_db)
    assert bad.returncode == 2 and "Parquet needs a file" in bad.stderr
    malformed = run(["export", "--format", "jsonl", "--out", str(jsonl), "--query", "(a"], demo_db)
    assert malformed.returncode == 2 and "never closed" in malformed.stderr
