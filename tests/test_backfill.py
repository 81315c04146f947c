"""``demarche backfill`` on a real Dask ``LocalCluster`` of two worker
processes: the archive it builds equals a one-process ``import-warc`` of the
same files row for row, on SQLite and PostgreSQL, also when a worker
process is killed in the middle; a rerun adds nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select

from batch.backfill import backfill, plan_parts
from batch.warc_import import import_warcs
from batch.warcfiles import Damage, iter_responses, record_start
from benchmarks.import_warc import make_warc
from crawler.sources import load_sources
from storage.engine import open_archive
from tests.conftest import ROOT

# Values that say when a row was written, not what it holds.
_WHEN = {("sources", "updated_at")}
PAGES = 24
# Parts of about 100 KB: the small test file becomes seven tasks or so.
PART = 100_000


@pytest.fixture(scope="module")
def warc(tmp_path_factory, shared: Path) -> Path:
    path = tmp_path_factory.mktemp("warc") / "dev.warc.gz"
    make_warc(path, PAGES)
    return path


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local:
        yield local.scheduler_address


def archive_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, without write times."""
    open_archive.cache_clear()
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    rows = {}
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in _WHEN]
            rows[table.name] = sorted(
                tuple(repr(v) for v in row) for row in connection.execute(select(*columns)))
    engine.dispose()
    return rows


def sibling(url: str, name: str) -> str:
    """A second empty archive like ``url``: another SQLite file, or another
    scratch database on the same PostgreSQL server."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{Path(parsed.database).with_name(name + '.db')}"
    database = f"{parsed.database}_{name}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return parsed.set(database=database).render_as_string(hide_password=False)


def drop(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return
    open_archive.cache_clear()
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def test_parts_of_a_file_read_every_record_once(warc: Path):
    whole = [r.offset for r in iter_responses(warc) if not isinstance(r, Damage)]
    parts = plan_parts([str(warc)], part_bytes=PART)
    assert len(parts) > 4
    pieces = []
    for part in parts:
        start = record_start(part.location, part.start) if part.start else 0
        if start is not None and (part.end is None or start < part.end):
            pieces += [r.offset for r in iter_responses(part.location, start=start,
                                                        end=part.end)]
    assert pieces == whole
    # A candidate gzip header inside compressed data is not taken for a record.
    assert all(record_start(warc, offset) == offset for offset in whole)
    assert record_start(warc, whole[-1] + 1) is None


def test_backfill_equals_a_one_process_import(archive_url: str, warc: Path, cluster: str):
    registry = load_sources()
    reference = sibling(archive_url, "reference")
    try:
        imported = import_warcs([warc], reference, registry, workers=1)
        summary = backfill([str(warc)], archive_url, registry, scheduler=cluster,
                           part_bytes=PART)
        assert summary.parts > 4 and summary.workers == 2
        assert summary.outcomes["new"] == imported.outcomes["new"] > 20
        assert archive_rows(archive_url) == archive_rows(reference)
        # The WARC locations are URIs any machine can open.
        rows = archive_rows(archive_url)["articles"]
        assert rows and all(f"'file://{warc}'" in row for row in rows)
    finally:
        drop(reference)


def test_a_killed_worker_changes_nothing_and_a_rerun_adds_nothing(
        archive_url: str, warc: Path, cluster: str):
    from distributed import Client

    registry = load_sources()
    killed: list[int] = []
    with Client(cluster) as client:
        # Both workers up, a restarted one included, before the run.
        client.wait_for_workers(2, timeout=120)

        def kill_one(summary, part) -> None:  # type: ignore[no-untyped-def]
            if killed:
                return
            busy = [address for address, tasks in client.processing().items() if tasks]
            assert busy, "no task in flight to lose"
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

        summary = backfill([str(warc)], archive_url, registry, scheduler=cluster,
                           part_bytes=PART, progress=kill_one)
        assert killed and summary.parts_done == summary.parts
        # The nanny started a new worker process in place of the killed one.
        client.wait_for_workers(2, timeout=120)
        assert killed[0] not in client.run(os.getpid).values()
    reference = sibling(archive_url, "reference")
    try:
        import_warcs([warc], reference, registry, workers=1)
        after_kill = archive_rows(archive_url)
        assert after_kill == archive_rows(reference)
        again = backfill([str(warc)], archive_url, registry, scheduler=cluster, part_bytes=PART)
        assert again.outcomes["new"] == again.outcomes["changed"] == 0
        assert again.outcomes["unchanged"] == summary.outcomes["new"]
        assert archive_rows(archive_url) == after_kill
    finally:
        drop(reference)


def test_backfill_command_prints_the_dashboard_and_a_summary(tmp_path: Path, warc: Path):
    env = {**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    done = subprocess.run([sys.executable, "-m", "cli", "backfill", warc.as_uri(), "--local",
                           "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Dask dashboard: http://127.0.0.1:" in done.stderr
    pages = re.search(r"^1 file\(s\), (\d+) pages .*: (\d+) new, 0 changed", done.stdout)
    assert pages and int(pages[1]) == int(pages[2]) > PAGES // 2, done.stdout
    # Progress bars are for terminals: none in a captured stderr.
    assert "parts/s" not in done.stderr and "it/s" not in done.stderr
    missing = subprocess.run([sys.executable, "-m", "cli", "backfill", str(tmp_path / "no.warc"),
                              "--local", "1"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode == 2 and "no such file" in missing.stderr


class Stop(Exception):
    """The run stopped from outside (a kill, a reboot) after a chunk."""


def _stale(url: str) -> None:
    """Every row as an older extractor left it, one with a worse text."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE articles SET extractor_hash = 'old'")
        connection.exec_driver_sql(
            "UPDATE articles SET body = 'Subscribe to our newsletter' || body "
            "WHERE id = (SELECT min(id) FROM articles)")
    engine.dispose()


def _hashes(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT extractor_hash FROM articles ORDER BY id").scalars().all()
    engine.dispose()
    return list(found)


def test_reextract_goes_in_chunks_and_resumes_where_it_stopped(tmp_path: Path, warc: Path):
    from batch.reextract import reextract

    url = f"sqlite:///{tmp_path / 'archive.db'}"
    registry = load_sources()
    import_warcs([warc], url, registry, workers=1)
    clean = archive_rows(url)
    _stale(url)

    def stop_after_first_chunk(summary) -> None:  # type: ignore[no-untyped-def]
        raise Stop

    with pytest.raises(Stop):
        reextract(url, tmp_path / "warc", registry, workers=1, chunk=5,
                  progress=stop_after_first_chunk)
    hashes = _hashes(url)
    # The first chunk is written (one transaction), the others untouched.
    assert "old" not in hashes[:5] and set(hashes[5:]) == {"old"}
    rest = reextract(url, tmp_path / "warc", registry, workers=1, chunk=5)
    assert rest.total == rest.examined == len(hashes) - 5
    assert "old" not in _hashes(url)
    assert archive_rows(url)["articles"] == clean["articles"]
    # Nothing left to do: a third run examines nothing.
    assert reextract(url, tmp_path / "warc", registry, workers=1).examined == 0


def test_reextract_on_a_dask_cluster_repairs_rows(tmp_path: Path, warc: Path, cluster: str):
    from batch.reextract import reextract

    url = f"sqlite:///{tmp_path / 'archive.db'}"
    registry = load_sources()
    import_warcs([warc], url, registry, workers=1)
    clean = archive_rows(url)
    _stale(url)
    summary = reextract(url, tmp_path / "warc", registry, scheduler=cluster, chunk=10)
    assert summary.examined == summary.total == len(clean["articles"])
    assert summary.changed == 1 and summary.workers == 2
    assert archive_rows(url)["articles"] == clean["articles"]
