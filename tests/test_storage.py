"""The archive on a real SQLite file: upserts, URL keys, times, read-only SQL,
and the archive pipeline when the database is locked."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.items import Statement
from crawler.pipelines.archive import ArchivePipeline
from crawler.sources import load_sources
from reading.sql import QueryError, ReadOnlyError, run_readonly
from storage.archive import Outcome, archive_article, sync_sources
from storage.engine import ArchiveError, make_engine, open_archive
from storage.models import Article
from storage.urls import normalise_url, url_key
from tests.conftest import ROOT

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)


def fields(url: str, title: str = "Statement", body: str = "Text of the statement.") -> dict:
    return {
        "source": "sputnik_russia", "url": url, "canonical_url": None, "title": title,
        "body": body, "published_at": datetime(2012, 4, 2, 10, 18, tzinfo=UTC), "author": None,
        "language": "en", "section": "Russia", "site_name": "Sputnik International",
    }


@pytest.fixture
def archive(archive_url: str) -> str:
    """An archive with the registry's sources, on SQLite and on PostgreSQL."""
    with Session(open_archive(archive_url)) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
    return archive_url


@pytest.fixture
def sqlite_archive(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    with Session(open_archive(url)) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
    return url


def test_new_unchanged_changed_and_one_row_per_normalised_url(archive: str):
    engine = open_archive(archive)
    base = "https://sputnikglobe.com/20120402/172567892.html"
    with Session(engine) as s, s.begin():
        assert archive_article(s, fields(base), T0) is Outcome.NEW
    with Session(engine) as s, s.begin():
        assert archive_article(s, fields(base + "?utm_source=rss#comments"), T0 + timedelta(days=1)) is Outcome.UNCHANGED
        assert archive_article(s, fields(base, body="Edited text."), T0 + timedelta(days=2)) is Outcome.CHANGED
    with Session(engine) as s:
        rows = s.scalars(select(Article)).all()
        assert len(rows) == 1
        (row,) = rows
        assert row.body == "Edited text."
        assert row.first_seen_at == T0
        assert row.last_seen_at == T0 + timedelta(days=2)
        assert row.changed_at == T0 + timedelta(days=2)


def test_times_are_iso_8601_utc_text_in_sqlite(sqlite_archive: str, tmp_path: Path):
    with Session(open_archive(sqlite_archive)) as s, s.begin():
        archive_article(s, fields("https://sputnikglobe.com/20120402/1.html"), T0)
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        published, first_seen = conn.execute("SELECT published_at, first_seen_at FROM articles").fetchone()
        assert published == "2012-04-02T10:18:00Z"
        assert first_seen == "2024-01-10T09:00:00Z"
        assert conn.execute("SELECT date(published_at) FROM articles").fetchone()[0] == "2012-04-02"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_enforces_unique_urls(archive: str):
    engine = open_archive(archive)
    with Session(engine) as s, s.begin():
        archive_article(s, fields("https://sputnikglobe.com/20120402/2.html"), T0)
    copy = ("INSERT INTO articles (source, url, title, body, content_hash, first_seen_at, "
            "last_seen_at) SELECT source, url, title, body, content_hash, first_seen_at, "
            "last_seen_at FROM articles")
    with engine.connect() as conn, pytest.raises(IntegrityError):
        conn.exec_driver_sql(copy)


def test_times_round_trip_as_aware_utc(archive: str):
    moment = datetime(2012, 4, 2, 14, 18, tzinfo=timezone(timedelta(hours=4)))
    with Session(open_archive(archive)) as s, s.begin():
        archive_article(s, {**fields("https://sputnikglobe.com/20120402/4.html"),
                            "published_at": moment}, T0)
    with Session(open_archive(archive)) as s:
        row = s.scalars(select(Article)).one()
        assert row.published_at == datetime(2012, 4, 2, 10, 18, tzinfo=UTC)
        assert row.published_at.utcoffset() == timedelta(0)


def test_sql_with_percent_and_colon_literals(archive: str):
    with Session(open_archive(archive)) as s, s.begin():
        archive_article(s, fields("https://sputnikglobe.com/20120402/5.html", title="Syria: 10:30"), T0)
    result = run_readonly(archive, "SELECT title FROM articles WHERE title LIKE '%Syria%' AND title LIKE '%10:30'")
    assert result.rows == [("Syria: 10:30",)]


def test_readonly_query_refuses_writes_and_changes_nothing(archive: str):
    with Session(open_archive(archive)) as s, s.begin():
        archive_article(s, fields("https://sputnikglobe.com/20120402/3.html"), T0)
    result = run_readonly(archive, "SELECT url, title FROM articles")
    assert result.columns == ["url", "title"] and len(result.rows) == 1
    for sql in ["DELETE FROM articles", "UPDATE articles SET title = 'x'", "DROP TABLE articles",
                "INSERT INTO sources (key) VALUES ('x')", "CREATE TABLE t (x int)"]:
        with pytest.raises(ReadOnlyError, match="read-only"):
            run_readonly(archive, sql)
    assert run_readonly(archive, "SELECT count(*), min(title) FROM articles").rows == [(1, "Statement")]
    with pytest.raises(QueryError, match="no such table|does not exist"):
        run_readonly(archive, "SELECT * FROM nowhere")


def test_missing_archive_and_missing_folder_have_clear_errors(tmp_path: Path):
    with pytest.raises(ArchiveError, match="run a crawl or `make demo` first"):
        run_readonly(f"sqlite:///{tmp_path / 'none.db'}", "SELECT 1")
    with pytest.raises(ArchiveError, match="does not exist"):
        make_engine(f"sqlite:///{tmp_path / 'no/such/folder/a.db'}")


@pytest.mark.parametrize(("url", "message"), [
    ("sqlite://", "an archive in memory is gone when the command ends"),
    ("sqlite:///:memory:", "an archive in memory is gone when the command ends"),
    ("mysql://someone@db.example/archive", "in SQLite or PostgreSQL, not mysql"),
    ("postgresql+pg8000://someone@db.example/archive", "its driver is not installed"),
])
def test_archives_demarche_cannot_keep_are_refused_in_one_line(url: str, message: str):
    with pytest.raises(ArchiveError, match=message):
        make_engine(url)
    done = subprocess.run([sys.executable, "-m", "cli", "search", "Syria", "--archive", url],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


def statement(url: str) -> Statement:
    # A text of its own per URL: one text under two URLs of a source is one
    # article (tests/test_versions.py).
    return Statement(source="sputnik_russia", url=url, canonical_url=None, title="T",
                     body=f"Body of the statement at {url}.", published_at=None, author=None,
                     language="en", section=None, site_name=None, fetched_at=T0)


def open_pipeline(url: str, batch_size: int) -> tuple[ArchivePipeline, object]:
    with Session(open_archive(url)) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
    crawler = get_crawler(settings_dict={"DEMARCHE_ARCHIVE_URL": url,
                                         "DEMARCHE_BATCH_SIZE": batch_size})
    crawler._apply_settings()
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline, crawler.stats


def test_pipeline_keeps_batch_while_database_is_locked(tmp_path: Path):
    path = tmp_path / "archive.db"
    url = f"sqlite:///{path}?timeout=0.2"
    pipeline, stats = open_pipeline(url, batch_size=2)

    locker = sqlite3.connect(path)
    locker.execute("BEGIN EXCLUSIVE")
    pipeline.process_item(statement("https://sputnikglobe.com/20120402/a.html"))
    pipeline.process_item(statement("https://sputnikglobe.com/20120402/b.html"))
    assert stats.get_value("archive/flush_failed") == 1
    assert len(pipeline.batch) == 2  # kept, not lost
    locker.rollback()
    locker.close()

    pipeline.process_item(statement("https://sputnikglobe.com/20120402/c.html"))
    pipeline.close_spider()
    assert stats.get_value("archive/new") == 3
    assert stats.get_value("archive/lost") is None
    with Session(open_archive(url)) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 3


def test_pipeline_counts_what_it_could_not_write(tmp_path: Path):
    path = tmp_path / "archive.db"
    url = f"sqlite:///{path}?timeout=0.2"
    pipeline, stats = open_pipeline(url, batch_size=10)
    pipeline.process_item(statement("https://sputnikglobe.com/20120402/d.html"))
    locker = sqlite3.connect(path)
    locker.execute("BEGIN EXCLUSIVE")
    pipeline.close_spider()
    locker.rollback()
    locker.close()
    assert stats.get_value("archive/lost") == 1
    # Why, for the run's outcome line: the driver's words, who held the lock.
    assert stats.get_value("archive/lost_reason") == (
        "database is locked (another process held a write lock on the archive for too long)")
    with Session(open_archive(url)) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 0


def test_pipeline_drops_only_the_row_the_database_refuses(tmp_path: Path):
    pipeline, stats = open_pipeline(f"sqlite:///{tmp_path / 'archive.db'}", batch_size=10)
    pipeline.process_item(statement("https://sputnikglobe.com/20120402/e.html"))
    orphan = statement("https://example.org/x.html")
    orphan.source = "not_registered"  # violates the foreign key to sources
    pipeline.process_item(orphan)
    pipeline.close_spider()
    assert stats.get_value("archive/new") == 1
    assert stats.get_value("archive/rejected") == 1
    assert stats.get_value("archive/lost") is None


def test_query_parts_without_a_value_are_kept():
    """India's MEA names articles by a query without "=", which courlan
    drops: two articles must not share one URL."""
    a = normalise_url("https://www.mea.gov.in/press-releases.htm?dtl/37867/Title&utm_source=x#top")
    b = normalise_url("https://www.mea.gov.in/press-releases.htm?dtl/37868/Other")
    assert a == "https://www.mea.gov.in/press-releases.htm?dtl/37867/Title"
    assert url_key(a) != url_key(b)
