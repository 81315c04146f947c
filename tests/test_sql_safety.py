"""`demarche sql` and `demarche browse` against hostile queries (issue 14):
no write on either backend, no file made beside the archive, a timeout, rows
that stream, quiet ends when the reader of the output goes away, and
Datasette answers that stay small."""

from __future__ import annotations

import json
import os
import select
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from crawler.sources import load_sources
from reading.sql import QueryError, ReadOnlyError, run_readonly
from storage.archive import archive_article, sync_sources
from storage.engine import open_archive
from tests.conftest import ROOT

DEMARCHE = [sys.executable, "-m", "cli"]
T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
# 10^8 rows: far more than memory holds as Python tuples.
MANY = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000000) " \
       "SELECT n, 'row ' || n AS label FROM r"
MANY_PG = "SELECT n, 'row ' || n AS label FROM generate_series(1, 100000000) AS n"


@pytest.fixture
def archive(archive_url: str) -> str:
    return one_article(archive_url)


def one_article(archive_url: str) -> str:
    with Session(open_archive(archive_url)) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
        archive_article(s, {
            "source": "sputnik_russia", "url": "https://sputnikglobe.com/20120402/1.html",
            "canonical_url": None, "title": "Statement", "body": "Text of the statement.",
            "published_at": T0, "author": None, "language": "en", "section": "Russia",
            "site_name": "Sputnik International"}, T0)
    open_archive(archive_url).dispose()
    return archive_url


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def titles(url: str) -> list[str]:
    return [r[0] for r in run_readonly(url, "SELECT title FROM articles").rows]


HOSTILE = [
    # The two: COMMIT ends the READ ONLY transaction on psycopg's
    # simple protocol, and what follows it is committed.
    "SELECT 1; COMMIT; CREATE TABLE t(a int); COMMIT",
    "COMMIT; UPDATE articles SET title='x'; COMMIT; SELECT 1",
    "select 1; update articles set title = 'x'",
    "/* hi */ commit",
    "BEGIN",
    "ROLLBACK",
    "SET TRANSACTION READ WRITE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "UPDATE articles SET title = 'x'",
    "CREATE TABLE t (a int)",
    "CREATE TEMP TABLE t AS SELECT 1 AS a",
    "WITH gone AS (DELETE FROM articles RETURNING id) SELECT * FROM gone",
    "SELECT * INTO t FROM articles",
]


@pytest.mark.parametrize("sql", HOSTILE)
def test_no_statement_writes(archive: str, sql: str):
    before = tables(archive)
    with pytest.raises(QueryError):
        run_readonly(archive, sql)
    assert tables(archive) == before
    assert titles(archive) == ["Statement"]


def test_postgresql_settings_cannot_turn_writes_on(archive: str):
    if not archive.startswith("postgresql"):
        return  # set_config is PostgreSQL's; SQLite's pragmas are tested below
    with pytest.raises(QueryError, match="read-write|read-only"):
        run_readonly(archive, "SELECT set_config('transaction_read_only', 'off', true), "
                              "(SELECT count(*) FROM articles)")
    assert titles(archive) == ["Statement"]


def test_transaction_control_is_refused_by_name(archive: str):
    for word in ("COMMIT", "ROLLBACK", "BEGIN", "SET TRANSACTION READ WRITE", "SAVEPOINT a"):
        with pytest.raises(ReadOnlyError, match="would end or change its read-only transaction"):
            run_readonly(archive, word)


def test_an_empty_query_is_said_to_be_empty(archive: str):
    for sql in ("", "  ;", "-- just a comment\n", "/* nothing */"):
        with pytest.raises(QueryError, match="the query is empty"):
            run_readonly(archive, sql)


def test_a_refused_write_is_named_by_what_it_does(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    open_archive(url).dispose()
    open_archive.cache_clear()
    # A DELETE behind a WITH passes the refusal by first word: the
    # authorizer refuses it, and says DELETE (not another constant of 9).
    with pytest.raises(ReadOnlyError, match="it refuses DELETE articles"):
        run_readonly(url, "WITH x AS (SELECT 1) DELETE FROM articles "
                          "WHERE id IN (SELECT * FROM x)")


def test_several_statements_are_refused(archive: str):
    with pytest.raises(QueryError, match="exactly one statement"):
        run_readonly(archive, "SELECT 1; SELECT 2")


def test_timeout_stops_a_long_query(archive: str):
    sql = ("SELECT pg_sleep(30)" if archive.startswith("postgresql") else
           "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
           "SELECT count(*) FROM r")
    with pytest.raises(QueryError, match="ran over --timeout"):
        run_readonly(archive, sql, timeout=0.5)


def test_limit_stops_many_rows(archive: str):
    sql = MANY_PG if archive.startswith("postgresql") else MANY
    assert run_readonly(archive, sql, limit=3).rows == [(1, "row 1"), (2, "row 2"),
                                                        (3, "row 3")]


def test_sqlite_makes_no_file_beside_the_archive(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    open_archive(url).dispose()
    open_archive.cache_clear()
    made = tmp_path / "made.db"
    for sql in (f"ATTACH '{made}' AS x", f"ATTACH 'file:{made}?mode=rwc' AS x",
                f"VACUUM INTO '{made}'", "PRAGMA query_only = OFF", "PRAGMA writable_schema = ON",
                "SELECT load_extension('x')", "CREATE TEMP TABLE t (a)"):
        with pytest.raises(QueryError):
            run_readonly(url, sql)
        assert not made.exists(), sql
    # Reading pragmas, full-text search and views still work.
    assert run_readonly(url, "PRAGMA table_info(articles)").rows
    assert run_readonly(url, "SELECT * FROM pragma_table_info('articles')").rows
    assert run_readonly(url, "SELECT count(*) FROM article_search "
                             "WHERE article_search MATCH 'x'").rows == [(0,)]


def test_sqlite_authorizer_alone_refuses_attach_and_vacuum(tmp_path: Path):
    """Below the refusal by first word: the connection itself."""
    from reading.sql import _sqlite

    url = tmp_path / "archive.db"
    open_archive(f"sqlite:///{url}").dispose()
    open_archive.cache_clear()
    made = tmp_path / "made.db"
    for sql in (f"ATTACH '{made}' AS x", f"VACUUM INTO '{made}'", "DETACH main",
                "BEGIN", "PRAGMA query_only = 0"):
        db = sqlite3.connect(f"file:{url}?mode=ro", uri=True)
        with pytest.raises(QueryError):
            _sqlite(db, sql, 5, "")
        db.close()
        assert not made.exists(), sql


def cli(args: list[str], url: str, **kwargs) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen([*DEMARCHE, *args], cwd=ROOT,
                            env={**os.environ, "DEMARCHE_ARCHIVE_URL": url}, **kwargs)


def test_rows_stream_as_they_come(archive: str):
    """The first rows of 10^8 arrive while the query is far from done."""
    sql = MANY_PG if archive.startswith("postgresql") else MANY
    for fmt in ("csv", "json"):
        proc = cli(["sql", sql, "--format", fmt, "--timeout", "0"], archive,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 120)
            assert ready, "no row within two minutes"
            head = proc.stdout.read(200).decode()  # type: ignore[union-attr]
            assert proc.poll() is None  # still going: the rows were not gathered first
        finally:
            proc.kill()
            proc.wait()
        assert head.startswith("n,label\r\n1,row 1\r\n" if fmt == "csv" else
                               '[\n{"n": 1, "label": "row 1"},\n')


def test_table_shows_a_bounded_first_page(archive: str):
    sql = MANY_PG if archive.startswith("postgresql") else MANY
    proc = cli(["sql", sql], archive, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "(the first 1000 rows; --format csv or json prints them all)" in out
    assert len(out.splitlines()) == 2 + 1000 + 1  # header, rule, rows, the note


def test_limit_on_the_command_line(archive: str):
    sql = MANY_PG if archive.startswith("postgresql") else MANY
    proc = cli(["sql", sql, "--format", "csv", "--limit", "5"], archive,
               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert out.splitlines() == ["n,label", *(f"{i},row {i}" for i in range(1, 6))]


def closed_pipe_run(args: list[str], url: str) -> tuple[int, str]:
    """Run with stdout a pipe whose reader has gone (`| head` after it
    read what it wanted)."""
    read, write = os.pipe()
    os.close(read)
    proc = cli(args, url, stdout=write, stderr=subprocess.PIPE, text=True)
    os.close(write)
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


@pytest.mark.parametrize("args", [
    ["sql", MANY, "--format", "csv"],
    ["sql", "SELECT 1 AS one"],
    ["export", "--format", "jsonl", "--out", "-"],
    ["sources"],
], ids=lambda a: " ".join(a[:2])[:20])
def test_a_reader_that_goes_away_ends_quietly(tmp_path: Path, args: list[str]):
    url = one_article(f"sqlite:///{tmp_path / 'archive.db'}")
    status, err = closed_pipe_run(args, url)
    assert err == ""
    assert status == 141  # 128 + SIGPIPE, as `cat` ends in a shell


def _serve(archive: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*DEMARCHE, "browse", "--archive", f"sqlite:///{archive}",
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2)
            return proc, f"http://127.0.0.1:{port}/archive"
        except (urllib.error.URLError, ConnectionError):
            assert proc.poll() is None
            time.sleep(0.2)
    proc.kill()
    pytest.fail("demarche browse did not answer")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_browse_answers_stay_small(tmp_path: Path):
    archive = tmp_path / "archive.db"
    open_archive(f"sqlite:///{archive}").dispose()
    open_archive.cache_clear()
    proc, base = _serve(archive)
    try:
        for sql, error in [
            ("select randomblob(1000000000), randomblob(1000000000)", "too big"),
            ("select zeroblob(1000000000) || zeroblob(1000000000)", "too big"),
            # Values under the cap, many of them: the result's bound.
            ("with recursive r(n) as (select 1 union all select n + 1 from r where n < 100) "
             "select zeroblob(10000000) as b from r", "more than 32 MB"),
            # SQLite's heap limit: Datasette shows the MemoryError as an
            # error with no text.
            ("select " + ", ".join(["zeroblob(15000000)"] * 40), ""),
        ]:
            url = f"{base}.json?sql={urllib.parse.quote(sql)}"
            try:
                with urllib.request.urlopen(url, timeout=120) as response:
                    body = response.read(64 << 20)
            except urllib.error.HTTPError as exc:
                body = exc.read(64 << 20)
            assert len(body) < 1 << 20, sql
            answer = json.loads(body)
            assert answer["ok"] is False
            assert error in answer["error"], answer["error"]
        # Ordinary queries still answer.
        with urllib.request.urlopen(f"{base}.json?sql=select+1+as+one&_shape=array") as r:
            assert json.load(r) == [{"one": 1}]
        assert _peak_rss_mb(proc.pid) < 1024
    finally:
        proc.terminate()
        proc.wait(timeout=10)
