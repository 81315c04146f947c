"""`demarche demo` on a fresh archive shows the headline features: an
edited statement with its diff, a takedown, a relayed story (a cluster
with a relay delay) and a translation pair, each from the real spiders
crawling the demo's two visits; every run finishes, and running the demo
again changes nothing."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from tests.conftest import DEMARCHE, ROOT

EDITED = "https://mid.ru/en/foreign_policy/news/1801102/"
TAKEN_DOWN = "https://mid.ru/en/foreign_policy/news/1801090/"
STATEMENT = "https://mid.ru/en/foreign_policy/news/1801377/"
RELAY = "https://sputnikglobe.com/20120404/172612455.html"
ENGLISH = "https://mid.ru/en/foreign_policy/news/1801234/"
RUSSIAN = "https://mid.ru/ru/foreign_policy/news/1801235/"


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def article_id(db: Path, url: str) -> int:
    (found,) = rows(db, "SELECT id FROM articles WHERE url = ?", url)
    return found[0]


def demarche(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*DEMARCHE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{db}"})


def test_both_visits_of_every_source_finish(demo_db: Path):
    runs = rows(demo_db, "SELECT source, status FROM crawl_runs ORDER BY id")
    assert len(runs) == 10
    assert {s for s, _ in runs[:5]} == {s for s, _ in runs[5:]} == {
        "sputnik_russia", "mid_ru_en", "mid_ru_ru", "state_gov_briefings", "state_gov_releases"}
    assert all(status == "finished" for _, status in runs)


def test_an_edited_statement_has_a_version_and_history_shows_the_diff(demo_db: Path):
    edited = article_id(demo_db, EDITED)
    assert rows(demo_db, "SELECT count(*) FROM article_versions WHERE article_id = ?",
                edited) == [(1,)]
    (old,) = rows(demo_db, "SELECT body FROM article_versions WHERE article_id = ?", edited)
    assert "Plan of Consultations" not in old[0]
    result = demarche(demo_db, "history", str(edited))
    assert result.returncode == 0, result.stderr
    assert "-They also exchanged views on the Nagorno-Karabakh settlement" in result.stdout
    assert "+The ministers signed the Plan of Consultations" in result.stdout
    # The only edit: every other article has one text.
    assert rows(demo_db, "SELECT DISTINCT article_id FROM article_versions") == [(edited,)]


def test_a_taken_down_statement_is_marked_removed_and_kept(demo_db: Path):
    assert rows(demo_db, "SELECT removed_reason, title FROM articles WHERE url = ?",
                TAKEN_DOWN) == [("http 404", "Press release on Deputy Foreign Minister Gennady "
                                 "Gatilov’s meeting with the Ambassador of the Syrian Arab Republic")]
    assert rows(demo_db, "SELECT count(*) FROM articles WHERE removed_at IS NOT NULL") == [(1,)]


def test_a_relayed_story_is_one_cluster_with_a_relay_delay(demo_db: Path):
    statement, relay = article_id(demo_db, STATEMENT), article_id(demo_db, RELAY)
    members = rows(demo_db, "SELECT a.id, a.source, a.published_at, c.first_article_id, c.size "
                   "FROM articles a JOIN clusters c ON c.id = a.cluster_id "
                   "WHERE c.size > 1 ORDER BY a.published_at")
    assert [(m[0], m[1]) for m in members] == [(statement, "mid_ru_en"), (relay, "sputnik_russia")]
    assert {m[3] for m in members} == {statement} and {m[4] for m in members} == {2}
    first, second = (datetime.fromisoformat(m[2].replace("Z", "+00:00")) for m in members)
    assert second - first == timedelta(hours=4, minutes=25)


def test_the_english_and_russian_comments_are_a_translation_pair(demo_db: Path):
    english, russian = article_id(demo_db, ENGLISH), article_id(demo_db, RUSSIAN)
    assert rows(demo_db, "SELECT article_id, translation_id, translation_language "
                "FROM translations ORDER BY article_id") == sorted(
        [(english, russian, "ru"), (russian, english, "en")])


def test_running_the_demo_again_changes_nothing(demo_db: Path, tmp_path: Path):
    again = tmp_path / "archive.db"
    shutil.copy(demo_db, again)
    result = demarche(again, "demo")
    assert result.returncode == 0, result.stderr
    assert "visit 1" not in result.stdout and "visit 2" in result.stdout
    runs = rows(again, "SELECT status, articles_new, articles_changed, articles_unchanged "
                "FROM crawl_runs WHERE id > 10")
    assert len(runs) == 5 and all(r[:3] == ("finished", 0, 0) for r in runs)
    assert sum(r[3] for r in runs) == 11  # every article but the one taken down
    for table in ("articles", "article_versions", "clusters", "translation_keys"):
        assert rows(again, f"SELECT count(*) FROM {table}") == rows(
            demo_db, f"SELECT count(*) FROM {table}")
    assert rows(again, "SELECT removed_reason FROM articles WHERE url = ?",
                TAKEN_DOWN) == [("http 404",)]


def test_a_demo_into_a_locked_archive_says_so_and_shows_nothing(tmp_path: Path):
    locked = tmp_path / "archive.db"
    assert demarche(locked, "db", "upgrade").returncode == 0  # an empty archive
    holder = sqlite3.connect(locked, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = subprocess.run(
            [*DEMARCHE, "demo", "--archive", f"sqlite:///{locked}?timeout=1"], cwd=ROOT,
            capture_output=True, text=True, timeout=300)
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 1, result.stderr
    # The first visit failed: no second one, and no tour of what the
    # archive held before as if this run had made it.
    assert "Visit 2" not in result.stdout and "The archive now holds" not in result.stdout
    assert "demarche demo: 5 of 5 crawls did not finish" in result.stderr
    assert "mid_ru_en: failed: the run ledger could not be started: database is locked" in (
        result.stderr)
