"""``demarche extract DIR --out FILE.jsonl``: the crawler's own extraction
over a folder of saved pages, for measuring it and for re-extracting saved
material.

DIR holds ``<id>.html`` files and, optionally, ``ground_truth.jsonl`` of
which only ``id`` and ``url`` are read (the URL feeds date and site rules;
nothing else in it is looked at). Each page goes through
``extract_statement`` exactly as a crawled page does; one JSON line per page
is written, in id order, with ``text: null`` and an ``error`` when nothing
could be extracted. As in the archive, lines that recur on several pages of
one site are stripped as that site's chrome.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from crawler.extraction.boilerplate import learn_in_corpus, strip_lines
from crawler.extraction.draft import Rejected
from crawler.extraction.extract import extract_statement
from crawler.ingest.workers import DEFAULT_BOUNDS, BoundedPool, PageBounds, bounded_map
from crawler.items import FetchedPage

GROUND_TRUTH = "ground_truth.jsonl"


@dataclass(frozen=True)
class SavedPage:
    id: str
    path: Path
    url: str | None


@dataclass(frozen=True)
class CorpusSummary:
    pages: int
    failed: int
    seconds: float
    workers: int


def saved_pages(directory: Path) -> list[SavedPage]:
    urls: dict[str, str | None] = {}
    truth = directory / GROUND_TRUTH
    if truth.exists():
        for line in truth.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                urls[str(row["id"])] = row.get("url")  # id and url only, by design
    pages = [SavedPage(p.stem, p, urls.get(p.stem)) for p in sorted(directory.glob("*.html"))]
    if not pages:
        raise FileNotFoundError(f"no <id>.html files in {directory}")
    return pages


def extract_saved_page(page: SavedPage) -> dict[str, object]:
    """One output record; runs in a worker process."""
    fetched = FetchedPage(
        source="",
        url=page.url or "",
        status=200,
        content_type=None,  # sniffed and decoded like a browser: BOM, <meta>, detection
        body=page.path.read_bytes(),
        fetched_at=datetime.now(UTC),
    )
    try:
        result = extract_statement(fetched)
    except MemoryError:
        raise  # the page's memory bound: the pool reports it as too_costly
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the corpus
        result = Rejected("error", repr(exc))
    if isinstance(result, Rejected):
        return {"id": page.id, "text": None, "title": None, "date": None, "author": None,
                "language": None, "error": str(result)}
    return {
        "id": page.id,
        "text": result.body,
        "title": result.title,
        "date": result.published_at.isoformat() if result.published_at else None,
        "author": result.author,
        "language": result.language,
    }


def _strip_site_chrome(records: list[dict[str, object]], urls: dict[str, str | None]) -> None:
    """Lines recurring on several pages of one site in the corpus are chrome
    (the archive learns the same per source, see boilerplate.py)."""
    bodies = {str(r["id"]): str(r["text"]) for r in records if r["text"]}
    sites = {page_id: _site(urls.get(page_id)) for page_id in bodies}
    learned = learn_in_corpus(bodies, sites)
    for record in records:
        page_id = str(record["id"])
        keys = learned.get(sites.get(page_id, ""), set())
        if keys and record["text"]:
            record["text"] = strip_lines(str(record["text"]), keys) or record["text"]


def _site(url: str | None) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.")


def _too_costly(page: SavedPage, error: Exception) -> dict[str, object]:
    return {"id": page.id, "text": None, "title": None, "date": None, "author": None,
            "language": None, "error": str(Rejected("too_costly", str(error)))}


def extract_directory(directory: Path, out: Path, workers: int | None = None,
                      bounds: PageBounds | None = None) -> CorpusSummary:
    """``bounds``: what one page may cost (by default the crawl's); a page
    past them gets an error line and its worker is replaced, as in a crawl,
    so that one hostile page cannot hold the whole folder (even with one
    worker, which is a pool of one for that reason)."""
    pages = saved_pages(directory)
    workers = max(1, workers or os.cpu_count() or 1)
    started = time.perf_counter()
    # fork: this command runs no reactor or threads, and forked workers
    # inherit the imported extractors instead of importing them again.
    # One page a task: pages take 5 ms to a second, and chunks of them
    # leave one worker busy with the last while the others idle.
    with BoundedPool(workers, bounds or DEFAULT_BOUNDS) as pool:
        records = list(bounded_map(pool, extract_saved_page, pages, window=8 * workers,
                                   costly=_too_costly))
    _strip_site_chrome(records, {p.id: p.url for p in pages})
    seconds = time.perf_counter() - started
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    failed = sum(1 for r in records if r["text"] is None)
    return CorpusSummary(len(records), failed, seconds, workers)
