"""``python -m schedules``: the nightly crawls, in the foreground.

    python -m schedules                  run the scheduler until SIGTERM / Ctrl-C
    python -m schedules --list           every job and its next run times
    python -m schedules --run-now KEY    one crawl of KEY now, as the scheduler runs it
    python -m schedules --timetable FILE another timetable

The archive (and the job store inside it) is DEMARCHE_ARCHIVE_URL; the
source registry DEMARCHE_SOURCES, as for `scrapy crawl`. With
DEMARCHE_BROKER_URL set, each job is queued for the crawl machines
(`celery -A schedules.celery_app worker -Q crawl`, docs/deploy.md) instead
of crawled here; `--run-now` still crawls here.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from cli.output import exit_status
from crawler.runner import project_settings
from crawler.sources import RegistryError, registry_of
from schedules.runs import run_crawl, stop_all
from schedules.scheduler import create_scheduler
from schedules.timetable import TimetableError, domain_of, load_timetable, next_runs
from storage.engine import ArchiveError, describe, open_archive

logger = logging.getLogger("schedules")


def _print_jobs(timetable, count: int) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    upcoming = next_runs(timetable, now, count)
    print(f"timetable: {timetable.path}")
    for job in timetable.jobs:
        times = ", ".join(t.isoformat(timespec="minutes") for t in upcoming[job.id])
        print(f"{job.id:28} {job.cron:16} {job.timezone:15} limit {job.time_limit / 60:.0f} min")
        print(f"    sources: {', '.join(job.sources)}")
        if job.args:
            print(f"    args: {', '.join(f'{k}={v}' for k, v in job.args.items())}")
        print(f"    next: {times}")


def _check_broker(archive_url: str, timetable) -> None:  # type: ignore[no-untyped-def]
    """Crawls on several machines need an archive they share, and a
    visibility timeout no job outlasts while alive."""
    from schedules.celery_app import app, check_archive
    from schedules.runs import STOP_GRACE_SECONDS

    check_archive(archive_url)
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    longest = max((job.time_limit for job in timetable.jobs), default=0)
    if longest + STOP_GRACE_SECONDS > timeout:
        logger.warning("The longest job (%.0f s) may outlast the broker's visibility timeout "
                       "(%.0f s): set DEMARCHE_VISIBILITY_TIMEOUT above it on every machine",
                       longest, timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schedules", description=__doc__.split("\n")[0])
    parser.add_argument("--timetable", type=Path, help="timetable TOML (default schedules/timetable.toml)")
    parser.add_argument("--list", action="store_true", help="print the jobs and their next runs")
    parser.add_argument("--run-now", metavar="SOURCE", help="crawl one source now and exit")
    parser.add_argument("--next", type=int, default=3, metavar="N", help="run times shown by --list")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    settings = project_settings()
    try:
        registry = registry_of(settings)
        timetable = load_timetable(options.timetable, registry)
    except (RegistryError, TimetableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if options.list:
        _print_jobs(timetable, options.next)
        return 0

    archive_url = settings.get("DEMARCHE_ARCHIVE_URL")
    broker = "" if options.run_now else settings.get("DEMARCHE_BROKER_URL") or ""
    if broker:
        try:
            _check_broker(archive_url, timetable)
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        open_archive(archive_url)
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if options.run_now:
        if options.run_now not in registry:
            print(f"error: unknown source {options.run_now!r}; known: {', '.join(registry)}",
                  file=sys.stderr)
            return 2
        job = timetable.job_of(options.run_now)
        result = run_crawl(registry[options.run_now], job.args, job.time_limit, archive_url,
                           trigger="manual", settings=job.settings)
        print(f"{result.source}: run {result.run_id} {result.status} in {result.seconds:.1f} s"
              + (f": {result.why}" if result.why else ""))
        return 0 if result.status == "finished" else 1

    domains = {key: domain_of(source) for key, source in registry.items()}
    scheduler = create_scheduler(timetable, domains, archive_url,
                                 settings.get("DEMARCHE_SOURCES") or None,
                                 settings.get("DEMARCHE_LOG_DIR") or None,
                                 queued=bool(broker))

    def shut_down(signum: int, _frame: object) -> None:
        logger.info("%s: stopping running crawls and the scheduler", signal.Signals(signum).name)
        # Off the signal handler: stopping crawls waits for them to close.
        threading.Thread(target=lambda: (stop_all(), scheduler.shutdown(wait=True)),
                         daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    logger.info("Scheduler on %s with %d jobs from %s%s", describe(archive_url),
                len(timetable.jobs), timetable.path,
                f"; crawls queued on {describe(broker)}" if broker else "")
    scheduler.start()
    logger.info("Scheduler stopped")
    return 0


if __name__ == "__main__":
    # Quiet and truthful when piped into `head` (as `demarche` commands are).
    sys.exit(exit_status(main))
