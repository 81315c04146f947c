"""One scheduled crawl: a ``scrapy crawl`` subprocess with a time limit.

Twisted's reactor cannot be started twice in one process, so every crawl
is a process of its own. The scheduler opens the run's ``crawl_runs`` row
first and hands its id to the crawl (``-s DEMARCHE_RUN_ID``), whose ledger
fills it in; whatever the crawl could not write itself (it overran its
limit, it died, it was stopped with the scheduler) is written here, with
the tail of its log.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from crawler.ingest.workers import die_with_parent
from crawler.sources import Source
from storage.archive import sync_sources
from storage.engine import open_archive, project_root
from storage.runs import end_run, get_run, open_run, this_process

logger = logging.getLogger(__name__)

# After SIGTERM Scrapy closes the spider cleanly (pending batches written,
# the ledger row closed); past this it is killed.
STOP_GRACE_SECONDS = 30
LOG_TAIL_LINES = 40
# Run logs kept per source in the log folder; older ones are deleted.
LOGS_KEPT = 30

# Crawls running in this process, so that a shutdown can stop them.
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()
_stopping = threading.Event()


@dataclass(frozen=True)
class RunResult:
    run_id: int
    source: str
    status: str
    seconds: float
    returncode: int | None
    why: str = ""  # why the run did not finish, in one line


def log_dir() -> Path:
    from crawler.runner import project_settings

    return Path(project_settings().get("DEMARCHE_LOG_DIR") or project_root() / "logs")


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _prune_logs(folder: Path, source: str) -> None:
    logs = sorted(folder.glob(f"{source}-*.log"), key=lambda p: p.stat().st_mtime)
    for old in logs[:-LOGS_KEPT]:
        old.unlink(missing_ok=True)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (Scrapy shuts down cleanly), then SIGKILL after the grace."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start(command: list[str], log: IO[bytes], worker: str | None) -> subprocess.Popen:
    """The crawl's process. Under the scheduler, a session of its own: Ctrl-C
    in a terminal reaches the scheduler only, which then stops the crawl once
    (a second signal would make Scrapy quit without closing cleanly). Under a
    Celery worker, the worker's process group, and killed by the kernel when
    the pool process running the job dies, however it dies (the whole
    group, the pool child alone, the machine): an orphaned crawl would keep
    the site's lock with no time limit watching it. The lock is freed and
    the broker gives the job to another worker."""
    if worker is None:
        return subprocess.Popen(command, cwd=project_root(), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    return subprocess.Popen(command, cwd=project_root(), stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                            preexec_fn=functools.partial(die_with_parent, os.getpid()))


def run_crawl(source: Source, args: Mapping[str, str], time_limit: float, archive_url: str,
              *, trigger: str = "schedule", settings: Mapping[str, str] | None = None,
              logs: Path | None = None, worker: str | None = None,
              opened: Callable[[int], None] | None = None) -> RunResult:
    """Crawl ``source`` in a subprocess, at most ``time_limit`` seconds; its
    log goes to ``logs`` (default: the DEMARCHE_LOG_DIR setting).

    ``worker`` is the Celery worker running the job (schedules/tasks.py),
    recorded in the run; ``opened`` is told the run's id before the crawl
    starts.
    """
    engine = open_archive(archive_url)
    started = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        sync_sources(session, [source], started)
        run_id = open_run(session, source.key, trigger, started, this_process(worker))
    if opened is not None:
        opened(run_id)
    key = source.key
    folder = logs or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"{key}-{run_id}.log"
    command = [sys.executable, "-m", "scrapy", "crawl", key,
               "-s", f"DEMARCHE_RUN_ID={run_id}", "-s", f"DEMARCHE_ARCHIVE_URL={archive_url}"]
    for name, value in (settings or {}).items():
        command += ["-s", f"{name}={value}"]
    for name, value in args.items():
        command += ["-a", f"{name}={value}"]
    status = None
    clock = time.monotonic()
    with log_path.open("wb") as log:
        process = _start(command, log, worker)
        with _running_lock:
            _running.add(process)
        try:
            if _stopping.is_set():
                _stop(process)
            process.wait(time_limit)
        except subprocess.TimeoutExpired:
            logger.warning("Crawl of %s (run %d) passed its %.0f s limit; stopping it",
                           key, run_id, time_limit)
            status = "timeout"
            _stop(process)
        finally:
            with _running_lock:
                _running.discard(process)
    seconds = time.monotonic() - clock
    if status is None and _stopping.is_set():
        status = "interrupted"
    with Session(engine) as session, session.begin():
        run = get_run(session, run_id)
        if status is None and run.status == "running":
            # The crawl ended without closing its row: it died, or failed
            # before its spider opened (bad arguments, unreadable archive).
            status = "failed"
        end_run(session, run_id, status=status or run.status, finished_at=datetime.now(UTC),
                log_tail=_tail(log_path), worker=worker)
        run = get_run(session, run_id)
        final = run.status
        why = failure_of(run)
    _prune_logs(folder, key)
    logger.info("Crawl of %s (run %d): %s in %.1f s%s", key, run_id, final, seconds,
                f": {why}" if why else "")
    return RunResult(run_id, key, final, seconds, process.returncode, why)


def failure_of(run) -> str:  # type: ignore[no-untyped-def]
    """Why a run did not finish, in one line: what its crawl said
    (``demarche/why``), else the last line of its log."""
    if run.status == "finished":
        return ""
    why = (run.stats or {}).get("demarche/why")
    if why:
        return str(why)
    if run.status == "timeout":
        return "passed its time limit"
    tail = [line for line in (run.log_tail or "").splitlines() if line.strip()]
    return tail[-1].strip()[:300] if tail else run.finish_reason or run.status


def is_stopping() -> bool:
    return _stopping.is_set()


def stop_all() -> None:
    """Stop the running crawls and refuse new ones (scheduler shutdown)."""
    _stopping.set()
    with _running_lock:
        processes = list(_running)
    for process in processes:
        _stop(process)
