"""``make bench-crawl``: the real spiders and pipelines crawl a loopback site
into a fresh archive, against bare extraction of the same pages.

The site is four hosts on loopback (127.0.0.1 to 127.0.0.4), one source
each: three paged listings and one sitemap, serving the pages of
``../shared/eval/dev`` (each page several times under distinct URLs, so the
crawl lasts long enough to measure). Politeness delays are off and each
host takes eight requests at once: what is measured is the chain from
response to archived row (Scrapy, the extraction pool, the write path),
not a site's patience.

Bare extraction runs ``extract_statement`` over the same pages in a pool of
one worker per core and nothing else. The crawl runs in a child process
(a Twisted reactor starts once a process) with as many extraction workers;
its rate is the archived pages over the time ``run_crawls`` took, which
includes opening the spiders and the pool but not Python's own start-up
(printed apart). The two take turns for a few rounds and each one's best
round is compared: on a shared machine a slow minute would otherwise
decide the ratio, whichever of the two it fell on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from storage.engine import project_root

DEV = project_root().parent / "shared" / "eval" / "dev"
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
PER_LISTING_PAGE = 20


def _pages(copies: int) -> list[bytes]:
    files = sorted(DEV.glob("*.html"))
    return [f.read_bytes() for _ in range(copies) for f in files]


class _Host:
    """One loopback host: its article pages and either a paged listing or a
    sitemap of them."""

    def __init__(self, host: str, bodies: list[bytes], kind: str) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.server = ThreadingHTTPServer((host, 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://{host}:{self.server.server_address[1]}"
        paths = [f"/news/{n:05d}" for n in range(len(bodies))]
        for path, body in zip(paths, bodies, strict=True):
            self.routes[path] = (body, "text/html; charset=utf-8")
        if kind == "sitemap":
            entries = "".join(f"<url><loc>{self.base}{p}</loc></url>" for p in paths)
            xml = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                   f'"http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')
            self.routes["/sitemap.xml"] = (xml.encode(), "application/xml")
            self.entry = f"{self.base}/sitemap.xml"
        else:
            chunks = [paths[i:i + PER_LISTING_PAGE] for i in range(0, len(paths),
                                                                   PER_LISTING_PAGE)]
            for n, chunk in enumerate(chunks, 1):
                links = "".join(f'<li><a href="{p}">Statement {p}</a></li>' for p in chunk)
                more = f'<a rel="next" href="/list/{n + 1}">Next</a>' if n < len(chunks) else ""
                html = f"<html><body><ul>{links}</ul>{more}</body></html>"
                self.routes[f"/list/{n}"] = (html.encode(), "text/html; charset=utf-8")
            self.entry = f"{self.base}/list/1"
            self.listing_pages = len(chunks)
        self.articles = len(paths)

    def _handler(self):  # type: ignore[no-untyped-def]
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                body, ctype = routes.get(self.path, (b"not found", "text/plain"))
                self.send_response(200 if self.path in routes else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _source_row(n: int, host: _Host, address: str) -> str:
    spider = "sitemap" if host.entry.endswith(".xml") else "listing"
    row = {
        "key": f"bench_{n}", "name": f"Bench host {n}", "site_name": f"Bench {n}",
        "kind": "ministry", "country": "RU", "language": "en", "domains": [address],
        "spider": spider, "entry_points": [host.entry],
        "article_pattern": r"/news/\d{5}$",
    }
    if spider == "listing":
        row.update(next_page='a[rel="next"]::attr(href)', max_pages=host.listing_pages + 1)
    return "[[source]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in row.items())


def bare_extraction(bodies: list[bytes], workers: int) -> float:
    """Pages per second of extraction alone, in a pool like the crawl's."""
    from crawler.ingest.workers import bounded_map, worker_pool
    from crawler.items import FetchedPage

    pages = [FetchedPage("bench", f"https://bench.example/news/{n:05d}", 200,
                         "text/html; charset=utf-8", body, datetime.now(UTC))
             for n, body in enumerate(bodies)]
    started = time.perf_counter()
    with worker_pool(workers) as pool:
        for _ in bounded_map(pool, _extract, pages, 16 * workers):
            pass
    return len(pages) / (time.perf_counter() - started)


def _extract(page):  # type: ignore[no-untyped-def]
    from crawler.extraction.extract import extract_statement

    return extract_statement(page)


def child(sources: str, archive: str, workers: int) -> int:
    """The crawl itself, in its own process: prints one JSON line."""
    os.environ["DEMARCHE_SOURCES"] = sources
    os.environ["DEMARCHE_ALLOW_PRIVATE_ADDRESSES"] = "1"
    os.environ["DEMARCHE_EXTRACT_WORKERS"] = str(workers)
    from crawler.runner import project_settings, run_crawls
    from crawler.sources import registry_of

    settings = project_settings({
        "DEMARCHE_ARCHIVE_URL": archive, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "CONCURRENT_REQUESTS": 32, "LOG_LEVEL": "WARNING",
        "DEMARCHE_WARC_DIR": str(Path(archive.removeprefix("sqlite:///")).parent / "warc"),
    })
    keys = list(registry_of(settings))
    started = time.perf_counter()
    outcomes = run_crawls(keys, {}, settings)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "status": [o.status for o in outcomes],
                      "counts": [o.counts for o in outcomes]}))
    return 0


def crawl_round(bodies_per_host: list[list[bytes]], workers: int, folder: Path,
                archive: str) -> tuple[float, int, dict[str, object]]:
    hosts = [_Host(address, bodies, "sitemap" if n == len(HOSTS) - 1 else "listing")
             for n, (address, bodies) in enumerate(zip(HOSTS, bodies_per_host, strict=True))]
    for host in hosts:
        host.start()
    try:
        sources = folder / "sources.toml"
        sources.write_text("\n".join(_source_row(n, h, a) for n, (h, a)
                                     in enumerate(zip(hosts, HOSTS, strict=True))),
                           encoding="utf-8")
        wall = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.crawl", "--child", str(sources), archive,
             str(workers)], cwd=project_root(), capture_output=True, text=True, timeout=1800)
        wall = time.perf_counter() - wall
    finally:
        for host in hosts:
            host.stop()
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"the crawl failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    from sqlalchemy import create_engine, text

    engine = create_engine(archive)
    with engine.connect() as conn:
        archived = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
    engine.dispose()
    result["wall"] = wall
    return archived / result["seconds"], archived, result


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=3,
                        help="how many times each dev page is served (under distinct URLs)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not DEV.is_dir():
        raise SystemExit(f"the dev pages are missing: {DEV}")
    bodies = _pages(args.copies)
    per_host = [bodies[n::len(HOSTS)] for n in range(len(HOSTS))]
    print(f"{len(bodies)} pages on {len(HOSTS)} loopback hosts (3 listings, 1 sitemap), "
          f"{args.workers} extraction workers, {args.rounds} rounds")
    bare_rates, crawl_rates = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(1, args.rounds + 1):
            bare_rates.append(bare_extraction(bodies, args.workers))
            folder = Path(tmp) / f"round{n}"
            folder.mkdir()
            rate, archived, result = crawl_round(per_host, args.workers, folder,
                                                 f"sqlite:///{folder / 'archive.db'}")
            crawl_rates.append(rate)
            print(f"round {n}: bare extraction {bare_rates[-1]:.1f} pages/s; crawl -> archive "
                  f"{rate:.1f} pages/s ({archived} archived in {result['seconds']:.1f} s; "
                  f"{result['wall']:.1f} s with Python's start-up; runs {result['status']}) "
                  f"= {rate / bare_rates[-1]:.0%}")
    best_bare, best_crawl = max(bare_rates), max(crawl_rates)
    print(f"best rounds: bare extraction {best_bare:.1f} pages/s, crawl -> archive "
          f"{best_crawl:.1f} pages/s")
    print(f"crawl speed: {best_crawl / best_bare:.2f} of bare extraction (target >= 0.90)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
