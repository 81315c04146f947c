"""``demarche workers``: the crawl machines as the broker sees them, the
live Celery workers with the job each is crawling, and the jobs waiting
in the queue (docs/deploy.md)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from tabulate import tabulate

from cli.options import add_command

# How long live workers have to answer a ping.
PING_SECONDS = 2.0


def cmd_workers(opts: argparse.Namespace) -> int:
    from crawler.runner import project_settings
    from storage.engine import describe

    broker = project_settings().get("DEMARCHE_BROKER_URL") or ""
    if not broker:
        print("demarche workers: no broker is configured (DEMARCHE_BROKER_URL is empty): crawls "
              "run on this machine, in `python -m schedules`; docs/deploy.md says how to spread "
              "them over several machines", file=sys.stderr)
        return 2
    from kombu.exceptions import OperationalError

    from schedules.celery_app import QUEUE, app

    try:
        with app.connection_for_write() as connection:
            client = connection.default_channel.client
            queued = client.llen(QUEUE)
            # Delivered to a worker and not yet acknowledged: running, or
            # held by a worker that died until the visibility timeout.
            unacked = client.hlen("unacked")
        inspect = app.control.inspect(timeout=opts.timeout)
        alive = inspect.ping() or {}
        active = inspect.active() or {} if alive else {}
    except OperationalError as exc:
        print(f"demarche workers: cannot reach the broker {describe(broker)}: {exc}",
              file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    table = []
    for name in sorted(alive):
        jobs = active.get(name) or []
        if not jobs:
            table.append((name, "idle", "-"))
        for job in jobs:
            kwargs = job.get("kwargs") or {}
            began = job.get("time_start")
            since = (f"{(now.timestamp() - began) / 60:.0f} min" if isinstance(began, (int, float))
                     else "-")
            table.append((name, f"crawling {kwargs.get('key', job.get('name'))}", since))
    print(f"broker: {describe(broker)}")
    print(f"queued: {queued} job(s) waiting in '{QUEUE}'; {unacked} delivered and not yet "
          "acknowledged")
    if table:
        print(tabulate(table, headers=["worker", "doing", "for"]))
    else:
        print(f"no live worker answered within {opts.timeout:.0f} s")
    return 0


def register(sub) -> None:  # type: ignore[no-untyped-def]
    workers = add_command(
        sub, "workers", help="live crawl workers and queued jobs (several machines)",
        description="The crawl machines as the broker (DEMARCHE_BROKER_URL) sees them: each "
        "live Celery worker and the source it is crawling, and how many jobs wait in the "
        "queue.",
        examples=["demarche workers",
                  "DEMARCHE_BROKER_URL=redis://queue.example.org:6379/0 demarche workers"])
    workers.add_argument("--timeout", type=float, default=PING_SECONDS, metavar="SECONDS",
                         help=f"how long workers have to answer (default {PING_SECONDS:.0f})")
    workers.set_defaults(func=cmd_workers)
