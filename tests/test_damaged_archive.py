"""Damaged, read-only and busy archives (issue 14): a read-only file is read
as it is, a damaged one gets one line naming it and how to recover it, and
`demarche browse` keeps answering while a crawl writes the archive."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEMARCHE, ROOT

# Linux capabilities a root process uses to write files whose mode says
# it may not (capabilities(7)); prctl(PR_CAPBSET_DROP) drops them.
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _no_override() -> None:
    """In the child: give up the power to write a file its mode forbids
    (root has it; the tests may run as root)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def demarche(args: list[str], archive: Path, *, read_only: bool = False,
             **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run(
        [*DEMARCHE, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{archive}"},
        preexec_fn=_no_override if read_only else None, **kwargs)


@pytest.fixture
def read_only_archive(demo_db: Path, tmp_path: Path) -> Iterator[Path]:
    """The demo archive in a folder where neither it nor a -wal or -shm
    file beside it may be written."""
    folder = tmp_path / "ro"
    folder.mkdir()
    archive = folder / "archive.db"
    shutil.copy(demo_db, archive)
    archive.chmod(0o444)
    folder.chmod(0o555)
    yield archive
    folder.chmod(0o755)


READERS = [
    ["sql", "SELECT count(*) AS n FROM articles", "--format", "csv"],
    ["search", "Syria", "--format", "csv"],
    ["status"],
    ["export", "--format", "jsonl", "--out", "-"],
    ["show", "1"],
]


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_a_read_only_archive_can_be_read(read_only_archive: Path, args: list[str]):
    result = demarche(args, read_only_archive, read_only=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert sorted(p.name for p in read_only_archive.parent.iterdir()) == ["archive.db"]


def test_a_read_only_archive_is_never_written(read_only_archive: Path):
    result = demarche(["sql", "DELETE FROM articles"], read_only_archive, read_only=True)
    assert result.returncode == 2 and "read-only" in result.stderr


def truncated(demo_db: Path, folder: Path, keep: float) -> Path:
    archive = folder / "archive.db"
    data = demo_db.read_bytes()
    archive.write_bytes(data[:int(len(data) * keep)])
    return archive


DAMAGED_COMMANDS = [
    ["sql", "SELECT max(length(body)) FROM articles"],
    ["search", "Syria"],
    ["status"],
    ["export", "--format", "jsonl", "--out", "-"],
    ["show", "1"],
    ["history", "https://sputnikglobe.com/20120402/172567892.html"],
    ["crawl", "sputnik_russia"],
    ["browse", "--port", "1"],
    ["report", "--out", "REPORT"],
]


@pytest.mark.parametrize("args", DAMAGED_COMMANDS, ids=lambda a: a[0])
def test_a_truncated_archive_gets_one_line(demo_db: Path, tmp_path: Path, args: list[str]):
    archive = truncated(demo_db, tmp_path, 0.5)
    args = [str(tmp_path / "report") if a == "REPORT" else a for a in args]
    result = demarche(args, archive)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"the archive {archive} is damaged" in lines[0]
    assert f'sqlite3 {archive} ".recover"' in lines[0]


def test_a_file_that_is_not_sqlite_gets_one_line(tmp_path: Path):
    archive = tmp_path / "archive.db"
    archive.write_bytes(b"<html>not an archive</html>" * 100)
    for args in (["sql", "SELECT 1"], ["search", "x"], ["status"]):
        result = demarche(args, archive)
        assert result.returncode == 2, result.stderr
        assert "is damaged (not a SQLite database)" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_damage_past_the_header_is_named_too(demo_db: Path, tmp_path: Path):
    """A file of the right length whose pages are overwritten: the header
    cannot tell, SQLite finds it on reading."""
    archive = tmp_path / "archive.db"
    data = bytearray(demo_db.read_bytes())
    data[8192:len(data)] = b"\xff" * (len(data) - 8192)
    archive.write_bytes(bytes(data))
    result = demarche(["search", "Syria"], archive)
    assert result.returncode == 2, result.stderr
    assert "is damaged" in result.stderr and "Traceback" not in result.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _writer(archive: Path, stop: threading.Event, rounds: list[int]) -> None:
    """A crawl's worth of writes: rows in, rows out, checkpoints that copy
    the WAL's pages into the file under the reader's feet."""
    conn = sqlite3.connect(archive, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    source = conn.execute("SELECT key FROM sources LIMIT 1").fetchone()[0]
    n = 0
    while not stop.is_set():
        with conn:
            conn.executemany(
                "INSERT INTO fetch_state (url, source, fetched_at, status) VALUES (?, ?, ?, 200)",
                [(f"https://example.org/{n}/{i}/" + "x" * 300, source, "2024-01-01T00:00:00Z")
                 for i in range(200)])
            conn.execute("DELETE FROM fetch_state WHERE url LIKE ?", (f"https://example.org/{n - 2}/%",))
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        n += 1
        rounds.append(n)
    conn.close()


def test_browse_answers_while_a_crawl_writes(demo_db: Path, tmp_path: Path):
    archive = tmp_path / "archive.db"
    shutil.copy(demo_db, archive)  # no WAL beside it: no crawl running at start
    port = _free_port()
    server = subprocess.Popen([*DEMARCHE, "browse", "--archive", f"sqlite:///{archive}",
                               "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/archive"
    stop = threading.Event()
    rounds: list[int] = []
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.communicate()[0]
                time.sleep(0.2)
        writer = threading.Thread(target=_writer, args=(archive, stop, rounds), daemon=True)
        writer.start()
        # The newest row's rowid grows with every round of the writer (the
        # row count alone stays 400 once the writer deletes as much as it
        # inserts, so it cannot show a live view).
        sql = urllib.parse.quote("SELECT count(*) AS n, max(rowid) AS last FROM fetch_state")
        answers = []
        while len(rounds) < 40 or len(answers) < 40:
            status, body = _get(f"{base}.json?sql={sql}&_shape=array")
            assert "malformed" not in body, body
            assert status == 200, body
            answers.append(json.loads(body)[0]["last"])
        # The reader saw the writer's rows come in: served live.
        assert len(set(answers)) > 1
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=10)
