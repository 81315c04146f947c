"""The timetable, and the scheduler running real crawls of a loopback site.

Scheduled crawls are ``scrapy crawl`` subprocesses writing to a SQLite file,
as in production; timetables fire every few seconds (six-field cron) so
that a test sees several runs.
"""

from __future__ import annotations

import json
import logging
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
from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.sources import load_sources
from schedules.runs import run_crawl
from schedules.scheduler import create_scheduler
from schedules.timetable import (
    TimetableError,
    cron_trigger,
    crontab_weekdays,
    load_timetable,
    next_runs,
)
from tests.conftest import FAST, ROOT, Site, article_html, write_sources

PARAS = [
    "The Minister held talks with his counterpart on the bilateral agenda and regional issues.",
    "The sides agreed to continue consultations at the level of deputy ministers next month.",
]
ARTICLES = ["/news/2024/02/01/talks.html", "/news/2024/02/02/visit.html"]


def build_site(site: Site, *, delay: float = 0.0) -> None:
    items = "".join(f'<li><a href="{p}">item</a></li>' for p in ARTICLES)
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    site.page("/news/", f"<html><body><ul>{items}</ul></body></html>")
    for n, path in enumerate(ARTICLES):
        site.page(path, article_html(f"Statement number {n}", PARAS, date=f"2024-02-0{n + 1}"),
                  delay=delay)


def write_timetable(path: Path, cron: str, *, time_limit: str = "60s", grace: str = "1h",
                    source: str = "loopback_news") -> Path:
    settings = ", ".join(f'{k} = "{v}"' for k, v in FAST.items())
    path.write_text(
        "[defaults]\n"
        f'misfire_grace = "{grace}"\n'
        f"settings = {{ {settings} }}\n"
        "[[job]]\n"
        'name = "fast"\n'
        f'sources = ["{source}"]\n'
        f'cron = "{cron}"\n'
        f'time_limit = "{time_limit}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def env(tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The loopback registry and a SQLite archive, for this process and crawls."""
    values = {
        "DEMARCHE_SOURCES": str(write_sources(tmp_path / "sources.toml", site)),
        "DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}",
        "DEMARCHE_LOG_DIR": str(tmp_path / "logs"),
        "DEMARCHE_EXTRACT_WORKERS": "1",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def loopback(env: dict[str, str]):  # type: ignore[no-untyped-def]
    return load_sources(env["DEMARCHE_SOURCES"], allow_private_addresses=True)["loopback_news"]


def runs(env: dict[str, str]) -> list[tuple]:
    path = env["DEMARCHE_ARCHIVE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        try:
            return db.execute(
                "SELECT status, trigger, articles_new, articles_unchanged, log_tail "
                "FROM crawl_runs ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # no crawl has made the tables yet
            return []


def article_count(env: dict[str, str]) -> tuple[int, int]:
    path = env["DEMARCHE_ARCHIVE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()


def wait_for(condition, timeout: float, step: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


# --- the timetable -------------------------------------------------------------


def test_default_timetable_has_a_nightly_job_for_every_source():
    registry = load_sources()
    timetable = load_timetable(None, registry)
    scheduled = [key for job in timetable.jobs for key in job.sources]
    assert sorted(scheduled) == sorted(registry)  # every source, exactly once
    # Sources of one domain share a job, so their crawls never overlap.
    mid = next(j for j in timetable.jobs if "mid_ru_en" in j.sources)
    assert mid.sources == ("mid_ru_en", "mid_ru_ru")
    nightly = [j for j in timetable.jobs if j.id.startswith("nightly:")]
    assert len({j.cron for j in nightly}) == len(nightly)  # each domain its own slot
    for job in nightly:
        minute, hour = job.cron.split()[:2]
        assert 1 <= int(hour) < 5


def test_list_prints_every_job_with_next_runs():
    out = subprocess.run([sys.executable, "-m", "schedules", "--list"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    for key in load_sources():
        assert key in out
    assert out.count("next: ") == len(load_timetable(None, load_sources()).jobs)


@pytest.mark.parametrize(("entry", "message"), [
    ('sources = ["nope"]\ncron = "0 1 * * *"', "unknown source 'nope'"),
    ('sources = ["mid_ru_en"]\ncron = "0 25 * * *"', "invalid cron '0 25 * * *'"),
    ('sources = ["mid_ru_en"]\ncron = "0 1 * *"', "invalid cron"),
    ('sources = ["mid_ru_en"]\ncron = "0 1 * * *"\ntimezone = "Mars/Olympus"',
     "unknown time zone 'Mars/Olympus'"),
    ('sources = ["mid_ru_en"]\ncron = "0 1 * * *"\ntime_limit = "soon"', "not a duration"),
    ('sources = ["mid_ru_en"]\ncron = "0 1 * * *"\nargs = { max_pages = "many" }', "max_pages"),
    ('sources = ["mid_ru_en"]\ncron = "0 1 * * *"\nretries = 3', "unknown key(s) retries"),
    ('sources = ["mid_ru_en"]', "needs a cron"),
])
def test_bad_entries_fail_naming_the_entry(tmp_path: Path, entry: str, message: str):
    path = tmp_path / "timetable.toml"
    path.write_text(f'[[job]]\nname = "broken"\n{entry}\n', encoding="utf-8")
    with pytest.raises(TimetableError) as error:
        load_timetable(path, load_sources())
    assert "job broken" in str(error.value)
    assert message in str(error.value)


def test_a_source_in_two_jobs_is_refused(tmp_path: Path):
    path = tmp_path / "timetable.toml"
    path.write_text('[[job]]\nname = "a"\nsources = ["mid_ru_en"]\ncron = "0 1 * * *"\n'
                    '[[job]]\nname = "b"\nsources = ["mid_ru_en"]\ncron = "0 2 * * *"\n')
    with pytest.raises(TimetableError, match="already in job a"):
        load_timetable(path, load_sources())


def test_bad_timetable_stops_the_scheduler_at_start(tmp_path: Path):
    path = tmp_path / "timetable.toml"
    path.write_text('[[job]]\nname = "x"\nsources = ["mid_ru_en"]\ncron = "61 * * * *"\n')
    proc = subprocess.run([sys.executable, "-m", "schedules", "--timetable", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "job x: invalid cron" in proc.stderr


def test_next_runs_across_time_zones(tmp_path: Path):
    path = tmp_path / "timetable.toml"
    path.write_text(
        '[[job]]\nname = "moscow"\nsources = ["mid_ru_en"]\ncron = "0 3 * * *"\n'
        'timezone = "Europe/Moscow"\n'
        '[[job]]\nname = "washington"\nsources = ["state_gov_briefings"]\ncron = "0 1 * * *"\n'
        'timezone = "America/New_York"\n')
    timetable = load_timetable(path, load_sources())
    # 03:00 in Moscow is midnight UTC, all year (no DST since 2014).
    (moscow,) = next_runs(timetable, datetime(2026, 3, 28, 23, 0, tzinfo=UTC))["job:moscow"]
    assert moscow.astimezone(UTC) == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    # New York leaves daylight saving time at 02:00 on 1 November 2026, so
    # 01:00 happens twice that night: the job runs once, at the first, and
    # the days after at 06:00 UTC instead of 05:00.
    washington = next_runs(timetable, datetime(2026, 10, 30, 12, 0, tzinfo=UTC), 4)
    utc = [t.astimezone(UTC) for t in washington["job:washington"]]
    assert utc == [datetime(2026, 10, 31, 5, 0, tzinfo=UTC), datetime(2026, 11, 1, 5, 0, tzinfo=UTC),
                   datetime(2026, 11, 2, 6, 0, tzinfo=UTC), datetime(2026, 11, 3, 6, 0, tzinfo=UTC)]
    # Spring forward (8 March 2026): 02:30 does not exist that day; the job
    # runs once that day all the same (at 03:30 EDT), and daily after.
    spring = cron_trigger("30 2 * * *", "America/New_York")
    fire, times = None, []
    now = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    for _ in range(3):
        fire = spring.get_next_fire_time(fire, now)
        times.append(fire.astimezone(UTC))
        now = fire
    assert times == [datetime(2026, 3, 8, 7, 30, tzinfo=UTC), datetime(2026, 3, 9, 6, 30, tzinfo=UTC),
                     datetime(2026, 3, 10, 6, 30, tzinfo=UTC)]


def test_crontab_weekdays_count_sunday_as_zero():
    # APScheduler 3 counts 0 as Monday; the timetable speaks crontab.
    assert crontab_weekdays("0") == crontab_weekdays("7") == "sun"
    assert crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_weekdays("*/2") == "sun,tue,thu,sat"
    trigger = cron_trigger("0 1 * * 0", "UTC")
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    assert fire.strftime("%A") == "Sunday"


# --- runs ----------------------------------------------------------------------


def test_scheduler_crawls_twice_and_stops_cleanly(tmp_path: Path, site: Site, env: dict[str, str]):
    build_site(site)
    timetable = write_timetable(tmp_path / "timetable.toml", "*/6 * * * * *")
    proc = subprocess.Popen([sys.executable, "-m", "schedules", "--timetable", str(timetable)],
                            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        two = wait_for(lambda: [r[0] for r in runs(env)].count("finished") >= 2, timeout=90)
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=90)[0]
    assert two, output
    assert proc.returncode == 0, output
    assert "Scheduler stopped" in output
    done = runs(env)
    finished = [r for r in done if r[0] == "finished"]
    assert len(finished) >= 2
    assert all(r[1] == "schedule" for r in done)
    assert finished[0][2] == len(ARTICLES)  # first run: new articles
    assert finished[1][2] == 0  # second: nothing new
    # A crawl caught by the shutdown ends as interrupted, never "running".
    assert {r[0] for r in done} <= {"finished", "interrupted"}
    total, distinct = article_count(env)
    assert total == distinct == len(ARTICLES)


def test_crawl_over_its_time_limit_ends_as_timeout(site: Site, env: dict[str, str]):
    build_site(site, delay=30)
    result = run_crawl(loopback(env), {}, 4, env["DEMARCHE_ARCHIVE_URL"],
                       settings={**FAST, "DOWNLOAD_TIMEOUT": "60"}, logs=Path(env["DEMARCHE_LOG_DIR"]))
    assert result.status == "timeout"
    assert result.seconds < 4 + 35  # SIGTERM, then at most the stop grace
    ((status, trigger, _new, _unchanged, log_tail),) = runs(env)
    assert status == "timeout"
    assert trigger == "schedule"
    assert "loopback_news" in log_tail  # the crawl's own log, for the post-mortem


def test_crawl_that_cannot_start_is_failed_with_its_log(env: dict[str, str]):
    result = run_crawl(loopback(env), {"since": "yesterday"}, 60, env["DEMARCHE_ARCHIVE_URL"],
                       logs=Path(env["DEMARCHE_LOG_DIR"]))
    assert result.status == "failed"
    ((status, _, _, _, log_tail),) = runs(env)
    assert status == "failed"
    assert "since" in log_tail


def test_run_now_goes_through_the_same_path(tmp_path: Path, site: Site, env: dict[str, str]):
    build_site(site)
    timetable = write_timetable(tmp_path / "timetable.toml", "0 3 * * *")
    proc = subprocess.run(
        [sys.executable, "-m", "schedules", "--timetable", str(timetable), "--run-now",
         "loopback_news"], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
        text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "finished" in proc.stdout
    assert [(r[0], r[1], r[2]) for r in runs(env)] == [("finished", "manual", len(ARTICLES))]


def test_overlapping_run_is_skipped_and_logged(tmp_path: Path, site: Site, env: dict[str, str],
                                               caplog: pytest.LogCaptureFixture):
    build_site(site, delay=3)  # each crawl takes several seconds
    timetable = load_timetable(write_timetable(tmp_path / "t.toml", "* * * * * *"),
                               load_sources(env["DEMARCHE_SOURCES"], allow_private_addresses=True))
    skipped: list[str] = []
    scheduler = create_scheduler(timetable, {"loopback_news": "127.0.0.1"},
                                 env["DEMARCHE_ARCHIVE_URL"], env["DEMARCHE_SOURCES"],
                                 env["DEMARCHE_LOG_DIR"], BackgroundScheduler)
    scheduler.add_listener(lambda e: skipped.append(e.job_id), EVENT_JOB_MAX_INSTANCES)
    caplog.set_level(logging.WARNING, logger="schedules.scheduler")
    scheduler.start()
    try:
        assert wait_for(lambda: skipped, timeout=30)
    finally:
        scheduler.shutdown(wait=True)
    assert skipped[0] == "job:fast"
    assert "previous run is still going" in caplog.text
    assert [r[0] for r in runs(env)].count("running") == 0
    # Never two crawls of the job at once: every run began after the last ended.
    path = env["DEMARCHE_ARCHIVE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        spans = db.execute("SELECT started_at, finished_at FROM crawl_runs ORDER BY id").fetchall()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end


def test_the_job_store_makes_the_archive_in_wal(tmp_path: Path, site: Site, env: dict[str, str]):
    """WAL from the start, as crawls make it: no job switches the mode under a lock."""
    registry = load_sources(env["DEMARCHE_SOURCES"], allow_private_addresses=True)
    timetable = load_timetable(write_timetable(tmp_path / "t.toml", "0 3 * * *"), registry)
    scheduler = create_scheduler(timetable, {"loopback_news": "127.0.0.1"},
                                 env["DEMARCHE_ARCHIVE_URL"], env["DEMARCHE_SOURCES"],
                                 env["DEMARCHE_LOG_DIR"], BackgroundScheduler)
    scheduler.start(paused=True)
    scheduler.shutdown()
    with sqlite3.connect(tmp_path / "archive.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM crawl_runs").fetchone() == (0,)


def test_missed_run_is_caught_up_once_after_a_restart(tmp_path: Path, site: Site,
                                                      env: dict[str, str]):
    build_site(site)
    # Two fire times, ahead of a loaded machine's store; down for both.
    first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    second = first + timedelta(seconds=1)
    cron = (f"{first.second},{second.second} {first.minute},{second.minute} "
            f"{first.hour},{second.hour} {first.day} {first.month} *")
    registry = load_sources(env["DEMARCHE_SOURCES"], allow_private_addresses=True)
    timetable = load_timetable(write_timetable(tmp_path / "t.toml", cron), registry)
    domains = {"loopback_news": "127.0.0.1"}

    down = create_scheduler(timetable, domains, env["DEMARCHE_ARCHIVE_URL"],
                            env["DEMARCHE_SOURCES"], env["DEMARCHE_LOG_DIR"], BackgroundScheduler)
    down.start(paused=True)  # stores the job and its next run time, runs nothing
    assert down.get_job("job:fast").next_run_time == first
    down.shutdown()
    time.sleep((second - datetime.now(UTC)).total_seconds() + 1.5)
    assert runs(env) == []  # nothing ran while down

    back = create_scheduler(timetable, domains, env["DEMARCHE_ARCHIVE_URL"],
                            env["DEMARCHE_SOURCES"], env["DEMARCHE_LOG_DIR"], BackgroundScheduler)
    back.start()
    try:
        assert wait_for(lambda: [r[0] for r in runs(env)] == ["finished"], timeout=60)
        time.sleep(3)  # a second catch-up would have started by now
    finally:
        back.shutdown(wait=True)
    assert [r[0] for r in runs(env)] == ["finished"]


def test_status_reports_health_from_the_ledger(tmp_path: Path, site: Site, env: dict[str, str]):
    build_site(site)
    for _ in range(3):
        assert run_crawl(loopback(env), {}, 60, env["DEMARCHE_ARCHIVE_URL"],
                         settings=FAST, logs=Path(env["DEMARCHE_LOG_DIR"])).status == "finished"
    out = subprocess.run([sys.executable, "-m", "cli", "status"], cwd=ROOT, check=True,
                         env={**os.environ, **env}, capture_output=True, text=True).stdout
    row = next(line for line in out.splitlines() if line.startswith("loopback_news"))
    # Two runs in a row found nothing new: not yet quiet (3 by default).
    assert " ok " in f" {row} " and str(len(ARTICLES)) in row.split()
    assert socket.gethostname() in row.split(), out  # the machine, kept past the run's end
    assert run_crawl(loopback(env), {}, 60, env["DEMARCHE_ARCHIVE_URL"],
                     settings=FAST, logs=Path(env["DEMARCHE_LOG_DIR"])).status == "finished"
    out = subprocess.run([sys.executable, "-m", "cli", "status"], cwd=ROOT,
                         env={**os.environ, **env}, capture_output=True, text=True,
                         check=True).stdout
    assert "quiet (3 runs without a new article)" in out
    site.routes.clear()  # the site goes away: runs fail
    failing = run_crawl(loopback(env), {}, 60, env["DEMARCHE_ARCHIVE_URL"], settings=FAST,
                        logs=Path(env["DEMARCHE_LOG_DIR"]))
    out = subprocess.run([sys.executable, "-m", "cli", "status"], cwd=ROOT,
                         env={**os.environ, **env}, capture_output=True, text=True,
                         check=True).stdout
    assert failing.status == "failed", out
    # With the reason (issue 14, point 12): every page a 404.
    assert "failing (1 failed run in a row: nothing fetched: HTTP 404" in " ".join(out.split())
    assert failing.why.startswith("nothing fetched: HTTP 404"), failing.why
    coverage = json.loads(sqlite3.connect(env["DEMARCHE_ARCHIVE_URL"].removeprefix("sqlite:///"))
                          .execute("SELECT coverage FROM crawl_runs WHERE id = 1").fetchone()[0])
    assert coverage == {"pages": 2, "date": 1.0, "title": 1.0, "body": 0.0}


def test_sigterm_interrupts_a_running_crawl_and_records_it(tmp_path: Path, site: Site,
                                                           env: dict[str, str]):
    build_site(site, delay=20)  # the crawl is still fetching when we stop
    timetable = write_timetable(tmp_path / "timetable.toml", "*/2 * * * * *")
    proc = subprocess.Popen([sys.executable, "-m", "schedules", "--timetable", str(timetable)],
                            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        started = wait_for(lambda: [r[0] for r in runs(env)] == ["running"], timeout=60)
        time.sleep(2)  # the crawl process is up and waiting on the slow pages
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=120)[0]
    assert started, output
    assert proc.returncode == 0, output
    assert [r[0] for r in runs(env)] == ["interrupted"], output
