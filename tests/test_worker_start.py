"""The crawl's extraction workers are forked warm by a forkserver
(``crawler.ingest.warm``), replacements of stopped workers too, none of
them outlives the crawl's process, and a broken pool is replaced once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from crawler.ingest.workers import PageBounds, TooCostly
from crawler.pipelines.extract import ExtractionPool
from tests.conftest import ROOT


def _state() -> tuple[int, int, bool]:
    """(pid, parent pid, whether the warm-up module is loaded: nothing in
    this task or this test module imports it)."""
    return os.getpid(), os.getppid(), "crawler.ingest.warm" in sys.modules


def _overrun() -> None:
    time.sleep(30)


def test_workers_and_their_replacements_start_warm_from_the_forkserver():
    pool = ExtractionPool._new(1, PageBounds(seconds=2, memory_mb=2000))
    try:
        pid, parent, warmed = pool.submit(_state).result(timeout=120)
        # Forked by the server, which had imported and warmed the extraction.
        assert parent != os.getpid() and warmed
        try:
            pool.submit(_overrun).result(timeout=60)
        except TooCostly as error:
            assert "still running" in str(error)
        else:
            raise AssertionError("a 30 s task passed a 2 s bound")
        again, parent_again, warmed_again = pool.submit(_state).result(timeout=60)
        assert again != pid, "the overrunning worker was not replaced"
        assert parent_again == parent and warmed_again
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_CRAWL_LIKE = """
import os, sys, time
sys.path.insert(0, {root!r})
from crawler.ingest.workers import PageBounds
from crawler.pipelines.extract import ExtractionPool
from tests.test_worker_start import _state
pool = ExtractionPool._new(2, PageBounds(seconds=60, memory_mb=2000))
pids = {{pool.submit(_state).result(timeout=120)[:2] for _ in range(6)}}
print(" ".join(f"{{pid}} {{parent}}" for pid, parent in pids), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killing_the_crawl_takes_its_forkserver_and_workers_with_it():
    process = subprocess.Popen([sys.executable, "-c", _CRAWL_LIKE.format(root=str(ROOT))],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        numbers = [int(n) for n in process.stdout.readline().split()]  # type: ignore[union-attr]
        assert numbers, "the pool answered nothing"
        pids = set(numbers)
        assert all(_alive(pid) for pid in pids)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in pids if _alive(pid)], "workers outlived the crawl"


def test_a_broken_pool_is_replaced_once_for_every_page_that_met_the_break():
    """A worker killed while no page is in it breaks the whole pool (pebble:
    "All workers expired"); the pages then in flight each meet the break,
    and the first to report it replaces the pool: the others get that same
    replacement, which they must not stop again."""
    bounds = PageBounds(seconds=30, memory_mb=2000)
    starts: list[Future] = []  # what a second crawler of the process sees
    broken = ExtractionPool.acquire(1, bounds)
    ExtractionPool.acquire(1, bounds, starts.append)
    try:
        ExtractionPool.started.result(timeout=120)  # type: ignore[union-attr]
        os.kill(broken.submit(os.getpid).result(timeout=60), signal.SIGKILL)
        deadline = time.monotonic() + 20
        with pytest.raises(BrokenProcessPool):  # the page in flight when pebble saw it
            while time.monotonic() < deadline:
                broken.submit(os.getpid).result(timeout=60)
                time.sleep(0.05)
        # A page handed over afterwards: pebble says RuntimeError, the pool
        # says broken (else the pipeline would fail the page and every later one).
        with pytest.raises(BrokenProcessPool, match="the worker pool is broken"):
            broken.submit(os.getpid)
        first = ExtractionPool.replace_broken(broken, 1, bounds)
        second = ExtractionPool.replace_broken(broken, 1, bounds)
        assert first is second is ExtractionPool.current() and first is not broken
        assert first.submit(os.getpid).result(timeout=120) > 0
        # Each crawler hears of the replacement's start, not only the one
        # that replaced the pool: a replacement that cannot start fails them all.
        # (A future wakes its waiters before it runs its callbacks.)
        deadline = time.monotonic() + 120
        while len(starts) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [f.exception(timeout=120) for f in starts] == [None, None]
        assert starts[1] is ExtractionPool.started is not starts[0]
    finally:
        ExtractionPool.release(starts.append)
        ExtractionPool.release()
