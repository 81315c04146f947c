"""A crawl machine dies mid-job (issue 18): the whole process group of one
of two Celery workers is killed with SIGKILL while it crawls; Redis hands
the job to the other worker once the visibility timeout passes, the
orphaned run ends `lost`, and the archive still equals a one-process
reference crawl. The time the job took to come back is printed
(`pytest -s`). The parts are those of tests/test_distributed.py.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.test_distributed import (  # noqa: F401 - fixtures, found by pytest by name
    VISIBILITY,
    Worker,
    all_finished,
    articles,
    broker,
    cluster_env,
    databases,
    night,
    no_overlap_per_site,
    reference_crawl,
    reference_rows,
    runs,
    sites,
    stop,
    wait_for,
)


def test_a_job_whose_worker_dies_is_crawled_again_by_the_other(
        tmp_path: Path, sites, broker: str, databases: list[str]):  # noqa: F811 - the fixtures
    hosts, registry = sites
    archive, reference = databases
    env = cluster_env(tmp_path, registry, archive, broker)
    ref = reference_crawl(registry, reference, tmp_path)
    workers = [Worker(f"w{i}", env, tmp_path / f"w{i}.log") for i in (1, 2)]
    scheduler = None
    try:
        assert wait_for(lambda: all(w.ready() for w in workers), 90)
        expected = reference_rows(ref, reference)
        slow = hosts["127.0.0.3"]
        slow.hits.clear()
        scheduler = night(tmp_path, env, "night1")

        def gamma_mid_crawl() -> tuple | None:
            fetched = sum(n for p, n in slow.hits.items() if p.endswith(".html"))
            live = [r for r in runs(archive) if r[1] == "gamma_news" and r[2] == "running"
                    and isinstance((r[5] or {}).get("demarche/process", {}).get("pid"), int)]
            return live[0] if live and fetched >= 2 else None

        assert wait_for(lambda: gamma_mid_crawl() is not None, 120), runs(archive)
        orphan = gamma_mid_crawl()
        assert orphan is not None
        crawl_pid = orphan[5]["demarche/process"]["pid"]
        (victim,) = [w for w in workers if os.getpgid(crawl_pid) == w.process.pid]
        (survivor,) = [w for w in workers if w is not victim]
        victim.kill()
        killed_at = datetime.now(UTC)
        clock = time.monotonic()

        def rerun() -> tuple | None:
            later = [r for r in runs(archive) if r[1] == "gamma_news" and r[0] > orphan[0]]
            return later[0] if later else None

        assert wait_for(lambda: rerun() is not None, VISIBILITY + 60), runs(archive)
        back_after = time.monotonic() - clock
        assert wait_for(lambda: all_finished(archive, 1), 150), runs(archive)
        stop(scheduler)

        # The orphaned run ends lost; the job ran again on the other worker.
        by_id = {r[0]: r for r in runs(archive)}
        assert by_id[orphan[0]][2] == "lost"
        again = rerun()
        assert again is not None and again[2] == "finished"
        assert again[5]["demarche/process"]["worker"].startswith(survivor.name + "@")
        assert articles(archive) == expected
        no_overlap_per_site(archive)
        started_back = again[3] if again[3].tzinfo else again[3].replace(tzinfo=UTC)
        print(f"\nkilled {victim.name} mid-crawl of gamma_news (run {orphan[0]}): the job "
              f"came back as run {again[0]} on {survivor.name} {back_after:.1f} s later "
              f"(run started {(started_back - killed_at).total_seconds():.1f} s after the kill; "
              f"visibility timeout {VISIBILITY} s); {len(expected)} rows as the reference")
    finally:
        if scheduler is not None and scheduler.poll() is None:
            scheduler.kill()
        for worker in workers:
            worker.stop()
        if ref.poll() is None:
            ref.kill()
