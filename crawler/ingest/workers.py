"""Process pools that do not outlive their parent, and pools that bound
what each page may cost.

A crawl or an import killed with SIGKILL cannot shut its pool down, and the
pool's workers, blocked on their task queue, would linger as orphans for
good. Each worker asks Linux to kill it when its parent dies (prctl
PR_SET_PDEATHSIG), and where that is not available it watches its parent
from a thread.

One hostile page must not stop a run (issue 14: a 4 MB PDF whose streams
inflate to gigabytes held a worker for ten minutes and 3.4 GB, night after
night). ``BoundedPool`` gives every task a wall-clock bound, enforced by
pebble (a task still running after it has its worker killed and replaced,
the other workers going on), and a memory bound: before each task the
worker's address space is capped (RLIMIT_AS) at its current size plus the
budget, so that a runaway allocation raises MemoryError inside the worker
instead of swapping the machine. Either way the task's future raises
``TooCostly``; ``bounded_map`` turns that into the caller's rejection.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from pebble import ProcessExpired, ProcessPool

_PR_SET_PDEATHSIG = 1


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when ``parent`` dies (a thread
    watches for it elsewhere); also used in a subprocess before its exec."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    else:
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)


def worker_pool(workers: int, start: str = "fork") -> ProcessPoolExecutor:
    """``start``: "fork" where no threads or reactor run (commands), "spawn"
    inside a crawl (Twisted's reactor and its threads must not be forked)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(start),
                               initializer=die_with_parent, initargs=(os.getpid(),))


@dataclass(frozen=True)
class PageBounds:
    """What one page's extraction may cost: its wall-clock ``seconds``, and
    the memory (``memory_mb``, address space) it may add to its worker.
    The defaults (DEMARCHE_PAGE_SECONDS, DEMARCHE_PAGE_MEMORY_MB) say where
    their numbers come from."""

    seconds: float
    memory_mb: int

    @classmethod
    def from_settings(cls, settings: Any) -> PageBounds:
        """From Scrapy settings (a crawl, or the commands' project settings)."""
        return cls(seconds=settings.getfloat("DEMARCHE_PAGE_SECONDS"),
                   memory_mb=settings.getint("DEMARCHE_PAGE_MEMORY_MB"))


# The crawl's defaults (crawler/settings.py) for callers without settings.
DEFAULT_BOUNDS = PageBounds(seconds=30, memory_mb=1024)


class TooCostly(Exception):
    """The task overran its bounds: its worker was stopped (time), ran out
    of its memory budget, or died under it."""


class PoolShutDown(BrokenProcessPool):
    """The pool was shut down with the task queued or running."""


class WorkerDied(TooCostly):
    """The worker ended abnormally during the task (a crash in C code, the
    kernel's OOM killer): maybe the page, maybe not; callers may retry once."""


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None  # not Linux: no memory bound, the time bound still holds


def _cap_memory(budget_mb: int | None) -> None:
    """Cap the address space at its current size plus ``budget_mb`` (None
    lifts the cap). Per task, so that what earlier pages left allocated
    (fragmentation, caches) never eats the next page's budget."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = hard
    if budget_mb is not None:
        size = _address_space()
        if size is None:
            return
        soft = size + budget_mb * 2**20
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _start_worker(parent: int | None, warm: Callable[[], None] | None) -> None:
    # A worker forked by a forkserver is the server's child; the server
    # exits when the pool's process does (multiprocessing closes its pipe),
    # and takes its workers with it.
    die_with_parent(os.getppid() if parent is None else parent)
    if warm is not None:
        # Imports and data loaded here are not charged to the first page.
        warm()


def _bounded_call(function: Callable[..., Any], args: tuple[Any, ...], memory_mb: int) -> Any:
    _cap_memory(memory_mb)
    try:
        return function(*args)
    except MemoryError:
        # What the page allocated is freed as the exception unwinds: the
        # worker is back within its budget and takes the next page.
        raise TooCostly(f"needed more than {memory_mb} MB") from None
    finally:
        _cap_memory(None)  # the result is pickled and sent back unbounded


def _settle(outer: Future, bounds: PageBounds, inner: Future) -> None:
    """Pass ``inner``'s outcome to ``outer``, naming an overrun ``TooCostly``."""
    if inner.cancelled():
        outer.cancel()
        return
    error = inner.exception()
    if isinstance(error, TimeoutError):
        error = TooCostly(f"still running after {bounds.seconds:g} s")
    elif isinstance(error, ProcessExpired):
        error = WorkerDied(f"its worker died (exit code {error.exitcode})")
    try:
        if error is None:
            outer.set_result(inner.result())
        else:
            outer.set_exception(error)
    except InvalidStateError:
        pass  # cancelled by its caller meanwhile


class BoundedPool:
    """Worker processes that each task may hold for ``bounds`` at most.

    ``submit(function, *args)`` returns a plain ``concurrent.futures.Future``
    (``asyncio.wrap_future`` takes it) that raises ``TooCostly`` when the
    task overran; cancelling it stops the task's worker at once. ``start``
    as for ``worker_pool``, or "forkserver" with ``preload``: modules the
    server imports once, before it forks each worker (and each replacement
    of a stopped one); ``warm`` (a module-level function) runs once in
    each new worker.
    """

    def __init__(self, workers: int, bounds: PageBounds, start: str = "fork",
                 warm: Callable[[], None] | None = None, preload: tuple[str, ...] = ()) -> None:
        self.bounds = bounds
        context = multiprocessing.get_context(start)
        if start == "forkserver":
            # One server a process: the first pool to start it decides
            # what it preloads.
            context.set_forkserver_preload(list(preload))
        self._pool = ProcessPool(max_workers=workers, initializer=_start_worker,
                                 initargs=(None if start == "forkserver" else os.getpid(), warm),
                                 context=context)
        # Tasks not yet settled: pebble's ``stop`` leaves its futures of
        # queued and running tasks pending for good (seen in CI), so a
        # shutdown that drops them settles them itself.
        # (A task is submitted and registered under the lock, so that a
        # shutdown sees every task submitted before it, and none after.)
        self._unsettled: set[Future] = set()
        self._closed = False
        self._lock = threading.Lock()

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        with self._lock:
            if self._closed:
                raise PoolShutDown("the worker pool was shut down")
            try:
                inner = self._pool.schedule(_bounded_call,
                                            args=(function, args, self.bounds.memory_mb),
                                            timeout=self.bounds.seconds)
            except RuntimeError as error:
                # pebble's pool is broken for good (a worker died while none
                # had a task: "All workers expired"; the pages then in it
                # already failed with BrokenProcessPool): said the same way,
                # so that the caller replaces the pool instead of failing
                # every later page.
                raise BrokenProcessPool(f"the worker pool is broken: {error}") from error
            outer: Future = Future()
            self._unsettled.add(outer)
        outer.add_done_callback(self._forget)
        inner.add_done_callback(lambda done: _settle(outer, self.bounds, done))
        outer.add_done_callback(lambda done: done.cancelled() and inner.cancel())
        return outer

    def _forget(self, outer: Future) -> None:
        with self._lock:
            self._unsettled.discard(outer)

    def start(self) -> Future:
        """Start the workers from a thread; the future is done when one has
        answered. Starting a worker blocks its caller: with a forkserver,
        until the server has preloaded (seconds, the first time), which a
        crawl's reactor must not wait through (its downloads would time
        out). Tasks submitted before the future is done wait for it too."""
        started: Future = Future()

        def run() -> None:
            try:
                self.submit(os.getpid).result()
            except PoolShutDown:
                started.cancel()  # shut down before it started: no failure
            except BaseException as exc:  # noqa: BLE001 - handed to the waiter
                started.set_exception(exc)
            else:
                started.set_result(None)

        threading.Thread(target=run, name="pool-start", daemon=True).start()
        return started

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """As ``Executor.shutdown``; ``cancel_futures`` also stops the
        workers in the middle of their tasks."""
        if cancel_futures:
            with self._lock:
                self._closed = True
                dropped = list(self._unsettled)
            self._pool.stop()
            for outer in dropped:
                # Said as a broken pool, not a cancellation: a crawl gives
                # such a page one more try in the pool that replaces this one.
                try:
                    outer.set_exception(PoolShutDown("the worker pool was shut down"))
                except InvalidStateError:
                    pass  # settled meanwhile
        else:
            self._pool.close()
        if wait:
            self._pool.join()

    def __enter__(self) -> BoundedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        # Leaving on an exception (Ctrl-C, a failed write): the queued and
        # running pages are of no use, and each could hold its worker for
        # the whole time bound.
        self.shutdown(wait=True, cancel_futures=exc[0] is not None)


def bounded_map(pool: BoundedPool | ProcessPoolExecutor, function: Callable, items: Iterable,
                window: int, costly: Callable[[Any, TooCostly], Any] | None = None) -> Iterator:
    """``pool.map`` that reads ``items`` only ``window`` ahead (a WARC file
    can be far larger than memory, and Executor.map submits everything),
    in order; an item whose task overran yields ``costly(item, error)``."""
    pending: deque[tuple[Any, Future]] = deque()

    def outcome(item: Any, future: Future) -> Any:
        try:
            return future.result()
        except TooCostly as error:
            if costly is None:
                raise
            return costly(item, error)

    for item in items:
        pending.append((item, pool.submit(function, item)))
        if len(pending) >= window:
            yield outcome(*pending.popleft())
    while pending:
        yield outcome(*pending.popleft())
