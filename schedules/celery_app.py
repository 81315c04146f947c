"""The Celery app of the crawl machines: ``celery -A schedules.celery_app
worker -Q crawl``.

``python -m schedules`` puts one job per source on the ``crawl`` queue of
the Redis broker (DEMARCHE_BROKER_URL); each worker runs them one at a time
as today's crawl subprocess (schedules/tasks.py). A job is acknowledged
only when its crawl is over (``task_acks_late``), and a job whose worker
died goes back to the queue (``task_reject_on_worker_lost``); a job whose
whole machine died is handed out again by Redis once its visibility timeout
passes, so that timeout is longer than any crawl may take (the longest time
limit of the timetable, the crawl's stop grace, and a margin), and no
longer: a dead machine's job comes back within minutes of its limit, not
hours. A worker process reserves no job beyond the one it runs
(``worker_prefetch_multiplier``), so queued jobs go to whichever machine is
free; only a job re-queued with a delay (its site was busy) waits out its
delay in a worker's hands.

Workers refuse a SQLite archive: a file on one machine is no archive for
several.
"""

from __future__ import annotations

import logging

from celery import Celery, signals

from crawler.runner import project_settings
from crawler.sources import registry_of
from schedules.runs import STOP_GRACE_SECONDS
from schedules.timetable import load_timetable
from storage.engine import describe, sqlite_file

logger = logging.getLogger(__name__)

QUEUE = "crawl"
# Added to the longest time limit: the crawl's stop grace, and time for a
# busy machine to start the crawl and write its ledger row.
VISIBILITY_MARGIN_SECONDS = 15 * 60


class BrokerError(RuntimeError):
    """The broker or the archive cannot serve crawls on several machines."""


def visibility_timeout(settings) -> float:  # type: ignore[no-untyped-def]
    """DEMARCHE_VISIBILITY_TIMEOUT, else the bundled timetable's longest time
    limit plus the margins."""
    chosen = settings.getfloat("DEMARCHE_VISIBILITY_TIMEOUT")
    if chosen > 0:
        return chosen
    timetable = load_timetable(None, registry_of(settings))
    longest = max((job.time_limit for job in timetable.jobs), default=2 * 3600)
    return longest + STOP_GRACE_SECONDS + VISIBILITY_MARGIN_SECONDS


def check_archive(url: str) -> None:
    """Refuse an archive that the machines cannot share."""
    if sqlite_file(url) is not None or url.startswith("sqlite"):
        raise BrokerError(
            f"the archive {describe(url)} is a SQLite file, which only this machine can "
            "write: crawls on several machines need one PostgreSQL archive that all of them "
            "reach (DEMARCHE_ARCHIVE_URL=postgresql+psycopg://...; see docs/deploy.md)")


def make_app(settings=None) -> Celery:  # type: ignore[no-untyped-def]
    settings = settings or project_settings()
    broker = settings.get("DEMARCHE_BROKER_URL") or ""
    timeout = visibility_timeout(settings)
    app = Celery("demarche", broker=broker or None, include=["schedules.tasks"])
    app.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Crawls write the ledger; no result backend is needed.
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": timeout,
            # Kombu looks for overdue jobs every interval x throttle seconds
            # (100 s by default): every few seconds here, cheap for Redis.
            "unacked_restore_interval": max(1, min(10, int(timeout // 10))),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
    )
    return app


app = make_app()


@signals.worker_init.connect
def _refuse_sqlite(**_kwargs: object) -> None:
    settings = project_settings()
    if not settings.get("DEMARCHE_BROKER_URL"):
        raise SystemExit("demarche worker: DEMARCHE_BROKER_URL is not set: the worker would "
                         "not know where to take crawl jobs from (redis://HOST:6379/0)")
    try:
        check_archive(settings.get("DEMARCHE_ARCHIVE_URL"))
    except BrokerError as exc:
        raise SystemExit(f"demarche worker: {exc}") from None
