"""``make bench-import``: ``demarche import-warc`` against bare extraction of
the same pages, measured in one run on all cores.

A WARC of 500 real pages is made from ``../shared/eval/dev`` (its 181 pages,
repeated under distinct URLs). Bare extraction runs ``extract_statement``
over those pages in a pool of one worker per core and nothing else; the
import reads the WARC, extracts in the same kind of pool and writes every
statement to a fresh SQLite archive. Both print pages per second.

The two take turns, five rounds by default (a fresh archive each time),
and each one's best round is compared: on a shared machine a slow minute
would otherwise decide the ratio, whichever of the two it fell on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from batch.warc_import import bounded_map, import_warcs
from batch.warcfiles import iter_responses
from crawler.ingest.workers import worker_pool
from crawler.sources import load_sources
from storage.engine import project_root

DEV = project_root().parent / "shared" / "eval" / "dev"


def make_warc(path: Path, pages: int) -> int:
    truth = {}
    for line in (DEV / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        truth[str(row["id"])] = row.get("url") or f"https://dev.example/{row['id']}"
    files = sorted(DEV.glob("*.html"))
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for n in range(pages):
            page = files[n % len(files)]
            parts = urlsplit(truth.get(page.stem, f"https://dev.example/{page.stem}"))
            copy = n // len(files)
            url = urlunsplit(parts._replace(path=f"/copy{copy}{parts.path}")) if copy else \
                urlunsplit(parts)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=BytesIO(page.read_bytes()), http_headers=headers))
    return pages


def _extract(page):  # type: ignore[no-untyped-def]
    from crawler.extraction.extract import extract_statement

    return extract_statement(page)


def bare_extraction(path: Path, workers: int) -> tuple[int, float]:
    from crawler.items import FetchedPage

    pages = [FetchedPage("bench", r.url, r.status, r.content_type, r.body, datetime.now(UTC))
             for r in iter_responses(path) if hasattr(r, "url")]
    started = time.perf_counter()
    with worker_pool(workers) as pool:
        for _ in bounded_map(pool, _extract, pages, 16 * workers):
            pass
    return len(pages), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if not DEV.is_dir():
        raise SystemExit(f"the dev pages are missing: {DEV}")
    bare_rates, import_rates = [], []
    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "dev.warc.gz"
        make_warc(warc, args.pages)
        print(f"{args.pages} pages, {args.workers} workers, {args.rounds} rounds")
        for n in range(1, args.rounds + 1):
            count, bare = bare_extraction(warc, args.workers)
            summary = import_warcs([warc], f"sqlite:///{Path(tmp) / f'archive{n}.db'}",
                                   load_sources(), workers=args.workers)
            bare_rates.append(count / bare)
            import_rates.append(summary.pages / summary.seconds)
            print(f"round {n}: bare extraction {bare:.2f} s, {bare_rates[-1]:.1f} pages/s; "
                  f"import-warc {summary.seconds:.2f} s, {import_rates[-1]:.1f} pages/s "
                  f"({import_rates[-1] / bare_rates[-1]:.0%}; {summary.archived} archived: "
                  f"{dict(summary.outcomes)}, rejected {dict(summary.rejected)})")
    best_bare, best_import = max(bare_rates), max(import_rates)
    print(f"best rounds: bare extraction {best_bare:.1f} pages/s, import-warc "
          f"{best_import:.1f} pages/s")
    print(f"import speed: {best_import / best_bare:.0%} of bare extraction")
    return 0


if __name__ == "__main__":
    sys.exit(main())
