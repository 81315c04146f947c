"""Runs tell the truth (issue 14, points 10-13): a run that fetched nothing,
lost statements or could not write its ledger exits non-zero and says why,
in agreement with the ledger; each run of `demarche crawl a b` counts its
own errors; an unreachable site is one line per cause, not tracebacks; a
run killed mid-way is closed as `lost` by the next run of its source and
by `demarche status`."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crawler.sources import load_sources
from storage.archive import sync_sources
from storage.engine import open_archive
from storage.models import CrawlRun
from storage.runs import LOST_AFTER, close_lost_runs
from tests.conftest import ROOT, Site, article_html, write_sources

# Bound and never listening, for the whole session: a connection is refused,
# and no other test's server can take the port meanwhile.
_HELD: list[socket.socket] = []


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


def unreachable_sources(path: Path, key: str = "loopback_news") -> Path:
    port = closed_port()
    fake = type("S", (), {"url": lambda self, p: f"http://127.0.0.1:{port}{p}"})()
    return write_sources(path, fake, key=key)  # type: ignore[arg-type]


def good_site(site: Site) -> None:
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    paths = [f"/news/2024/01/1{i}/item.html" for i in range(3)]
    site.page("/news/", "".join(f'<a href="{p}">x</a>' for p in paths))
    for i, path in enumerate(paths):
        site.page(path, article_html(f"Statement {i}", [
            f"Statement {i}: the Minister held talks with his counterpart on the bilateral "
            "agenda and on regional issues of common interest."]))


def test_an_unreachable_source_fails_with_one_line_per_cause(crawl, tmp_path: Path):
    sources = unreachable_sources(tmp_path / "sources.toml")
    result = crawl(sources, "loopback_news")
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.output
    # One line per cause from the failures middleware, and the outcome.
    assert result.output.count("ERROR: connection refused for 127.0.0.1:") == 1
    assert result.output.count(" ERROR: ") <= 2
    assert "loopback_news: failed: nothing fetched: connection refused for 127.0.0.1" \
        in result.output
    (status, errors, stats) = result.rows("SELECT status, errors, stats FROM crawl_runs")[0]
    assert status == "failed" and errors >= 1
    # The printed line and the ledger agree, and demarche status says why.
    assert "connection refused" in result.last_run_stats()["demarche/why"]
    status = subprocess.run([sys.executable, "-m", "cli", "status"], cwd=ROOT, text=True,
                            capture_output=True, timeout=60,
                            env={**os.environ, "DEMARCHE_SOURCES": str(sources),
                                 "DEMARCHE_ARCHIVE_URL": result.archive_url})
    assert "failing (1 failed run in a row: nothing fetched: connection refused for " \
        "127.0.0.1" in " ".join(status.stdout.split()), status.stdout


def test_each_run_of_one_process_counts_its_own_errors(site: Site, tmp_path: Path):
    good_site(site)
    good = write_sources(tmp_path / "good.toml", site, key="good_news")
    bad = unreachable_sources(tmp_path / "bad.toml", key="bad_news")
    both = tmp_path / "sources.toml"
    both.write_text(good.read_text() + "\n" + bad.read_text(), encoding="utf-8")
    archive = f"sqlite:///{tmp_path / 'archive.db'}"
    command = [sys.executable, "-m", "cli", "crawl", "good_news", "bad_news"]
    env = {**os.environ, "DEMARCHE_SOURCES": str(both), "DEMARCHE_ARCHIVE_URL": archive,
           "DEMARCHE_EXTRACT_WORKERS": "1"}
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 1, out.stdout + out.stderr
    rows = {s: (st, e) for s, st, e in sqlite3.connect(tmp_path / "archive.db").execute(
        "SELECT source, status, errors FROM crawl_runs")}
    assert rows["good_news"] == ("finished", 0)
    assert rows["bad_news"][0] == "failed" and rows["bad_news"][1] >= 1
    table = out.stdout.splitlines()
    assert any(line.split()[:2] == ["good_news", "finished"] for line in table)
    assert any(line.split()[:2] == ["bad_news", "failed"] for line in table)
    assert "bad_news: failed: nothing fetched: connection refused" in out.stderr


def test_a_locked_archive_is_a_failed_run_and_the_rerun_adds_no_duplicates(
        site: Site, crawl, tmp_path: Path):
    good_site(site)
    sources = write_sources(tmp_path / "sources.toml", site)
    path = tmp_path / "archive.db"
    archive = f"sqlite:///{path}?timeout=1"
    first = crawl(sources, "loopback_news", archive=archive)
    assert first.returncode == 0, first.output
    site.page("/news/2024/01/19/new.html", article_html("New", [
        "A new statement: the Minister received the Ambassador and discussed the agenda."]))
    site.page("/news/", site.routes["/news/"].body.decode() + '<a href="/news/2024/01/19/new.html">n</a>')
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = crawl(sources, "loopback_news", "-a", "refetch=true", archive=archive)
    finally:
        holder.rollback()
        holder.close()
    assert locked.returncode == 1, locked.output
    assert "loopback_news: failed:" in locked.output
    said = locked.output.split("loopback_news: failed:")[1].split("\n")[0]
    assert "finished" not in said
    # Why, in one line without SQLAlchemy's dump of the statement; and a
    # run the archive cannot record is not crawled: the new page waits.
    assert "database is locked (another process held a write lock" in said, said
    assert "[SQL:" not in locked.output
    assert "/news/2024/01/19/new.html" not in site.hits, site.hits
    again = crawl(sources, "loopback_news", "-a", "refetch=true", archive=archive)
    assert again.returncode == 0, again.output
    assert again.rows("SELECT count(*), count(DISTINCT url) FROM articles") == [(4, 4)]


def test_a_killed_run_is_closed_as_lost_by_the_next_run(site: Site, tmp_path: Path, crawl):
    good_site(site)
    site.page("/news/2024/01/10/item.html", article_html("Slow", ["A slow page."]), delay=30)
    site.page("/news/", '<a href="/news/2024/01/10/item.html">x</a>')
    sources = write_sources(tmp_path / "sources.toml", site)
    path = tmp_path / "archive.db"
    env = {**os.environ, "DEMARCHE_SOURCES": str(sources),
           "DEMARCHE_ARCHIVE_URL": f"sqlite:///{path}", "DEMARCHE_EXTRACT_WORKERS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "loopback_news",
                             "-s", "DOWNLOAD_TIMEOUT=60"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not site.hits.get("/news/2024/01/10/item.html"):
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert site.hits.get("/news/2024/01/10/item.html"), "the crawl never reached the slow page"
    rows = sqlite3.connect(path).execute("SELECT id, status FROM crawl_runs").fetchall()
    assert rows == [(1, "running")]
    # demarche status sees it too, without a crawl.
    status = subprocess.run([sys.executable, "-m", "cli", "status"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert sqlite3.connect(path).execute("SELECT status FROM crawl_runs WHERE id = 1"
                                         ).fetchone() == ("lost",)
    site.page("/news/2024/01/10/item.html", article_html("Slow", ["A slow page, now quick."]))
    again = crawl(sources, "loopback_news", archive=f"sqlite:///{path}")
    assert again.rows("SELECT id, status FROM crawl_runs ORDER BY id")[0] == (1, "lost")


def test_runs_of_live_processes_or_of_other_machines_are_left_alone(archive_url: str):
    engine = open_archive(archive_url)
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        sync_sources(s, [load_sources()["mid_ru_en"]], now)
        here = {"host": socket.gethostname(), "pid": os.getpid()}
        other = {"host": "another-machine", "pid": 1}
        s.add_all([
            CrawlRun(source="mid_ru_en", started_at=now, status="running", args={},
                     stats={"demarche/process": here}),
            CrawlRun(source="mid_ru_en", started_at=now - timedelta(hours=1), status="running",
                     args={}, stats={"demarche/process": other}),
            CrawlRun(source="mid_ru_en", started_at=now - LOST_AFTER - timedelta(hours=1),
                     status="running", args={}, stats={"demarche/process": other}),
            CrawlRun(source="mid_ru_en", started_at=now, status="running", args={},
                     stats={"demarche/process": {**here, "pid": 2**22 + 7}}),
        ])
    with Session(engine) as s, s.begin():
        lost = close_lost_runs(s, now, alive=lambda pid: pid == os.getpid())
    assert lost == [3, 4]


def test_on_postgresql_a_run_of_another_machine_is_lost_when_its_site_lock_is_free(
        archive_url: str):
    """Issue 18: the crawl holds its site's advisory lock for its life (and
    says so in its run); a run left running by a dead machine is closed
    when that lock is found free, and not while another session (the live
    crawl) holds it."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from storage.runs import site_of, take_domain_lock

    engine = open_archive(archive_url)
    now = datetime.now(UTC)
    registry = load_sources()
    mid = site_of(registry["mid_ru_en"].domains, "mid_ru_en")
    state = site_of(registry["state_gov_briefings"].domains, "state_gov_briefings")
    other = {"host": "another-machine", "pid": 1, "worker": "w9@another-machine"}
    with Session(engine) as s, s.begin():
        sync_sources(s, [registry["mid_ru_en"], registry["state_gov_briefings"]], now)
        s.add_all([
            # A live crawl on another machine, holding its site's lock.
            CrawlRun(source="mid_ru_en", started_at=now - timedelta(hours=1), status="running",
                     args={}, stats={"demarche/process": {**other, "site_lock": mid}}),
            # A crawl whose machine died an hour ago: nobody holds its lock.
            CrawlRun(source="state_gov_briefings", started_at=now - timedelta(hours=1),
                     status="running", args={},
                     stats={"demarche/process": {**other, "site_lock": state}}),
            # A crawl of another machine that never took its lock (starting,
            # or waiting for the site): left to LOST_AFTER.
            CrawlRun(source="state_gov_briefings", started_at=now - timedelta(hours=1),
                     status="running", args={}, stats={"demarche/process": other}),
        ])
    holder = None
    if archive_url.startswith("postgresql"):
        holder = create_engine(archive_url, poolclass=NullPool).connect()
        assert take_domain_lock(holder, mid)
    try:
        with Session(engine) as s, s.begin():
            lost = close_lost_runs(s, now)
    finally:
        if holder is not None:
            holder.close()
    if archive_url.startswith("postgresql"):
        assert lost == [2]
        with Session(engine) as s, s.begin():  # the live crawl's lock went with it
            assert close_lost_runs(s, now) == [1]
    else:
        # SQLite: one machine, no site locks; another's runs wait for LOST_AFTER.
        assert lost == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_workers_crawl_dies_with_the_pool_process_alone(tmp_path: Path):
    # A Celery pool process killed by itself (OOM killer, `celery control
    # terminate`), not its whole group: the crawl it started must not live
    # on as an orphan holding the site's lock with no time limit watching.
    script = ("import sys, time; from schedules.runs import _start\n"
              f"log = open({str(tmp_path / 'crawl.log')!r}, 'wb')\n"
              "for worker in ('celery@w1', None):\n"
              "    print(_start(['sleep', '120'], log, worker).pid, flush=True)\n"
              "time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    worker_crawl, scheduler_crawl = int(parent.stdout.readline()), int(parent.stdout.readline())
    try:
        assert _alive(worker_crawl) and _alive(scheduler_crawl)
        os.kill(parent.pid, signal.SIGKILL)  # the pool process alone
        parent.wait(10)
        deadline = time.monotonic() + 10
        while _alive(worker_crawl) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker_crawl)
        # The scheduler's crawl is in its own session: the scheduler stops it
        # itself (SIGTERM, then SIGKILL), so it is not tied to its parent.
        assert _alive(scheduler_crawl)
    finally:
        for pid in (worker_crawl, scheduler_crawl):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _crawl_good_site(site: Site, tmp_path: Path, *command: str
                     ) -> tuple[subprocess.CompletedProcess[str], sqlite3.Connection]:
    """``good_site`` crawled by ``python *command`` into a fresh archive:
    what the process said, and the archive."""
    good_site(site)
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "DEMARCHE_SOURCES": str(write_sources(tmp_path / "sources.toml", site)),
           "DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    out = subprocess.run([sys.executable, *command], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180)
    return out, sqlite3.connect(tmp_path / "archive.db")


def test_a_crawl_whose_extraction_workers_cannot_start_fails(site: Site, tmp_path: Path):
    """The spider fetches while its workers start; if they never can (here
    the interpreter the forkserver needs is gone), the run fails and says
    why, and no page is recorded as fetched: the next run fetches them."""
    script = ("import multiprocessing, sys\n"
              "multiprocessing.get_context('forkserver').set_executable('/nonexistent/python')\n"
              "from cli.main import main\n"
              "sys.exit(main(['crawl', 'loopback_news']))\n")
    out, db = _crawl_good_site(site, tmp_path, "-c", script)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "loopback_news: failed: Scrapy closed the spider: extraction_pool_failed" in out.stderr
    assert db.execute("SELECT status FROM crawl_runs").fetchall() == [("failed",)]
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM fetch_state WHERE url LIKE '%/item.html'"
                      ).fetchone() == (0,)


def test_a_crawl_whose_extraction_raises_on_a_page_fails_and_keeps_the_rest(
        site: Site, tmp_path: Path):
    """An exception in the extraction (a bug, not a rejection) is a page the
    run did not archive: the run fails and says how many, the other pages
    are archived, and the broken page is not recorded as fetched."""
    # A file, not `-c`: the workers import its function by the script's path.
    script = tmp_path / "crawl.py"
    script.write_text(
        "import sys\n"
        "import crawler.pipelines.extract as pipeline\n"
        "from crawler.ingest.processing import process_and_enrich\n"
        "def breaks_on_one(page, source, chrome):\n"
        "    if page.url.endswith('/11/item.html'):\n"
        "        raise RuntimeError('a bug in the extraction')\n"
        "    return process_and_enrich(page, source, chrome)\n"
        "if __name__ == '__main__':\n"
        "    pipeline.process_and_enrich = breaks_on_one\n"
        "    from cli.main import main\n"
        "    sys.exit(main(['crawl', 'loopback_news']))\n", encoding="utf-8")
    out, db = _crawl_good_site(site, tmp_path, str(script))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "loopback_news: failed: extraction failed on 1 of 3 page(s)" in out.stderr
    assert db.execute("SELECT status FROM crawl_runs").fetchall() == [("failed",)]
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (2,)
    assert db.execute("SELECT url FROM fetch_state WHERE url LIKE '%/item.html' ORDER BY url"
                      ).fetchall() == [(site.url("/news/2024/01/10/item.html"),),
                                       (site.url("/news/2024/01/12/item.html"),)]


def test_a_body_its_content_encoding_does_not_decode_is_one_counted_line(
        site: Site, crawl, tmp_path: Path):
    good_site(site)
    bad = "/news/2024/01/19/item.html"
    site.page(bad, b"not gzip at all, " * 40, headers={"Content-Encoding": "gzip"})
    site.page("/news/", site.routes["/news/"].body.decode() + f'<a href="{bad}">x</a>')
    done = crawl(write_sources(tmp_path / "sources.toml", site), "loopback_news")
    assert "Traceback" not in done.output and "Error downloading" not in done.output
    assert done.output.count("ERROR: A body its Content-Encoding does not decode from") == 1
    assert "'download/failed/body its Content-Encoding does not decode': 1" in done.output
    # In the run's one-line summary too, with the other download failures.
    assert "ERROR: body its Content-Encoding does not decode for 127.0.0.1: 1 request" in done.output
    assert done.rows("SELECT count(*) FROM articles") == [(3,)]


EMPTY_RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title></channel></rss>'


@pytest.mark.parametrize(("spider", "body", "said"), [
    ("sitemap", "<html><body>Down for maintenance</body></html>", "sitemap/invalid x1"),
    ("feed", "<html><body>Down for maintenance</body></html>", "feed/unreadable x1"),
    ("listing", '<html><body><a href="/about/">About us</a></body></html>', "listing/no_links x1"),
    ("feed", EMPTY_RSS, None),  # a quiet source, not a broken one
])
def test_entry_points_that_name_no_article_fail_the_run(
        site: Site, crawl, tmp_path: Path, spider: str, body: str, said: str | None):
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    site.page("/entry", body, content_type="application/xml" if body == EMPTY_RSS else "text/html")
    sources = write_sources(tmp_path / "sources.toml", site, spider=spider,
                            entry_points=[site.url("/entry")])
    done = crawl(sources, "loopback_news")
    (status,) = done.rows("SELECT status FROM crawl_runs")[0]
    if said is None:
        assert (done.returncode, status) == (0, "finished"), done.output[-2000:]
        return
    # The entry point answered 200, so "some page was fetched"; it still
    # named no article, and a run that archived nothing for that says so.
    assert (done.returncode, status) == (1, "failed"), done.output[-2000:]
    assert f"loopback_news: failed: no entry point listed an article: {said}" in done.output


def test_with_the_ledger_off_a_new_source_is_still_archived(site: Site, crawl, tmp_path: Path):
    # The ledger used to be the only writer of the source's row: without
    # it, every statement of a new source was refused on its foreign key.
    good_site(site)
    done = crawl(write_sources(tmp_path / "sources.toml", site), "loopback_news",
                 settings={"DEMARCHE_LEDGER_ENABLED": "false"})
    assert done.returncode == 0, done.output[-2000:]
    assert done.rows("SELECT count(*) FROM articles") == [(3,)]
    assert done.rows("SELECT count(*) FROM crawl_runs") == [(0,)]
