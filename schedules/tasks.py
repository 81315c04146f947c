"""The crawl job of the workers: one source, crawled as today's crawl
subprocess (schedules.runs.run_crawl), and the producer's side that queues
a timetable job as one such job per source.

A job may reach a worker more than once: Redis hands out again a job whose
worker went silent past the visibility timeout, and a job re-queued for a
busy site comes back. So the first delivery to start a crawl claims the
job in Redis (``SET NX``) and records its run there; a later delivery of
the same job reads that record and the ledger: the run ended (nothing to
do), is still crawling (its site's lock is held: check back later), or
was lost with its machine (the lock is free: close the run as ``lost`` and
crawl again; so too when its run already ended ``lost`` or
``interrupted``). A job whose site another crawl holds is re-queued, and
says so in the worker's log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from celery import Task
from sqlalchemy.orm import Session

from crawler.runner import project_settings
from crawler.sources import registry_of
from schedules.celery_app import QUEUE, app, check_archive
from schedules.runs import run_crawl
from storage.engine import open_archive
from storage.runs import domain_is_free, end_run, get_run

logger = logging.getLogger(__name__)

# How long a job's claim is kept: well past any night's re-deliveries.
CLAIM_SECONDS = 3 * 24 * 3600
# A delivered job whose run ended so is crawled again: its machine died,
# or its crawl was stopped with its worker. A run that failed or timed out
# did its try; the next night tries again.
AGAIN = ("lost", "interrupted")
# A claim without a run this old was made by a worker that died before
# it could open the run; younger, that worker may be opening it now.
CLAIM_STARTING_SECONDS = 120


def _claim_key(job: str) -> str:
    return f"demarche:job:{job}"


def busy_retry_seconds() -> float:
    """How long a job whose site is busy waits in the queue: a minute, or
    less under a short visibility timeout (so that the wait never outlasts
    it and the job is not handed out twice)."""
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    return max(1.0, min(60.0, timeout / 4))


def _redis(task: Task):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(task.app.conf.broker_url)


def _earlier_delivery(task: Task, claim: bytes, domain: str, key: str, url: str) -> bool:
    """What to do with a job another delivery already claimed: True to crawl
    now; otherwise it raises Retry or returns False (nothing to do)."""
    record = json.loads(claim)
    run_id, who = record.get("run"), record.get("worker")
    engine = open_archive(url)
    if run_id is None:
        if time.time() - record.get("at", 0) < CLAIM_STARTING_SECONDS:
            logger.info("Job %s (%s) is being started by %s: checking back later",
                        task.request.id, key, who)
            raise task.retry(countdown=busy_retry_seconds())
        logger.warning("Job %s (%s): %s claimed it but never started a crawl: crawling",
                       task.request.id, key, who)
        return True
    with Session(engine) as session, session.begin():
        run = get_run(session, run_id)
        if run.status in AGAIN:
            logger.warning("Job %s (%s): run %d on %s ended %s: crawling again",
                           task.request.id, key, run_id, who, run.status)
            return True
        if run.status != "running":
            logger.info("Job %s (%s) already ran as run %d on %s (%s): nothing to do",
                        task.request.id, key, run_id, who, run.status)
            return False
        if not domain_is_free(session.connection(), domain):
            logger.info("Job %s (%s) is still crawling as run %d on %s: checking back later",
                        task.request.id, key, run_id, who)
            raise task.retry(countdown=busy_retry_seconds())
        # Its crawl held the site's lock until it died: the machine is gone.
        end_run(session, run_id, status="lost", reason="lost", finished_at=datetime.now(UTC))
    logger.warning("Job %s (%s): run %d on %s was lost with its worker: crawling again",
                   task.request.id, key, run_id, who)
    return True


@app.task(bind=True, name="demarche.crawl", max_retries=None)
def crawl_source(self: Task, key: str, domain: str, args: Mapping[str, str], time_limit: float,
                 settings: Mapping[str, str], job_id: str = "") -> dict[str, object]:
    """Crawl one source of a timetable job on this worker's machine.

    The archive, the registry, the log folder and the WARC folder are the
    worker's own settings (the same archive on every machine; see
    docs/deploy.md); the job brings its spider arguments and settings.
    """
    worker = self.request.hostname or "worker"
    mine = project_settings()
    url = mine.get("DEMARCHE_ARCHIVE_URL")
    check_archive(url)
    rows = registry_of(mine)
    if key not in rows:
        logger.error("Job %s (%s): source %s is not in this worker's registry", job_id,
                     self.request.id, key)
        return {"source": key, "status": "unknown source"}
    client = _redis(self)
    claim_key = _claim_key(self.request.id)
    claim = json.dumps({"worker": worker, "run": None, "at": time.time()})
    earlier = client.get(claim_key)
    if earlier is not None and not _earlier_delivery(self, earlier, domain, key, url):
        return {"source": key, "status": "done before"}
    with Session(open_archive(url)) as session, session.begin():
        free = domain_is_free(session.connection(), domain)
    if not free:
        wait = busy_retry_seconds()
        logger.info("Job %s (%s): site %s is being crawled by another job: re-queued for %.0f s",
                    job_id, key, domain, wait)
        raise self.retry(countdown=wait)
    if earlier is None and not client.set(claim_key, claim, nx=True, ex=CLAIM_SECONDS):
        # Another delivery of this job claimed it a moment ago.
        raise self.retry(countdown=busy_retry_seconds())
    if earlier is not None:
        client.set(claim_key, claim, ex=CLAIM_SECONDS)

    def opened(run_id: int) -> None:
        client.set(claim_key, json.dumps({"worker": worker, "run": run_id, "at": time.time()}),
                   ex=CLAIM_SECONDS)

    crawl_settings = dict(settings)
    crawl_settings["DEMARCHE_SOURCES"] = mine.get("DEMARCHE_SOURCES") or ""
    if mine.get("DEMARCHE_WARC_DIR"):
        # The worker's WARC folder (a shared one: an fsspec URI every machine
        # reads) unless the job names another.
        crawl_settings.setdefault("DEMARCHE_WARC_DIR", mine.get("DEMARCHE_WARC_DIR"))
    logs = mine.get("DEMARCHE_LOG_DIR")
    result = run_crawl(rows[key], args, time_limit, url, trigger="schedule",
                       settings=crawl_settings, logs=Path(logs) if logs else None,
                       worker=worker, opened=opened)
    logger.info("Job %s (%s): run %d %s on %s", job_id, key, result.run_id, result.status, worker)
    if result.status == "interrupted":
        # Stopped from outside (its worker shutting down): another worker
        # takes the job, as it would had the machine died.
        raise self.retry(countdown=busy_retry_seconds())
    return {"source": key, "run": result.run_id, "status": result.status}


def enqueue(job_id: str, sources: list[list[str]], args: Mapping[str, str], time_limit: float,
            settings: Mapping[str, str]) -> list[str]:
    """Queue one crawl job per source of a timetable job; their ids."""
    ids = []
    for key, domain in sources:
        sent = crawl_source.apply_async(
            kwargs={"key": key, "domain": domain, "args": dict(args), "time_limit": time_limit,
                    "settings": dict(settings), "job_id": job_id},
            queue=QUEUE)
        ids.append(sent.id)
    return ids
