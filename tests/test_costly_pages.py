"""Pages too costly to extract (issue 14, point 8): a small PDF whose
streams inflate to hundreds of megabytes, and one whose text takes minutes,
are stopped at their time or memory bound, rejected as ``too_costly`` and
remembered, while the rest of the run goes on and SIGTERM is answered.

The hostile PDFs are built here, byte by byte: a page's content is a
FlateDecode stream, which pypdf inflates (at most 75 MB a stream) and
parses in Python. Limits are set low so that the tests stay quick and
small; the costs the PDFs would reach unbounded were measured on this
machine (see ``memory_bomb`` and ``slow_pdf``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zlib
from concurrent.futures import CancelledError, wait
from datetime import UTC, datetime
from pathlib import Path

from crawler.extraction.draft import Rejected
from crawler.extraction.pdf import read_pdf
from crawler.ingest.processing import load_rules, process_page
from crawler.ingest.workers import BoundedPool, PageBounds, PoolShutDown, TooCostly, bounded_map
from crawler.items import FetchedPage, Statement
from tests.conftest import FAST, ROOT, article_html, write_sources

PARAS = [
    "The Minister held talks with his counterpart on the bilateral agenda and regional issues.",
    "The sides agreed to continue consultations at the level of deputy ministers next month.",
]
GOOD = [f"/news/2024/03/0{n}/statement-{n}.html" for n in range(1, 4)]
BOMB = "/news/2024/03/05/annex.pdf"
SLOW = "/news/2024/03/06/transcript.pdf"
# Tight enough for a quick test, loose enough for a loopback article on a
# loaded machine (an article takes well under a second in a warm worker).
TEST_SECONDS = "5"
TEST_MEMORY_MB = "250"


def pdf(contents: list[bytes]) -> bytes:
    """A PDF of one page per content stream, each stream Flate-compressed."""
    count = len(contents)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, content in enumerate(contents):
        stream = zlib.compress(content, 9)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
                       f"<< /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
                       + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def memory_bomb() -> bytes:
    """400 KB that pypdf inflates to 8 x 50 MB, each stream under its 75 MB
    limit and all kept: 454 MB more address space, measured unbounded (the
    nightly 4 MB PDF of the issue is the same at 60 pages: gigabytes)."""
    return pdf([b"BT /F1 12 Tf " + b" " * 50_000_000 + b" ET"] * 8)


def slow_pdf() -> bytes:
    """90 KB of text-showing operators, 20 pages of 2 MB each: pypdf parses
    them in Python, about 6 s a page here (2 minutes in all), in under
    100 MB."""
    return pdf([b"BT /F1 12 Tf " + b"1 0 Td (a) Tj " * 140_000 + b"ET"] * 20)


def normal_pdf() -> bytes:
    return pdf([b"BT /F1 12 Tf 72 700 Td (" + p.encode() + b") Tj ET" for p in PARAS])


def _page(body: bytes, path: str) -> FetchedPage:
    return FetchedPage(source="s", url=f"https://mfa.example{path}", status=200,
                       content_type="application/pdf", body=body, fetched_at=datetime.now(UTC))


def _costly(page: FetchedPage, error: TooCostly) -> Rejected:
    return Rejected("too_costly", str(error))


def test_pypdf_stream_limit_is_too_costly_not_a_crash():
    # Streams that inflate past pypdf's 75 MB: it raises its own
    # LimitReachedError, which used to escape as an extraction error.
    result = read_pdf(pdf([b" " * 80_000_000]))
    assert isinstance(result, Rejected) and result.reason == "too_costly"
    two_streams = pdf([b" " * 40_000_000]).replace(b"/Contents 5 0 R", b"/Contents [5 0 R 5 0 R]")
    result = read_pdf(two_streams)
    assert isinstance(result, Rejected) and result.reason == "too_costly"


# Where one bound must be met before the other: the bomb reaches its memory
# cap in 1.4 s, but in 5.3 s on a loaded machine (it then met a 5 s time
# bound first, and CI failed); the slow PDF still runs 2 minutes unbounded.
BOTH_BOUNDS = PageBounds(seconds=15, memory_mb=int(TEST_MEMORY_MB))


def test_pool_bounds_memory_and_time_and_goes_on():
    bounds = BOTH_BOUNDS
    pages = [_page(normal_pdf(), "/a.pdf"), _page(memory_bomb(), BOMB),
             _page(slow_pdf(), SLOW), _page(normal_pdf(), "/b.pdf")]
    with BoundedPool(1, bounds, warm=load_rules) as pool:
        results = list(bounded_map(pool, process_page, pages, window=4, costly=_costly))
    first, bomb, slow, last = results
    assert isinstance(first, Statement) and isinstance(last, Statement)
    assert isinstance(bomb, Rejected) and bomb.reason == "too_costly"
    assert "memory" in bomb.detail
    assert isinstance(slow, Rejected) and slow.reason == "too_costly"
    assert "still running" in slow.detail


def test_memory_error_in_any_task_is_too_costly():
    # A function that does not catch MemoryError itself (unlike process_page).
    with BoundedPool(1, PageBounds(seconds=60, memory_mb=100)) as pool:
        future = pool.submit(bytearray, 400 * 2**20)
        try:
            future.result()
        except TooCostly as error:
            assert "100 MB" in str(error)
        else:
            raise AssertionError("a 400 MB allocation passed a 100 MB bound")
        assert pool.submit(len, b"still here").result() == 10


def build_site(site) -> None:
    links = [*GOOD, BOMB, SLOW]
    site.page("/news/", "<html><body>" + "".join(f'<a href="{link}">item</a>' for link in links)
              + "</body></html>")
    for n, path in enumerate(GOOD, 1):
        site.page(path, article_html(f"Statement number {n} on the situation", PARAS))
    site.page(BOMB, memory_bomb(), content_type="application/pdf")
    site.page(SLOW, slow_pdf(), content_type="application/pdf")


def write_costly_sources(path: Path, site) -> Path:
    return write_sources(path, site, article_pattern=r"/news/\d{4}/\d\d/\d\d/[^/]+$")


def test_crawl_rejects_costly_pages_for_good_and_archives_the_rest(site, crawl, tmp_path: Path):
    build_site(site)
    sources = write_costly_sources(tmp_path / "sources.toml", site)
    limits = {"DEMARCHE_PAGE_SECONDS": TEST_SECONDS, "DEMARCHE_PAGE_MEMORY_MB": TEST_MEMORY_MB}
    first = crawl(sources, "loopback_news", settings=limits)
    assert first.returncode == 0, first.output
    assert {u for (u,) in first.rows("SELECT url FROM articles")} == {site.url(p) for p in GOOD}
    stats = first.last_run_stats()
    assert stats["extract/rejected/too_costly"] == 2, stats
    assert stats["extract/ok"] == 3
    assert "Not extracting" in first.output
    # Remembered: the next run does not fetch either PDF again.
    second = crawl(sources, "loopback_news", settings=limits)
    assert second.returncode == 0, second.output
    assert site.hits[BOMB] == 1 and site.hits[SLOW] == 1


def test_sigterm_is_answered_while_a_worker_is_busy(site, tmp_path: Path):
    site.page("/news/", f'<html><body><a href="{SLOW}">item</a></body></html>')
    site.page(SLOW, slow_pdf(), content_type="application/pdf")
    sources = write_costly_sources(tmp_path / "sources.toml", site)
    archive = f"sqlite:///{tmp_path / 'archive.db'}"
    env = {**os.environ, "DEMARCHE_SOURCES": str(sources), "DEMARCHE_ARCHIVE_URL": archive,
           "DEMARCHE_EXTRACT_WORKERS": "1"}
    # The page's own bound is far away: only the shutdown can end the wait.
    command = [sys.executable, "-m", "scrapy", "crawl", "loopback_news"]
    for name, value in {**FAST, "DEMARCHE_PAGE_SECONDS": "600"}.items():
        command += ["-s", f"{name}={value}"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while site.hits.get(SLOW, 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert site.hits.get(SLOW) == 1, "the crawl never requested the slow PDF"
        time.sleep(3)  # the PDF is in a worker by now
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "shutting down, not extracted" in output, output[-3000:]
    # Not remembered: a page cut short by a shutdown is fetched next run.
    import sqlite3

    with sqlite3.connect(tmp_path / "archive.db") as db:
        assert db.execute("SELECT count(*) FROM fetch_state").fetchone() == (0,)


def test_demarche_extract_bounds_each_page_and_goes_on(tmp_path: Path):
    from batch.corpus import extract_directory

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_text(article_html("Statement number 1 on the situation", PARAS))
    (pages / "slow.html").write_bytes(slow_pdf())  # a PDF saved under an .html name
    (pages / "bomb.html").write_bytes(memory_bomb())
    (pages / "z.html").write_text(article_html("Statement number 2 on the situation", PARAS))
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    summary = extract_directory(pages, out, workers=1, bounds=BOTH_BOUNDS)
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert time.monotonic() - started < 100  # unbounded, the slow page alone takes 2 minutes
    assert (summary.pages, summary.failed) == (4, 2)
    assert records["a"]["text"] and records["z"]["text"]
    assert records["slow"]["text"] is None and records["bomb"]["text"] is None
    assert records["slow"]["error"].startswith("too_costly") and "still running" in records[
        "slow"]["error"]
    assert records["bomb"]["error"].startswith("too_costly") and "MB" in records["bomb"]["error"]


def test_leaving_a_pool_on_an_error_stops_its_running_tasks():
    # Ctrl-C or a failed write inside ``with BoundedPool(...)``: the queued
    # and running pages are dropped, not waited for up to their bound each.
    started = time.monotonic()
    try:
        with BoundedPool(1, PageBounds(seconds=120, memory_mb=100)) as pool:
            futures = [pool.submit(time.sleep, 60) for _ in range(3)]
            time.sleep(0.5)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert time.monotonic() - started < 30
    # Settled by the shutdown itself (pebble's stop leaves its own pending).
    assert not wait(futures, timeout=0).not_done
    assert all(isinstance(f.exception(), PoolShutDown) for f in futures)


def test_a_pool_shut_down_before_it_started_neither_starts_nor_fails():
    # A crawl that ends before its pool's start thread ran (a loaded
    # machine): the start is cancelled, not failed, and no task gets in.
    pool = BoundedPool(1, PageBounds(seconds=5, memory_mb=100))
    pool.shutdown(wait=False, cancel_futures=True)
    started = pool.start()
    try:
        started.result(timeout=10)
    except CancelledError:
        pass
    else:
        raise AssertionError("the pool started after its shutdown")
    try:
        pool.submit(os.getpid)
    except PoolShutDown:
        pass
    else:
        raise AssertionError("a task was taken after the shutdown")
