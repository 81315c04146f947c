"""`demarche browse`: Datasette serving the demo's archive over loopback HTTP,
with its metadata, facets, full-text search and canned queries answering
the counts the archive itself gives."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from cli.main import main
from reading.browse import NEWEST, TABLES, archive_tables, browse_metadata, has_pending_wal
from reading.trend import trend
from storage.engine import open_archive
from tests.conftest import ROOT, browse_server

DEMARCHE = [sys.executable, "-m", "cli"]


REMOVED = "https://sputnikglobe.com/20120401/172541200.html"
RELAYED = ("https://sputnikglobe.com/20120403/172590411.html",
           "https://mid.ru/en/foreign_policy/news/1801234/")


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The demo's statements of 5 sources, one of them marked removed from
    its site and two of them made one syndication cluster. The demo grows
    (issue 19 adds edits, takedowns, relays): counts are read from it."""
    path = tmp_path_factory.mktemp("browse") / "archive.db"
    result = subprocess.run([*DEMARCHE, "demo"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ,
                                              "DEMARCHE_ARCHIVE_URL": f"sqlite:///{path}"})
    assert result.returncode == 0, result.stderr
    # By URL: ids follow the order in which the crawls' batches landed.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE articles SET removed_at = '2024-05-06T09:00:00Z', "
                     "removed_reason = 'http 404' WHERE url = ?", (REMOVED,))
        first = conn.execute("SELECT id FROM articles WHERE url = ?", (RELAYED[0],)).fetchone()[0]
        [(cluster,)] = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM clusters")
        conn.execute("INSERT INTO clusters (id, first_article_id, size, created_at, updated_at) "
                     "VALUES (?, ?, 2, '2024-05-06T09:00:00Z', '2024-05-06T09:00:00Z')",
                     (cluster, first))
        conn.execute("UPDATE articles SET cluster_id = ? WHERE url IN (?, ?)", (cluster, *RELAYED))
    return path


@pytest.fixture(scope="module")
def server(archive: Path) -> Iterator[str]:
    for base in browse_server(archive):
        yield f"{base}/archive"


def get(url: str, **params: str | list[str]) -> dict:
    query = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(f"{url}?{query}" if query else url, timeout=30) as response:
        return json.load(response)


def rows(archive: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(archive) as conn:
        return [tuple(r) for r in conn.execute(sql)]


def canned(server: str, name: str, **params: str) -> list[dict]:
    return get(f"{server}/{name}.json", _shape="array", **params)


def test_articles_table(server: str, archive: Path):
    data = get(f"{server}/articles.json", _shape="objects", _size="100")
    assert [(data["filtered_table_rows_count"],)] == rows(archive, "SELECT count(*) FROM articles")
    titles = {row["title"] for row in data["rows"]}
    assert "Moscow Says Annan Plan Deadline Must Bind Both Sides in Syria" in titles
    # Newest first, as the metadata sorts it.
    published = [row["published_at"] for row in data["rows"]]
    assert published == sorted(published, reverse=True)


def test_metadata_is_served(server: str):
    metadata = get(server.rsplit("/", 1)[0] + "/-/metadata.json")
    database = metadata["databases"]["archive"]
    assert database["tables"]["articles"]["columns"]["published_at"].startswith("Publication")
    assert database["tables"]["article_search_data"] == {"hidden": True}


def test_facets_source_language_country_year(server: str, archive: Path):
    # The facets of the metadata come without asking for them.
    facets = get(f"{server}/statements.json", _size="0")["facet_results"]
    counts = {name: {r["value"]: r["count"] for r in facet["results"]}
              for name, facet in facets.items()}
    for name in ("year", "country", "language", "source"):
        expected = dict(rows(archive, f"SELECT {name}, count(*) FROM statements "
                                      f"WHERE {name} IS NOT NULL GROUP BY {name}"))
        assert counts[name] == expected, name
    assert set(counts["country"]) == {"RU", "US"} and set(counts["language"]) == {"en", "ru"}
    # A chosen facet value filters the view.
    chosen = get(f"{server}/statements.json", country="US", _size="0")
    assert chosen["filtered_table_rows_count"] == counts["country"]["US"]


def test_full_text_search(server: str, archive: Path):
    expected = {r[0] for r in rows(archive, "SELECT rowid FROM article_search "
                                            "WHERE article_search MATCH '\"Annan\"'")}
    assert 1 < len(expected) < rows(archive, "SELECT count(*) FROM articles")[0][0]
    for table in ("articles", "statements"):
        found = get(f"{server}/{table}.json", _search="Annan", _shape="array", _size="100")
        assert {row["id"] for row in found} == expected, table
    lavrov = get(f"{server}/statements.json", _search="Lavrov Nalbandian", _shape="array")
    # Ids follow the crawl's order, which concurrency varies: ask by URL.
    talks = rows(archive, "SELECT id FROM articles WHERE url = "
                          "'https://mid.ru/en/foreign_policy/news/1801102/'")
    assert [(row["id"],) for row in lavrov] == talks


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_statements_per_period(server: str, archive: Path, period: str):
    found = canned(server, f"statements_per_source_per_{period}")
    expected = rows(archive, f"SELECT source, {period}, statements FROM statements_per_{period}")
    assert sorted((r["source"], r[period], r["statements"]) for r in found) == sorted(expected)
    [(dated,)] = rows(archive, "SELECT count(*) FROM articles WHERE published_at IS NOT NULL")
    assert sum(r["statements"] for r in found) == dated
    if period == "day":
        assert {r["day"] for r in found} == {r[0] for r in rows(
            archive, "SELECT DISTINCT date(published_at) FROM articles "
                     "WHERE published_at IS NOT NULL")}


def test_keyword_trend_by_week(server: str, archive: Path):
    found = canned(server, "keyword_trend_by_week", query="Syria")
    weeks = [r[0] for r in rows(archive, "SELECT DISTINCT week FROM article_periods "
                                         "ORDER BY week")]
    assert [r["week"] for r in found] == weeks and weeks[:2] == ["2012-03-26", "2012-04-02"]
    assert all(0 < r["matching"] <= r["statements"] for r in found)
    assert all(r["share"] == round(r["matching"] / r["statements"], 4) for r in found)
    # The same counts as `demarche trend "Syria" --by week`.
    with Session(open_archive(f"sqlite:///{archive}")) as session:
        points = trend(session, "Syria", "week")
    assert [(p.period, p.statements, p.matching, p.share) for p in points] == [
        (r["week"], r["statements"], r["matching"], r["share"]) for r in found]
    # The query language of demarche search: a phrase, NOT.
    phrase = canned(server, "keyword_trend_by_week", query='"Annan plan" NOT Lavrov')
    assert sum(r["matching"] for r in phrase) >= 1
    # Before a query is typed, every week is listed with no match.
    empty = canned(server, "keyword_trend_by_week", query="")
    assert [(r["week"], r["matching"]) for r in empty] == [(week, 0) for week in weeks]


def test_malformed_trend_query_is_an_error_not_a_crash(server: str):
    try:
        get(f"{server}/keyword_trend_by_week.json", query='"unbalanced')
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
        assert "user-defined function raised exception" in json.load(exc)["error"]
    else:
        pytest.fail("a malformed query answered as if it were fine")


def test_newest_removed_and_clusters(server: str, archive: Path):
    newest = canned(server, "newest_statements_per_source")
    per_source: dict[str, list[str]] = {}
    for row in newest:
        per_source.setdefault(row["source"], []).append(row["published_at"])
    assert {s: len(v) for s, v in per_source.items()} == {
        source: min(n, NEWEST) for source, n in rows(
            archive, "SELECT source, count(*) FROM articles GROUP BY source")}
    assert all(v == sorted(v, reverse=True) for v in per_source.values())
    removed = canned(server, "removed_statements")
    assert (REMOVED, "http 404") in [(r["url"], r["removed_reason"]) for r in removed]
    assert len(removed) == rows(archive, "SELECT count(*) FROM articles "
                                         "WHERE removed_at IS NOT NULL")[0][0]
    clusters = canned(server, "syndication_clusters")
    assert len(clusters) == rows(archive, "SELECT count(*) FROM clusters WHERE size > 1")[0][0]
    [(made,)] = rows(archive, f"SELECT cluster_id FROM articles WHERE url = '{RELAYED[0]}'")
    [ours] = [c for c in clusters if c["cluster"] == made]
    assert ours["size"] == 2 and ours["first_source"] == "sputnik_russia"
    assert set(ours["sources"].split(",")) == {"sputnik_russia", "mid_ru_en"}


def test_metadata_names_only_what_the_archive_has(archive: Path):
    tables = archive_tables(archive)
    with sqlite3.connect(archive) as conn:
        for name, spec in TABLES.items():
            assert name in tables, name
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({name})")}
            assert set(spec.get("columns", {})) <= columns, name
            assert set(spec.get("facets", [])) <= columns, name
    without_clusters = browse_metadata("archive", tables - {"clusters"})
    assert "syndication_clusters" not in without_clusters["databases"]["archive"]["queries"]


def test_a_crawl_in_progress_is_served_live(tmp_path: Path):
    db = tmp_path / "archive.db"
    db.write_bytes(b"")
    assert not has_pending_wal(db)
    (tmp_path / "archive.db-wal").write_bytes(b"\0" * 32)
    assert has_pending_wal(db)


def test_postgresql_archive_is_refused_with_a_message(capsys):
    code = main(["browse", "--archive", "postgresql+psycopg://u:secret@db.example/archive"])
    assert code == 2
    err = capsys.readouterr().err
    assert "serves SQLite archives only" in err and "secret" not in err
