"""Process pools that do not outlive their parent.

A crawl or an import killed with SIGKILL cannot shut its pool down, and the
pool's workers, blocked on their task queue, would linger as orphans for
good. Each worker asks Linux to kill it when its parent dies (prctl
PR_SET_PDEATHSIG), and where that is not available it watches its parent
from a thread.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _die_with_parent(parent: int) -> None:
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
                               initializer=_die_with_parent, initargs=(os.getpid(),))
