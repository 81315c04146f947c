"""``make bench-schedule``: what the scheduler costs.

Prints the resident memory of an idle ``python -m schedules`` holding the
default timetable, and the overhead of running a crawl as a subprocess: the
wall time of ``run_crawl`` on a loopback site with nothing to fetch but its
entry page, against the crawl's own elapsed time.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.sources import load_sources
from storage.engine import open_archive, project_root
from storage.models import CrawlRun


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def idle_memory(folder: Path) -> float:
    env = {**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{folder / 'idle.db'}"}
    proc = subprocess.Popen([sys.executable, "-m", "schedules"], cwd=project_root(), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "next run" in line:
                break
        time.sleep(3)
        return _rss_kib(proc.pid) / 1024
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def subprocess_overhead(folder: Path, runs: int = 3) -> tuple[float, float]:
    site = folder / "site"
    (site / "news").mkdir(parents=True)
    (site / "news" / "index.html").write_text("<html><body><p>No news today.</p></body></html>")
    (site / "robots.txt").write_text("User-agent: *\n")
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = partial(Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    registry = folder / "sources.toml"
    registry.write_text(
        '[[source]]\nkey = "bench"\nname = "Bench"\nkind = "ministry"\ncountry = "RU"\n'
        'language = "en"\ndomains = ["127.0.0.1"]\nspider = "listing"\n'
        f'entry_points = ["http://127.0.0.1:{port}/news/"]\n'
        'article_pattern = "/news/\\\\d+$"\n')
    os.environ["DEMARCHE_SOURCES"] = str(registry)
    os.environ["DEMARCHE_LOG_DIR"] = str(folder / "logs")
    # The bench site is on 127.0.0.1, which crawls refuse unless allowed.
    os.environ["DEMARCHE_ALLOW_PRIVATE_ADDRESSES"] = "1"
    from schedules.runs import run_crawl

    url = f"sqlite:///{folder / 'runs.db'}"
    source = load_sources(registry, allow_private_addresses=True)["bench"]
    walls, own = [], []
    for _ in range(runs):
        result = run_crawl(source, {}, 120, url, settings={"AUTOTHROTTLE_ENABLED": "False"})
        with Session(open_archive(url)) as session:
            run = session.scalars(select(CrawlRun).where(CrawlRun.id == result.run_id)).one()
            elapsed = float(run.stats.get("elapsed_time_seconds", 0))
        walls.append(result.seconds)
        own.append(elapsed)
    server.shutdown()
    return statistics.median(walls), statistics.median(own)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        memory = idle_memory(folder)
        wall, own = subprocess_overhead(folder)
    print(f"idle scheduler (default timetable): {memory:.0f} MiB resident")
    print(f"crawl as a subprocess: {wall:.2f} s wall, of which the crawl itself {own:.2f} s; "
          f"overhead {wall - own:.2f} s per run (median of 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
