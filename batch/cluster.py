"""Dask for the batch jobs: a client on a running scheduler (``--scheduler
tcp://HOST:8786``) or on a cluster of local worker processes (``--local N``),
and an in-order map over it with a bounded number of tasks in flight.

Imported only by ``demarche backfill`` and ``demarche reextract
--scheduler/--local``: Dask is the ``cluster`` extra, and nothing else of
demarche loads it. Work is plain functions mapped over inputs; a task whose
worker dies is run again elsewhere by the scheduler (up to its
``distributed.scheduler.allowed-failures``), one that raises is retried
``retries`` times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

# A task that raises (an unreadable file on a flaky store) is tried again
# this many times before the job stops; a lost worker is handled by the
# scheduler on its own.
RETRIES = 3


def needs_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError("demarche backfill needs Dask: pip install 'demarche[cluster]'") from None


@contextmanager
def dask_client(scheduler: str | None = None, local: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler``, else on a new local
    cluster of ``local`` single-threaded worker processes (extraction holds
    the GIL: threads would take turns)."""
    needs_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=max(1, local or 1), threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster, \
            Client(cluster) as client:
        yield client


def dashboard(client: Any) -> str | None:
    """The Dask dashboard's address, when the scheduler serves one (it
    needs bokeh, which the ``cluster`` extra does not install)."""
    services = client.scheduler_info().get("services", {})
    return client.dashboard_link if "dashboard" in services else None


def worker_count(client: Any) -> int:
    return len(client.scheduler_info().get("workers", {}))


def ordered_map(client: Any, function: Callable[..., Any], items: Iterable[Any], *,
                window: int, args: tuple[Any, ...] = (), retries: int = RETRIES
                ) -> Iterator[Any]:
    """``function(item, *args)`` on the cluster for each item, yielded in
    the order of ``items``; at most ``window`` tasks submitted and not yet
    yielded, so a backfill of a million parts holds a window of results."""
    from distributed import as_completed

    source = iter(enumerate(items))
    futures: dict[int, Any] = {}
    index_of: dict[str, int] = {}
    done: dict[int, Any] = {}
    following = 0
    running = as_completed()

    def submit() -> bool:
        try:
            index, item = next(source)
        except StopIteration:
            return False
        future = client.submit(function, item, *args, retries=retries, pure=False)
        futures[index] = future
        index_of[future.key] = index
        running.add(future)
        return True

    while len(futures) < window and submit():
        pass
    for future in running:
        index = index_of.pop(future.key)
        done[index] = future.result()  # raises the task's error once retries are spent
        del futures[index]
        future.release()
        while following in done:
            yield done.pop(following)
            following += 1
        while len(futures) + len(done) < window and submit():
            pass
