"""Work a batch needs later, done in a thread while its rows are written.

On PostgreSQL the writer spends most of a batch waiting for the server's
answers (the articles INSERT computes every text's search document). What
the batch needs afterwards and the worker could not make (the MinHash
signature and enrichment of a text that lost learned chrome in the archive)
is Python work that can run meanwhile: waiting on a socket releases the
GIL. On SQLite the writes run in this process, and a thread would only
compete with them for the GIL (measured slower: 1.35 s against 1.10 s for
the 800 statements of ``make bench-write``), so the caller makes no jobs.

The thread waits for ``release`` (or ``results``): the writer first decides
which texts are new or changed (its lookups are quick), then lets the
thread make only what those need while the rows are written; in an import
most pages are copies of texts archived already, which need nothing.

A context manager: leaving it waits for the thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from types import EllipsisType
from typing import Generic, TypeVar

T = TypeVar("T")


class Overlapped(Generic[T]):
    """Each job's result (a job None: nothing to make), made in order in
    one thread started on entering, working once released."""

    def __init__(self, jobs: Sequence[Callable[[], T] | None]) -> None:
        self._jobs = jobs
        self._made: list[T | EllipsisType] = [...] * len(jobs)
        self._skipped: set[int] = set()
        self._error: BaseException | None = None
        self._go = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demarche-ahead", daemon=True)

    def __enter__(self) -> Overlapped[T]:
        if any(job is not None for job in self._jobs):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._skipped.update(range(len(self._jobs)))  # an error: no more work
        self._go.set()
        self._wait()

    def _run(self) -> None:
        self._go.wait()
        try:
            for n, job in enumerate(self._jobs):
                if job is not None and n not in self._skipped:
                    self._made[n] = job()
        except BaseException as exc:  # raised in the caller's thread
            self._error = exc

    def _wait(self) -> None:
        if self._thread.ident is not None:  # started
            self._thread.join()

    def skip(self, n: int) -> None:
        """Job ``n`` is not needed after all (if not run yet)."""
        self._skipped.add(n)

    def release(self, skipped: Iterable[int] = ()) -> None:
        """Let the thread start, without the jobs ``skipped``."""
        self._skipped.update(skipped)
        self._go.set()

    def results(self) -> list[T | EllipsisType]:
        """Each job's result; ``...`` for a job skipped or None. (A thread
        not released yet starts now.)"""
        self._go.set()
        self._wait()
        if self._error is not None:
            raise self._error
        return self._made
