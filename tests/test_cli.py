"""The commands a user types: demarche demo, demarche sql, scrapy list."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.sources import load_sources
from tests.conftest import ROOT

DEMARCHE = [sys.executable, "-m", "cli"]


def run(args: list[str], archive: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{archive}", **env},
    )


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, subprocess.CompletedProcess]:
    archive = tmp_path_factory.mktemp("demo") / "archive.db"
    first = run([*DEMARCHE, "demo"], archive)
    second = run([*DEMARCHE, "demo"], archive)
    return archive, first, second


def test_demo_archives_three_sources_including_the_seed(demo_archive):
    archive, first, _ = demo_archive
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(archive) as conn:
        sources = {s for (s,) in conn.execute("SELECT DISTINCT source FROM articles")}
        total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        seed = conn.execute(
            "SELECT title, body, published_at FROM articles "
            "WHERE url = 'https://sputnikglobe.com/20120402/172567892.html'").fetchone()
    assert {"sputnik_russia", "mid_ru_en", "mid_ru_ru", "state_gov_briefings",
            "state_gov_releases"} <= sources
    assert total == 12
    title, body, published = seed
    assert title == "Russia Urges Syria to ‘Make First Step,’ Call Off Troops"
    assert published.startswith("2012-04-02T")
    assert body.count("The Syrian authorities should “make the first step”") == 1
    for chrome in ["Subscribe", "Newsfeed", "Chats", "loader", "log in or register"]:
        assert chrome not in body
    assert "Russia Urges Syria" in first.stdout and "statements per source per day" in first.stdout


def test_demo_twice_keeps_the_same_articles(demo_archive):
    archive, first, second = demo_archive
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(archive) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 12
        # The first demo made runs 1-10 (two visits of five sources); the
        # second finds the first visit archived and runs only the second.
        runs = conn.execute("SELECT status, articles_new, articles_unchanged FROM crawl_runs "
                            "WHERE id > 10 ORDER BY id").fetchall()
    assert runs and all(r[0] == "finished" and r[1] == 0 and r[2] >= 1 for r in runs)
    # Every article but the one taken down is seen again, unchanged.
    assert sum(r[2] for r in runs) == 11


def test_sql_refuses_delete_and_deletes_nothing(demo_archive):
    archive, _, _ = demo_archive
    result = run([*DEMARCHE, "sql", "DELETE FROM articles"], archive)
    assert result.returncode != 0
    assert "read-only" in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(archive) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 12


def test_sql_formats(demo_archive):
    archive, _, _ = demo_archive
    query = "SELECT source, count(*) AS n FROM articles GROUP BY source ORDER BY source"
    table = run([*DEMARCHE, "sql", query], archive)
    assert table.returncode == 0 and "sputnik_russia" in table.stdout and "(5 rows)" in table.stdout
    rows = list(csv.DictReader(io.StringIO(run([*DEMARCHE, "sql", query, "--format", "csv"], archive).stdout)))
    assert {r["source"]: int(r["n"]) for r in rows}["sputnik_russia"] == 4
    data = json.loads(run([*DEMARCHE, "sql", query, "--format", "json"], archive).stdout)
    assert data[0] == {"source": "mid_ru_en", "n": 4}
    bad = run([*DEMARCHE, "sql", "SELEC nothing"], archive)
    assert bad.returncode == 2 and "query failed" in bad.stderr
    # A blob is hex in every format, not Python's b'...'.
    blob = "SELECT x'00ff' AS b"
    assert json.loads(run([*DEMARCHE, "sql", blob, "--format", "json"], archive).stdout) == [
        {"b": "00ff"}]
    assert run([*DEMARCHE, "sql", blob, "--format", "csv"], archive).stdout.split() == [
        "b", "00ff"]
    assert "00ff" in run([*DEMARCHE, "sql", blob], archive).stdout


def test_sql_without_archive_says_what_to_do(tmp_path: Path):
    result = run([*DEMARCHE, "sql", "SELECT 1"], tmp_path / "missing.db")
    assert result.returncode == 2 and "make demo" in result.stderr


def test_scrapy_list_lists_every_source(tmp_path: Path):
    result = run([sys.executable, "-m", "scrapy", "list"], tmp_path / "a.db")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(load_sources())


def test_crawl_command_rejects_unknown_source(tmp_path: Path):
    result = run([*DEMARCHE, "crawl", "nowhere"], tmp_path / "a.db")
    assert result.returncode == 2 and "unknown source(s): nowhere" in result.stderr
