"""``make bench-sitemap``: the peak memory (RSS) of a crawl against the size
of the sitemap it reads: 10,000, 100,000 and 1,000,000 URLs.

A loopback server serves one gzipped sitemap (short URLs, so that a million
of them stay under the 60 MB a sitemap may unpack to) and answers every
article with a small page. The real sitemap spider crawls it in a ``scrapy
crawl`` process that stops after ``--pages`` pages (CLOSESPIDER_PAGECOUNT),
so the run measures reading the sitemap and queueing its requests, not a
million downloads; the process reports its own peak RSS (``ru_maxrss``) as
it exits. Before issue 14 every URL became a queued request as soon as the
sitemap was parsed; now the requests come a batch at a time
(DEMARCHE_DRAIN_BATCH) and the sitemap is read as they are needed.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from storage.engine import project_root

SIZES = (10_000, 100_000, 1_000_000)
# Runs scrapy in this process and prints its peak RSS (kB on Linux) last.
RUNNER = ("import resource, sys, atexit\n"
          "atexit.register(lambda: print('PEAK_RSS_KB', resource.getrusage("
          "resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
          "from scrapy.cmdline import execute\n"
          "execute(['scrapy', 'crawl', 'bench_sitemap', *sys.argv[1:]])\n")
PAGE = (b"<html><head><title>Statement</title></head><body><article><h1>Statement</h1>"
        b"<p>The Minister held talks with his counterpart on the bilateral agenda and "
        b"regional issues of common interest, the ministry said.</p></article></body></html>")


def serve(files: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/sitemap.xml.gz":
                body, kind = files["sitemap"], "application/gzip"
            elif self.path == "/robots.txt":
                body, kind = b"User-agent: *\n", "text/plain"
            else:
                body, kind = PAGE, "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_sitemap(base: str, count: int) -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    body = b"".join(b"<url><loc>%s/n/%d</loc></url>" % (base.encode(), i) for i in range(count))
    return gzip.compress(head + body + b"</urlset>", compresslevel=5)


def crawl(folder: Path, base: str, pages: int) -> tuple[float, float]:
    """Peak RSS in MB and seconds of one crawl."""
    registry = folder / "sources.toml"
    registry.write_text(
        '[[source]]\nkey = "bench_sitemap"\nname = "Bench"\nkind = "ministry"\n'
        'country = "RU"\nlanguage = "en"\ndomains = ["127.0.0.1"]\nspider = "sitemap"\n'
        f'entry_points = ["{base}/sitemap.xml.gz"]\narticle_pattern = "/n/\\\\d+$"\n',
        encoding="utf-8")
    env = {**os.environ, "DEMARCHE_SOURCES": str(registry),
           "DEMARCHE_ARCHIVE_URL": f"sqlite:///{folder / 'archive.db'}",
           "DEMARCHE_ALLOW_PRIVATE_ADDRESSES": "1", "DEMARCHE_EXTRACT_WORKERS": "1",
           "DEMARCHE_WARC_ENABLED": "0"}
    settings = {"CLOSESPIDER_PAGECOUNT": str(pages), "DOWNLOAD_DELAY": "0",
                "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "WARNING",
                "CONCURRENT_REQUESTS_PER_DOMAIN": "8"}
    args = [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", RUNNER, *args], cwd=project_root(), env=env,
                          capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - started
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB")]
    if not peak:
        raise SystemExit(f"the crawl printed no peak:\n{proc.stderr[-2000:]}")
    return int(peak[-1].split()[1]) / 1024, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--pages", type=int, default=300, help="pages each crawl fetches")
    args = parser.parse_args(argv)
    print(f"{'URLs in the sitemap':>20} {'sitemap (gz)':>13} {'peak RSS':>10} {'seconds':>8}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            files: dict[str, bytes] = {}
            server = serve(files)
            base = f"http://127.0.0.1:{server.server_address[1]}"
            sitemap = files["sitemap"] = make_sitemap(base, size)
            try:
                peak, seconds = crawl(Path(tmp), base, args.pages)
            finally:
                server.shutdown()
                server.server_close()
        print(f"{size:>20,} {len(sitemap) / 2**20:>10.1f} MB {peak:>7.0f} MB {seconds:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
