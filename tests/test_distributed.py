"""Nightly crawls across machines (issue 18), with real parts: a Redis broker
(DEMARCHE_TEST_REDIS_URL), a PostgreSQL archive (DEMARCHE_TEST_POSTGRES_URL),
`python -m schedules` as the one producer, two `celery worker` processes
(each its own process group, standing for two machines) and a loopback site
on three hosts with four sources, two of them on one host.

The broker's visibility timeout is seconds here, not hours, so that a
killed worker's job comes back quickly (tests/test_distributed_kill.py);
the figures of each night are printed (`pytest -s`).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import FAST, POSTGRES_ENV, ROOT, Site, article_html, write_sources
from tests.test_schedules import wait_for

REDIS_ENV = "DEMARCHE_TEST_REDIS_URL"
VISIBILITY = 30  # seconds; production derives hours from the timetable
PER_HOST_LIMIT = 2  # CONCURRENT_REQUESTS_PER_DOMAIN of the crawls
WORDS = ("minister counterpart talks agenda regional consultations capital trade energy "
         "security treaty delegation summit embassy cooperation visit statement briefing "
         "sanctions grain shipping border climate health culture students science").split()


def text_of(key: str, day: int) -> str:
    """A statement of its own words: texts this different never form a
    near-duplicate cluster, whose members would depend on the crawl order."""
    rng = random.Random(f"{key}-{day}")
    return " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "."
# key, host, path prefix, article delay (s): two sources on 127.0.0.1, one
# slow source whose crawl is long enough to kill its worker mid-job.
SOURCES = [("alpha_news", "127.0.0.1", "alpha", 0.2), ("alpha_briefs", "127.0.0.1", "briefs", 0.2),
           ("beta_news", "127.0.0.2", "beta", 0.2), ("gamma_news", "127.0.0.3", "gamma", 1.5)]
ARTICLES = 6
# 127.0.0.1's listings are slow: the first crawl holds the site for seconds,
# so the other job (started seconds apart on a busy machine) always meets it.
LISTING_DELAY = 4.0


def _require(name: str) -> str:
    url = os.environ.get(name)
    if not url:
        pytest.fail(f"{name} is not set: run the tests with `make test`, which starts Redis "
                    "(.ci/redis) and PostgreSQL (.ci/postgres)")
    return url


@pytest.fixture
def broker() -> Iterator[str]:
    import redis

    url = _require(REDIS_ENV)
    client = redis.Redis.from_url(url)
    client.flushdb()  # database 15: the tests' own
    yield url
    client.flushdb()


@pytest.fixture
def databases() -> Iterator[list[str]]:
    """Two scratch PostgreSQL archives: the cluster's and the reference."""
    admin_url = _require(POSTGRES_ENV)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = [f"demarche_dist_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield [make_url(admin_url).set(database=n).render_as_string(hide_password=False)
           for n in names]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class CountingSite(Site):
    """A loopback site that also keeps its peak of requests in flight."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.in_flight = self.peak = 0
        guard = threading.Lock()
        base = self.server.RequestHandlerClass
        site = self

        class Counting(base):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:
                with guard:
                    site.in_flight += 1
                    site.peak = max(site.peak, site.in_flight)
                try:
                    super().do_GET()
                finally:
                    with guard:
                        site.in_flight -= 1

        self.server.RequestHandlerClass = Counting


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[dict[str, CountingSite], Path]]:
    hosts = {host: CountingSite(host) for host in ("127.0.0.1", "127.0.0.2", "127.0.0.3")}
    rows = []
    for key, host, prefix, delay in SOURCES:
        site = hosts[host]
        paths = [f"/{prefix}/2024/03/{day:02d}/statement-{day}.html"
                 for day in range(1, ARTICLES + 1)]
        site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
        site.page(f"/{prefix}/", "<ul>" + "".join(f'<li><a href="{p}">x</a></li>' for p in paths)
                  + "</ul>", delay=LISTING_DELAY if host == "127.0.0.1" else 0.0)
        for day, path in enumerate(paths, start=1):
            site.page(path, article_html(f"{key} statement {day}", [text_of(key, day), text_of(key, -day)],
                                         date=f"2024-03-{day:02d}"), delay=delay)
        row = write_sources(tmp_path / f"{key}.toml", site, key=key, domains=[host],
                            entry_points=[site.url(f"/{prefix}/")],
                            article_pattern=rf"/{prefix}/\d{{4}}/\d\d/\d\d/[^/]+$")
        rows.append(row.read_text())
    registry = tmp_path / "sources.toml"
    registry.write_text("\n".join(rows), encoding="utf-8")
    for site in hosts.values():
        site.thread.start()
    yield hosts, registry
    for site in hosts.values():
        site.server.shutdown()
        site.server.server_close()


CRAWL_SETTINGS = {**FAST, "DOWNLOAD_DELAY": "0.05",  # a delay keeps the per-domain cap exact
                  "CONCURRENT_REQUESTS_PER_DOMAIN": str(PER_HOST_LIMIT),
                  "DOWNLOAD_TIMEOUT": "15"}  # past the slow listing, never retried


def cluster_env(tmp_path: Path, registry: Path, archive: str, broker: str) -> dict[str, str]:
    return {**os.environ, "DEMARCHE_SOURCES": str(registry), "DEMARCHE_ARCHIVE_URL": archive,
            "DEMARCHE_BROKER_URL": broker, "DEMARCHE_VISIBILITY_TIMEOUT": str(VISIBILITY),
            "DEMARCHE_LOG_DIR": str(tmp_path / "logs"), "DEMARCHE_EXTRACT_WORKERS": "1",
            "DEMARCHE_WARC_DIR": str(tmp_path / "warc")}


class Worker:
    """`celery -A schedules.celery_app worker -Q crawl`, in a process group of its own."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "schedules.celery_app", "worker", "-Q",
             "crawl", "--concurrency", "1", "-n", f"{name}@%h", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def ready(self) -> bool:
        return b" ready." in self.log.read_bytes()

    def kill(self) -> None:
        """The machine dies: every process of the group at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # Celery's warm shutdown
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def runs(url: str) -> list[tuple]:
    try:
        return rows(url, "SELECT id, source, status, started_at, finished_at, stats "
                         "FROM crawl_runs ORDER BY id")
    except Exception:  # noqa: BLE001 - no crawl has made the tables yet
        return []


def articles(url: str) -> list[tuple]:
    """The articles table minus ids, crawl times, WARC locations and the
    stamps of the code version (the same for both crawls of one tree), sorted."""
    columns = [c for (c,) in rows(url, "SELECT column_name FROM information_schema.columns "
                                       "WHERE table_name = 'articles' ORDER BY ordinal_position")
               if c not in ("id", "cluster_id", "first_seen_at", "last_seen_at", "changed_at",
                            "warc_file", "warc_offset", "extractor_hash", "enricher_hash")]
    return rows(url, f"SELECT {', '.join(columns)} FROM articles ORDER BY url")


def night(tmp_path: Path, env: dict[str, str], name: str) -> subprocess.Popen:
    """`python -m schedules` with one job of the four sources, due when it starts.

    The job is stored first with a fire time a moment ahead, which passes
    before the scheduler is up: the scheduler runs it once on start, as it
    runs a night missed while it was down (a fire time set ahead of a busy
    machine's start-up could be missed for a year).
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    from crawler.sources import load_sources
    from schedules.scheduler import create_scheduler
    from schedules.timetable import domain_of, load_timetable

    # Ahead of a loaded machine's store (0.9 s seen; past, it is next year's).
    fire = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    settings = ", ".join(f'{k} = "{v}"' for k, v in CRAWL_SETTINGS.items())
    timetable = tmp_path / f"{name}.toml"
    timetable.write_text(
        f'[defaults]\ntimezone = "UTC"\nsettings = {{ {settings} }}\n'
        f'[[job]]\nname = "night"\nsources = {json.dumps([s[0] for s in SOURCES])}\n'
        f'cron = "{fire.second} {fire.minute} {fire.hour} {fire.day} {fire.month} *"\n'
        f'time_limit = "120s"\n', encoding="utf-8")
    registry = load_sources(env["DEMARCHE_SOURCES"], allow_private_addresses=True)
    stored = create_scheduler(load_timetable(timetable, registry),
                              {key: domain_of(s) for key, s in registry.items()},
                              env["DEMARCHE_ARCHIVE_URL"], env["DEMARCHE_SOURCES"],
                              env["DEMARCHE_LOG_DIR"], BackgroundScheduler, queued=True)
    stored.start(paused=True)  # stores the job and its next run time, runs nothing
    assert stored.get_job("job:night").next_run_time == fire
    stored.shutdown()
    time.sleep(max(0.0, (fire - datetime.now(UTC)).total_seconds()) + 0.5)
    return subprocess.Popen([sys.executable, "-m", "schedules", "--timetable", str(timetable)],
                            cwd=ROOT, env=env, stdout=(tmp_path / f"{name}.log").open("wb"),
                            stderr=subprocess.STDOUT)


def finished_per_source(url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, source, status, *_ in runs(url):
        if status == "finished":
            counts[source] = counts.get(source, 0) + 1
    return counts


def all_finished(url: str, times: int) -> bool:
    """Every source crawled ``times`` times, each job over (its worker
    recorded in the run once the crawl process has exited)."""
    counts = finished_per_source(url)
    done = all((stats or {}).get("demarche/process", {}).get("worker")
               for _, _, status, _, _, stats in runs(url) if status == "finished")
    return len(counts) == len(SOURCES) and min(counts.values()) >= times and done


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(60)


def reference_crawl(registry: Path, url: str, tmp_path: Path) -> subprocess.Popen:
    """Every source crawled by one `demarche crawl` process."""
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "crawl", *[s[0] for s in SOURCES]], cwd=ROOT,
        env={**os.environ, "DEMARCHE_SOURCES": str(registry), "DEMARCHE_ARCHIVE_URL": url,
             "DEMARCHE_WARC_DIR": str(tmp_path / "warc-reference"),
             "DEMARCHE_EXTRACT_WORKERS": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def reference_rows(ref: subprocess.Popen, url: str) -> list[tuple]:
    output = ref.communicate(timeout=180)[0]
    assert ref.returncode == 0, output
    expected = articles(url)
    assert len(expected) == len(SOURCES) * ARTICLES, output
    return expected


def no_overlap_per_site(url: str) -> dict[str, int]:
    """Assert that no two runs of one site overlapped; runs per site."""
    hosts = {key: host for key, host, *_ in SOURCES}
    spans: dict[str, list[tuple]] = {}
    for run_id, source, status, started, finished, _stats in runs(url):
        assert finished is not None, (source, status)
        spans.setdefault(hosts[source], []).append((started, finished, run_id, source, status))
    for host, intervals in spans.items():
        intervals.sort()
        for (_, end, *_), (start, *_) in zip(intervals, intervals[1:], strict=False):
            assert start >= end, f"two runs of {host} overlapped: {intervals}"
    return {host: len(v) for host, v in spans.items()}


def test_two_workers_crawl_each_site_once_a_night_like_one_process(
        tmp_path: Path, sites, broker: str, databases: list[str]):
    hosts, registry = sites
    archive, reference = databases
    env = cluster_env(tmp_path, registry, archive, broker)
    ref = reference_crawl(registry, reference, tmp_path)
    workers = [Worker(f"w{i}", env, tmp_path / f"w{i}.log") for i in (1, 2)]
    scheduler = None
    try:
        assert wait_for(lambda: all(w.ready() for w in workers), 90), \
            [w.log.read_text() for w in workers]
        expected = reference_rows(ref, reference)
        for site in hosts.values():  # the reference's requests are not the night's
            site.hits.clear()
            site.peak = 0
        clock = time.monotonic()
        scheduler = night(tmp_path, env, "night1")
        assert wait_for(lambda: all_finished(archive, 1), 150), \
            (runs(archive), (tmp_path / "night1.log").read_text())
        first_night = time.monotonic() - clock
        stop(scheduler)
        log = (tmp_path / "night1.log").read_text()
        assert "queued alpha_news" in log, log  # the scheduler queued, never crawled

        # Every article URL fetched once; each host's peak within the cap.
        for site in hosts.values():
            fetched = {p: n for p, n in site.hits.items() if p.endswith(".html")}
            assert fetched and set(fetched.values()) == {1}, fetched
            assert site.peak <= PER_HOST_LIMIT, (site.host, site.peak)
        assert articles(archive) == expected  # row for row
        per_site = no_overlap_per_site(archive)
        machines = {(s or {}).get("demarche/process", {}).get("worker")
                    for *_, s in runs(archive)}
        assert len(runs(archive)) == len(SOURCES)  # one run per source and night
        waits = [line for w in workers for line in w.log.read_text().splitlines()
                 if "re-queued" in line]
        waits += [line for log in (tmp_path / "logs").glob("alpha_*.log")
                  for line in log.read_text().splitlines() if "waiting for it to finish" in line]
        # The two sources of 127.0.0.1 were the first two jobs, one per idle
        # worker: the second one waited for the first, and said so.
        assert any("127.0.0.1" in line for line in waits), waits
        print(f"\nnight 1: {len(runs(archive))} runs in {first_night:.1f} s on {machines}; "
              f"runs per site {per_site}; busy waits and re-queues {len(waits)}; peaks "
              f"{ {h: s.peak for h, s in hosts.items()} }; rows {len(expected)}")
        assert machines <= {w.name + "@" + os.uname().nodename for w in workers}

        # The second night adds nothing.
        scheduler = night(tmp_path, env, "night2")
        assert wait_for(lambda: all_finished(archive, 2), 150), runs(archive)
        stop(scheduler)
        assert articles(archive) == expected
        assert rows(archive, "SELECT sum(articles_new) FROM crawl_runs WHERE id > 4") == [(0,)]
        for site in hosts.values():
            assert max(n for p, n in site.hits.items() if p.endswith(".html")) <= 2
        no_overlap_per_site(archive)
        # `demarche status` names the machine of each source's last run,
        # and `demarche workers` lists the live workers and the queue.
        status = subprocess.run([sys.executable, "-m", "cli", "status"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stderr
        for key, *_ in SOURCES:
            line = next(x for x in status.stdout.splitlines() if x.startswith(key))
            assert "@" in line, line
        listing = subprocess.run([sys.executable, "-m", "cli", "workers"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=60)
        assert listing.returncode == 0, listing.stderr
        assert "w1@" in listing.stdout and "w2@" in listing.stdout, listing.stdout
        assert "queued: 0" in listing.stdout, listing.stdout
    finally:
        if scheduler is not None and scheduler.poll() is None:
            scheduler.kill()
        for worker in workers:
            worker.stop()
        if ref.poll() is None:
            ref.kill()


def test_sqlite_is_refused_and_no_broker_is_said(tmp_path: Path, broker: str):
    """SQLite is no archive for several machines: the worker and the
    scheduler refuse it at start, saying why; without a broker, `demarche
    workers` says there is none."""
    env = {**os.environ, "DEMARCHE_BROKER_URL": broker,
           "DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    worker = subprocess.run([sys.executable, "-m", "celery", "-A", "schedules.celery_app",
                             "worker", "-Q", "crawl"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    scheduler = subprocess.run([sys.executable, "-m", "schedules"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
    for refused in (worker, scheduler):
        assert refused.returncode != 0
        assert "is a SQLite file, which only this machine can write" in refused.stderr
    assert not (tmp_path / "archive.db").exists()
    alone = subprocess.run([sys.executable, "-m", "cli", "workers"], cwd=ROOT, text=True,
                           env={**os.environ, "DEMARCHE_BROKER_URL": ""}, capture_output=True)
    assert alone.returncode == 2
    assert "no broker is configured (DEMARCHE_BROKER_URL is empty)" in alone.stderr
