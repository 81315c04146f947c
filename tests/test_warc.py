"""WARC in and out: every crawled response kept, re-extraction from the kept
responses, and imports of WARC files from elsewhere, damaged ones included."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from batch.warcfiles import Damage, iter_responses, read_response
from benchmarks.import_warc import make_warc
from storage.urls import normalise_url
from tests.conftest import ROOT, article_html

PARAS = [
    "The Ministry of Foreign Affairs expresses its deep concern over the escalation in the region.",
    "We call on all parties to exercise restraint and to return to the negotiating table at once.",
    "The Ministry stands ready to facilitate a dialogue between the sides on the basis of law.",
]


def demarche(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout)


def write_warc(path: Path, records: list[tuple[str, int, str, bytes]]) -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, status, content_type, body in records:
            headers = StatusAndHeaders(f"{status} OK", [("Content-Type", content_type)],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=BytesIO(body), http_headers=headers))


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def test_demo_keeps_warc_files_and_reextract_changes_nothing(tmp_path: Path):
    env = {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    demo = demarche("demo", env=env)
    assert demo.returncode == 0, demo.stderr
    warcs = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert warcs  # beside the archive
    refs = rows(tmp_path / "archive.db",
                "SELECT warc_file, warc_offset, url, extractor, extractor_hash FROM articles")
    assert len(refs) >= 9  # the demo site's articles
    for warc_file, offset, url, extractor, digest in refs:
        # A URI any machine can open, naming the file in the WARC folder.
        assert warc_file.startswith(f"file://{tmp_path / 'warc'}/")
        record = read_response(warc_file, offset)
        assert normalise_url(record.url) == url and record.status == 200
        assert extractor.startswith("demarche ") and len(digest) == 16
    # Rows today's extractor made are skipped, unless --all.
    current = demarche("reextract", env=env)
    assert current.returncode == 0, current.stderr
    assert "0 examined, 0 changed" in current.stdout
    again = demarche("reextract", "--all", env=env)
    assert again.returncode == 0, again.stderr
    assert f"{len(refs)} examined, 0 changed, {len(refs)} unchanged" in again.stdout


def test_reextract_repairs_rows_and_reports_missing_records(tmp_path: Path):
    env = {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    assert demarche("demo", env=env).returncode == 0
    db = tmp_path / "archive.db"
    with sqlite3.connect(db) as connection:
        # An older extractor's worse text, and a row whose WARC file is gone.
        connection.execute("UPDATE articles SET body = 'Subscribe\n\n' || body WHERE id = 1")
        connection.execute("UPDATE articles SET warc_file = 'gone.warc.gz' WHERE id = 2")
    (count,) = rows(db, "SELECT count(*) FROM articles")[0]
    result = demarche("reextract", "--all", "--workers", "2", env=env)
    assert result.returncode == 0, result.stderr
    assert (f"{count} examined, 1 changed, {count - 2} unchanged, 1 without a readable record"
            in result.stdout)
    (body,) = rows(db, "SELECT body FROM articles WHERE id = 1")[0]
    assert not body.startswith("Subscribe")


def test_import_reads_damaged_warcs_and_twice_adds_nothing(tmp_path: Path):
    good = [(f"https://mfa.example/news/2024/03/0{n}/statement-{n}.html", 200, "text/html",
             article_html(f"Statement number {n} on the situation", PARAS,
                          date=f"2024-03-0{n}T10:00:00+03:00").encode()) for n in range(1, 5)]
    path = tmp_path / "mixed.warc.gz"
    write_warc(path, [
        good[0],
        ("https://mfa.example/logo.png", 200, "image/png", b"\x89PNG...."),
        ("https://mfa.example/news/2024/03/09/gone.html", 404, "text/html", b"<h1>Not found</h1>"),
        good[1], good[2], good[3],
    ])
    data = path.read_bytes()
    offsets = [r.offset for r in iter_responses(path) if not isinstance(r, Damage)]
    # Damage the third good page's record in its middle, and cut the file
    # inside the last one.
    broken = tmp_path / "broken.warc.gz"
    middle = offsets[4] + 40
    broken.write_bytes(data[:middle] + b"\x00" * 16 + data[middle + 16:offsets[5] + 60])
    env = {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    first = demarche("import-warc", str(broken), env=env)
    assert first.returncode == 0, first.stderr
    assert "damaged record" in first.stdout and "truncated" in first.stdout
    db = tmp_path / "archive.db"
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == 2
    assert rows(db, "SELECT DISTINCT source FROM articles") == [("site_mfa_example",)]
    # The whole file: the two missing pages come in, nothing is doubled.
    second = demarche("import-warc", str(path), env=env)
    assert second.returncode == 0, second.stderr
    third = demarche("import-warc", str(path), env=env)
    assert "0 new" in third.stdout and "4 unchanged" in third.stdout
    assert rows(db, "SELECT count(*), count(DISTINCT url) FROM articles")[0] == (4, 4)
    # Each row points at the record it was extracted from.
    assert {r[0] for r in rows(db, "SELECT warc_file FROM articles")} == {
        broken.resolve().as_uri(), path.resolve().as_uri()}
    (kind,) = rows(db, "SELECT kind FROM sources WHERE key = 'site_mfa_example'")[0]
    assert kind == "imported"


def test_import_assigns_registered_sources_and_skips_their_listings(tmp_path: Path):
    url = "https://sputnikglobe.com/20240301/1115000000.html"
    path = tmp_path / "sputnik.warc.gz"
    write_warc(path, [
        (url, 200, "text/html; charset=utf-8",
         article_html("Lavrov comments on the talks", PARAS, date="2024-03-01").encode()),
        ("https://sputnikglobe.com/russia/", 200, "text/html", b"<html><body>list</body></html>"),
    ])
    env = {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    result = demarche("import-warc", str(path), env=env)
    assert result.returncode == 0, result.stderr
    assert rows(tmp_path / "archive.db", "SELECT source, url, warc_file FROM articles") == [
        ("sputnik_russia", url, path.resolve().as_uri())]


def test_import_killed_halfway_then_rerun_archives_every_page_once(tmp_path: Path, shared: Path):
    path = tmp_path / "dev.warc.gz"
    make_warc(path, 400)
    db = tmp_path / "archive.db"
    env = {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "import-warc", str(path)],
                            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if rows(db, "SELECT count(*) FROM article_urls")[0][0] > 0:
                break  # the first batch is in
        except sqlite3.OperationalError:
            pass
        time.sleep(0.1)
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)  # no chance to clean up
    proc.wait()
    # Pages, not articles: the WARC repeats the dev pages under other URLs,
    # and a repeated text is one article with several addresses.
    halfway = rows(db, "SELECT count(*) FROM article_urls")[0][0]
    rerun = demarche("import-warc", str(path), env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    total, distinct = rows(db, "SELECT count(*), count(DISTINCT url) FROM articles")[0]
    assert total == distinct
    pages = rows(db, "SELECT count(*) FROM article_urls")[0][0]
    # A clean import of the same file into a new archive gives the same rows.
    clean = tmp_path / "clean.db"
    assert demarche("import-warc", str(path), env={"DEMARCHE_ARCHIVE_URL": f"sqlite:///{clean}"},
                    timeout=600).returncode == 0
    assert rows(db, "SELECT url FROM articles ORDER BY url") == rows(
        clean, "SELECT url FROM articles ORDER BY url")
    assert rows(db, "SELECT url FROM article_urls ORDER BY url") == rows(
        clean, "SELECT url FROM article_urls ORDER BY url")
    assert 0 < halfway < pages
