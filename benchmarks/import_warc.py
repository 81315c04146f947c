"""``make bench-import``: ``demarche import-warc`` against bare extraction of
the same pages, measured in one run on all cores.

A WARC of 500 real pages is made from ``../shared/eval/dev`` (its 181 pages,
repeated under distinct URLs). Bare extraction runs ``extract_statement``
over those pages in a pool of one worker per core and nothing else; the
import reads the WARC, extracts in the same kind of pool and writes every
statement to a fresh archive: a SQLite file, and with ``--backend
postgresql`` or ``both`` a scratch PostgreSQL database
(``DEMARCHE_TEST_POSTGRES_URL``, else the server ``.ci/postgres`` starts).
Each prints pages per second and its ratio to bare extraction (target:
0.85 on either backend).

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

from batch.warc_import import ImportSummary, bounded_map, import_warcs
from batch.warcfiles import iter_responses
from benchmarks.write import postgres_admin, scratch_database
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


def import_into(backend: str, warc: Path, tmp: str, n: int, workers: int,
                admin: str | None) -> ImportSummary:
    """Import the WARC into a fresh archive of the backend."""
    if backend == "sqlite":
        return import_warcs([warc], f"sqlite:///{Path(tmp) / f'archive{n}.db'}",
                            load_sources(), workers=workers)
    assert admin is not None
    with scratch_database(admin) as url:
        return import_warcs([warc], url, load_sources(), workers=workers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite",
                        help="the archive the import writes to (both: each in turn)")
    args = parser.parse_args(argv)
    if not DEV.is_dir():
        raise SystemExit(f"the dev pages are missing: {DEV}")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    admin = postgres_admin() if "postgresql" in backends else None
    bare_rates: list[float] = []
    import_rates: dict[str, list[float]] = {backend: [] for backend in backends}
    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "dev.warc.gz"
        make_warc(warc, args.pages)
        print(f"{args.pages} pages, {args.workers} workers, {args.rounds} rounds, "
              f"into {' and '.join(backends)}")
        for n in range(1, args.rounds + 1):
            count, bare = bare_extraction(warc, args.workers)
            bare_rates.append(count / bare)
            line = [f"round {n}: bare extraction {bare:.2f} s, {bare_rates[-1]:.1f} pages/s"]
            for backend in backends:
                summary = import_into(backend, warc, tmp, n, args.workers, admin)
                import_rates[backend].append(summary.pages / summary.seconds)
                rate = import_rates[backend][-1]
                line.append(f"import-warc into {backend} {summary.seconds:.2f} s, {rate:.1f} "
                            f"pages/s ({rate / bare_rates[-1]:.0%}; {summary.archived} "
                            f"archived: {dict(summary.outcomes)}, rejected "
                            f"{dict(summary.rejected)})")
            print("; ".join(line))
    best_bare = max(bare_rates)
    print(f"best rounds: bare extraction {best_bare:.1f} pages/s")
    for backend in backends:
        best = max(import_rates[backend])
        print(f"import-warc into {backend}: {best:.1f} pages/s, {best / best_bare:.0%} of bare "
              f"extraction (target >= 85%: {'met' if best >= 0.85 * best_bare else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
