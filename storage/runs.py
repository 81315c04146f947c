"""The run ledger beyond one crawl: runs opened by the scheduler before
their crawl starts, outcomes only the scheduler knows (timeout, a crawl that
died), the domain lock that keeps two machines off one site, and the
extraction coverage of a run against the runs before it.

Functions take a Session and never commit.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from storage.bounds import clean_text
from storage.models import Article, CrawlRun

# A body shorter than this counts against coverage: a caption or a teaser
# where a statement should be.
FULL_BODY_CHARS = 400
# A coverage share this far (absolute) under the median of the previous
# runs flags the run: the site changed its template or started blocking.
COVERAGE_DROP = 0.2
# Fewer pages than this say nothing about coverage.
COVERAGE_MIN_PAGES = 5
COVERAGE_HISTORY = 5
# A run left ``running`` by a process on another machine, or by one whose
# process id was never recorded, is taken for lost after this long: longer
# than any time limit a timetable may set (schedules/timetable.py caps jobs
# well under a day).
LOST_AFTER = timedelta(hours=24)
# Hashed with the domain into each advisory-lock key (one 64-bit number), so
# that a key of another application's advisory locks on the same database is
# unlikely to equal ours: a clash would only make two crawls take turns.
_LOCK_NAMESPACE = b"demarche:domain:"


def this_process(worker: str | None = None) -> dict[str, object]:
    """What a run records of the process that crawls it, so that a later
    run can tell whether that process is still alive; ``worker`` is the
    Celery worker that ran the job, when one did."""
    process: dict[str, object] = {"host": socket.gethostname(), "pid": os.getpid()}
    if worker:
        process["worker"] = worker
    return process


def machine_of(run: CrawlRun) -> str | None:
    """The worker (else the host) that crawled ``run``, as recorded."""
    process = (run.stats or {}).get("demarche/process")
    if not isinstance(process, dict):
        return None
    return process.get("worker") or process.get("host")


def site_of(domains: Sequence[str], key: str) -> str:
    """The site a source is crawled on: one crawl at a time per site
    (schedules.timetable groups nightly jobs by the same rule)."""
    return domains[0].removeprefix("www.") if domains else key


def domain_lock_key(domain: str) -> int:
    """The PostgreSQL advisory-lock key (a signed 64-bit integer) of a site."""
    digest = hashlib.blake2b(_LOCK_NAMESPACE + domain.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def take_domain_lock(connection: Connection, domain: str) -> bool:
    """Take the site's lock for the life of ``connection``'s database
    session, if no other session holds it. PostgreSQL only."""
    return bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                   {"key": domain_lock_key(domain)}).scalar())


def release_domain_lock(connection: Connection, domain: str) -> None:
    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": domain_lock_key(domain)})


def domain_is_free(connection: Connection, domain: str) -> bool:
    """Whether no crawl holds the site's lock now (taken and given back at
    once). PostgreSQL only."""
    if not take_domain_lock(connection, domain):
        return False
    release_domain_lock(connection, domain)
    return True


def mark_site_lock(session: Session, source: str, process: Mapping[str, object],
                   domain: str, locked_at: datetime) -> None:
    """Record in the running run of ``source`` crawled by ``process`` that
    its crawl holds the lock of ``domain``, so that the run is known lost
    once that lock is free. The run starts when its crawl got the site
    (``locked_at``), not when its row was opened before the crawl process
    started or while it waited for another crawl: so the ledger's runs of
    one site never overlap (a wait is in the run's stats)."""
    query = select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.source == source)
    for run in session.scalars(query):
        recorded = (run.stats or {}).get("demarche/process") or {}
        if recorded.get("host") == process["host"] and recorded.get("pid") == process["pid"]:
            run.stats = {**run.stats, "demarche/process": {**recorded, "site_lock": domain}}
            run.started_at = locked_at


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def close_lost_runs(session: Session, now: datetime, *, source: str | None = None,
                    alive: Callable[[int], bool] = _alive) -> list[int]:
    """Close as ``lost`` the runs still ``running`` whose crawl is gone: a
    process of this machine that no longer exists; on PostgreSQL, a run of
    another machine whose crawl took its site's lock (``mark_site_lock``)
    and whose lock nobody holds now (the crawl held it until it died:
    crawler/extensions/domain_lock.py); else a run started more than
    ``LOST_AFTER`` ago. Returns their ids."""
    query = select(CrawlRun).where(CrawlRun.status == "running")
    if source is not None:
        query = query.where(CrawlRun.source == source)
    host = socket.gethostname()
    locks = _on_postgresql(session)
    lost = []
    for run in session.scalars(query).all():
        proc = (run.stats or {}).get("demarche/process") or {}
        started = run.started_at if run.started_at.tzinfo else run.started_at.replace(
            tzinfo=now.tzinfo)
        if proc.get("host") == host and isinstance(proc.get("pid"), int):
            gone = proc["pid"] != os.getpid() and not alive(proc["pid"])
        elif locks and isinstance(proc.get("site_lock"), str):
            # Its crawl took the site's lock (and said so): a free lock
            # means that crawl is gone, with its machine.
            gone = domain_is_free(session.connection(), proc["site_lock"])
        else:
            gone = now - started > LOST_AFTER
        if gone:
            run.status = "lost"
            run.finish_reason = "lost"
            run.finished_at = now
            lost.append(run.id)
    return lost


def open_run(session: Session, source: str, trigger: str, now: datetime,
             process: Mapping[str, object] | None = None) -> int:
    """A ``running`` row made before the crawl process starts, so that a
    crawl killed for its time limit still has a row to end in; ``process``
    is the process that starts the crawl (``this_process()``) until the
    crawl records its own."""
    stats = {"demarche/process": dict(process)} if process else {}
    run = CrawlRun(source=source, started_at=now, status="running", args={}, stats=stats,
                   trigger=trigger)
    session.add(run)
    session.flush()
    return run.id


def get_run(session: Session, run_id: int) -> CrawlRun:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} is not in the archive")
    return run


def end_run(session: Session, run_id: int, *, status: str, finished_at: datetime,
            log_tail: str | None = None, reason: str | None = None,
            worker: str | None = None) -> None:
    """Close a run from outside the crawl: the crawl was stopped or died.

    A status the crawl wrote itself is kept unless the outside knows better
    (``timeout``: the crawl saw only a shutdown request). ``worker``, the
    Celery worker that ran the job, is kept in the run's process record
    (the crawl's own stats replace the record the ledger started with).
    """
    run = get_run(session, run_id)
    if worker:
        process = (run.stats or {}).get("demarche/process")
        process = dict(process) if isinstance(process, dict) else {"host": socket.gethostname()}
        # A new dict: JSON columns see reassignment, not changes in place.
        run.stats = {**(run.stats or {}), "demarche/process": {**process, "worker": worker}}
    if run.status == "running" or status == "timeout":
        run.status = status
        run.finish_reason = reason or run.finish_reason or status
        run.finished_at = run.finished_at or finished_at
    if log_tail is not None and run.status != "finished":
        # A crawl's log may hold anything a site sent (a NUL byte stops a
        # PostgreSQL write): cleaned like every other text.
        run.log_tail = clean_text(log_tail)


def run_coverage(session: Session, source: str, since: datetime,
                 rejected: int) -> dict[str, float] | None:
    """Share of the run's article pages with a date, a title and a full body.

    The run's pages are the articles it saw (``last_seen_at`` from its start)
    plus the pages it could not archive (``rejected``).
    """
    seen = select(
        func.count(),
        func.count(Article.published_at),
        func.count().filter(Article.title != ""),
        func.count().filter(func.length(Article.body) >= FULL_BODY_CHARS),
    ).where(Article.source == source, Article.last_seen_at >= since)
    total, dated, titled, full = session.execute(seen).one()
    pages = total + rejected
    if pages == 0:
        return None
    return {"pages": pages, "date": dated / pages, "title": titled / pages, "body": full / pages}


def coverage_flags(session: Session, source: str, run_id: int,
                   coverage: Mapping[str, float] | None) -> list[str]:
    """``coverage_drop:<field>`` for each share well under the recent runs'."""
    if not coverage or coverage["pages"] < COVERAGE_MIN_PAGES:
        return []
    earlier = session.scalars(
        select(CrawlRun.coverage)
        .where(CrawlRun.source == source, CrawlRun.id != run_id, CrawlRun.status == "finished",
               CrawlRun.coverage.is_not(None))
        .order_by(CrawlRun.id.desc())
        .limit(COVERAGE_HISTORY)
    ).all()
    earlier = [c for c in earlier if c and c.get("pages", 0) >= COVERAGE_MIN_PAGES]
    if not earlier:
        return []
    return [
        f"coverage_drop:{field}"
        for field in ("date", "title", "body")
        if coverage[field] < median(c[field] for c in earlier) - COVERAGE_DROP
    ]


def start_run(session: Session, source: str, args: Mapping[str, str], now: datetime) -> int:
    run = CrawlRun(source=source, started_at=now, status="running", args=dict(args), stats={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    finish_reason: str | None,
    finished_at: datetime,
    counts: Mapping[str, int],
    stats: Mapping[str, object],
) -> None:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} is not in the archive")
    run.status = status
    run.finish_reason = finish_reason
    run.finished_at = finished_at
    run.pages = counts.get("pages", 0)
    run.articles_new = counts.get("new", 0)
    run.articles_changed = counts.get("changed", 0)
    run.articles_unchanged = counts.get("unchanged", 0)
    run.errors = counts.get("errors", 0)
    # Added to what the run recorded when it started (its process, the
    # site it locked): ``machine_of`` reads the process from there.
    run.stats = {**(run.stats or {}), **{k: _jsonable(v) for k, v in stats.items()}}


def _jsonable(value: object) -> object:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
