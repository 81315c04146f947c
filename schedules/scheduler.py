"""The APScheduler side: jobs from the timetable, stored in the archive.

Jobs live in the archive database (``SQLAlchemyJobStore``), so the
scheduler remembers, across restarts, when each job should have run next:
a night missed while the machine was down is run once when it comes back
(``coalesce``, ``misfire_grace_time``), never once per missed night. Each
job has an explicit id and is written with ``replace_existing=True`` on
every start, keeping its stored next run time when its trigger did not
change; jobs gone from the timetable are removed. ``max_instances=1``:
a run still going when its next fire time comes makes that fire time be
skipped and logged.

With a broker (DEMARCHE_BROKER_URL), a job only queues its sources for the
crawl machines (schedules/tasks.py) and returns at once: this process stays
the one producer, and never crawls itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from crawler.runner import project_settings
from crawler.sources import registry_of
from schedules.runs import is_stopping, run_crawl
from schedules.timetable import Job, Timetable
from storage.engine import open_archive

logger = logging.getLogger(__name__)

JOBS_TABLE = "scheduler_jobs"
# Jobs of different domains may run at once; one domain's never do.
MAX_PARALLEL_JOBS = 4

_domain_locks: dict[str, threading.Lock] = {}
_domain_locks_guard = threading.Lock()


def _domain_lock(domain: str) -> threading.Lock:
    with _domain_locks_guard:
        return _domain_locks.setdefault(domain, threading.Lock())


def run_job(job_id: str, sources: list[list[str]], args: dict[str, str], time_limit: float,
            archive_url: str, settings: dict[str, str] | None = None,
            registry: str | None = None, logs: str | None = None) -> None:
    """A timetable job: its sources crawled one after another.

    ``sources`` pairs each key with its domain: a crawl waits while another
    job crawls the same domain, so explicit jobs cannot overlap a site either.
    ``registry`` is the source registry file the scheduler was started with.
    """
    # Checked with the scheduler's own rule on private addresses, the one
    # its crawls inherit (a timetable cannot change it).
    rows = registry_of(project_settings({"DEMARCHE_SOURCES": registry or ""}))
    for key, domain in sources:
        if is_stopping():
            break
        if key not in rows:
            logger.error("Job %s: source %s is no longer in the registry", job_id, key)
            continue
        with _domain_lock(domain):
            run_crawl(rows[key], args, time_limit, archive_url, trigger="schedule",
                      settings={**(settings or {}), "DEMARCHE_SOURCES": registry or ""},
                      logs=Path(logs) if logs else None)
    logger.info("Job %s done", job_id)


def enqueue_job(job_id: str, sources: list[list[str]], args: dict[str, str], time_limit: float,
                archive_url: str, settings: dict[str, str] | None = None,
                registry: str | None = None, logs: str | None = None) -> None:
    """A timetable job on the crawl machines: one queued job per source.

    Each worker crawls with its own archive, registry and log settings;
    the scheduler's are not sent (they may hold a password).
    """
    from schedules.tasks import enqueue

    ids = enqueue(job_id, sources, args, time_limit, settings or {})
    logger.info("Job %s: queued %s", job_id,
                ", ".join(f"{key} ({task})" for (key, _), task in zip(sources, ids, strict=True)))


def job_kwargs(job: Job, domains: dict[str, str], archive_url: str,
               registry: str | None, logs: str | None) -> dict[str, object]:
    return {
        "job_id": job.id,
        "sources": [[key, domains[key]] for key in job.sources],
        "args": dict(job.args),
        "time_limit": job.time_limit,
        "archive_url": archive_url,
        "settings": dict(job.settings),
        "registry": registry,
        "logs": logs,
    }


def _sync_jobs(scheduler: BaseScheduler, timetable: Timetable, domains: dict[str, str],
               archive_url: str, registry: str | None, logs: str | None,
               queued: bool = False) -> None:
    wanted = {job.id for job in timetable.jobs}
    for stored in scheduler.get_jobs():
        if stored.id not in wanted:
            logger.info("Removing job %s: no longer in the timetable", stored.id)
            stored.remove()
    for job in timetable.jobs:
        trigger = job.trigger()
        stored = scheduler.get_job(job.id)
        options = {}
        if stored is not None and str(stored.trigger) == str(trigger) and stored.next_run_time:
            # Keep the stored next run: if it passed while we were down,
            # APScheduler runs it once now (within the misfire grace).
            options["next_run_time"] = stored.next_run_time
        scheduler.add_job(
            "schedules.scheduler:enqueue_job" if queued else "schedules.scheduler:run_job",
            trigger=trigger,
            id=job.id,
            name=f"{job.id} ({', '.join(job.sources)})",
            kwargs=job_kwargs(job, domains, archive_url, registry, logs),
            replace_existing=True,
            **options,
        )


def _log_skipped(event: JobSubmissionEvent) -> None:
    logger.warning("Job %s skipped at %s: its previous run is still going",
                   event.job_id, event.scheduled_run_times)


def _log_missed(event: JobSubmissionEvent) -> None:
    logger.warning("Job %s missed its run at %s (past the misfire grace); next one as planned",
                   event.job_id, event.scheduled_run_time)


def create_scheduler(timetable: Timetable, domains: dict[str, str], archive_url: str,
                     registry: str | None = None, logs: str | None = None,
                     scheduler_class: Callable[..., BaseScheduler] = BlockingScheduler,
                     queued: bool = False) -> BaseScheduler:
    """A scheduler whose jobs are synchronised with ``timetable`` on start.

    ``domains`` maps each source key to the domain it is crawled on;
    ``registry`` is the source registry file (None: the bundled one);
    ``logs`` the folder for crawl logs (None: the setting); ``queued``:
    jobs go to the broker's workers instead of running here. Tests
    pass ``BackgroundScheduler`` to drive the same configuration.
    """
    # The job store writes through the archive's own engine: the archive
    # is made (in WAL, at the current schema) before the store's table, and
    # a job's first ledger write never finds a file in another journal mode
    # that only a lock-free moment could switch ("database is locked" at
    # once, without the busy wait: a missed night, seen in a test).
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=open_archive(archive_url),
                                                 tablename=JOBS_TABLE)},
        executors={"default": ThreadPoolExecutor(MAX_PARALLEL_JOBS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": timetable.misfire_grace,
        },
        timezone=UTC,
    )

    def on_start(_event: SchedulerEvent) -> None:
        # The job store is open only once the scheduler starts; syncing here
        # lets the stored next run times be read before anything fires.
        _sync_jobs(scheduler, timetable, domains, archive_url, registry, logs, queued)
        for job in scheduler.get_jobs():
            logger.info("Job %s: next run %s", job.name, job.next_run_time)

    scheduler.add_listener(on_start, EVENT_SCHEDULER_STARTED)
    scheduler.add_listener(_log_skipped, EVENT_JOB_MAX_INSTANCES)
    scheduler.add_listener(_log_missed, EVENT_JOB_MISSED)
    return scheduler
