"""Progress of a long command on the terminal: records done, rate and ETA.

A thin wrapper over tqdm, shown only when stderr is a terminal and the
command was not given ``--quiet``: a command piped into a file, run by cron
or by a test prints its summary line and nothing else. Usage::

    with progress_bar("pages", total=None, quiet=opts.quiet) as bar:
        for ...:
            bar.update(1)          # or bar.update(n) after a batch
            bar.note(new=3)        # optional counters shown after the rate

The bar writes to stderr, so stdout keeps only what the command prints as
its result.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class Progress:
    """What a command reports to; silent when no bar is shown."""

    def __init__(self, bar: Any = None) -> None:
        self._bar = bar

    @property
    def shown(self) -> bool:
        return self._bar is not None

    @property
    def elapsed(self) -> float:
        """Seconds since the bar was drawn (0 when none is)."""
        if self._bar is None:
            return 0.0
        return float(self._bar.format_dict.get("elapsed") or 0.0)

    def update(self, done: int = 1) -> None:
        """``done`` more records finished."""
        if self._bar is not None:
            self._bar.update(done)

    def set_total(self, total: int | None) -> None:
        """The number of records, once known (the ETA needs it)."""
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def note(self, **counters: object) -> None:
        """Counters shown after the rate (``new=3, rejected=1``)."""
        if self._bar is not None:
            self._bar.set_postfix(counters, refresh=False)

    def write(self, line: str) -> None:
        """A line above the bar (or on stderr when none is shown)."""
        if self._bar is not None:
            self._bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)


def shows_progress(quiet: bool = False, stream: TextIO | None = None) -> bool:
    """Whether a bar would be shown: stderr is a terminal and not ``quiet``."""
    stream = stream if stream is not None else sys.stderr
    try:
        return not quiet and stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


@contextmanager
def progress_bar(unit: str, *, total: int | None = None, quiet: bool = False,
                 scale: bool = False, stream: TextIO | None = None) -> Iterator[Progress]:
    """A ``Progress`` counting ``unit`` (records, pages, rows) with rate and
    ETA (the ETA once ``total`` is known), drawn on ``stream`` (stderr)
    only when it is a terminal and not ``quiet``. ``scale`` shows large
    counts with k/M/G prefixes (bytes: ``progress_bar("B", scale=True)``)."""
    if not shows_progress(quiet, stream):
        yield Progress()
        return
    from tqdm import tqdm  # a core dependency, imported only when drawn

    bar = tqdm(total=total, unit=unit if scale else f" {unit}",
               file=stream if stream is not None else sys.stderr, dynamic_ncols=True,
               smoothing=0.1, mininterval=0.5, unit_scale=scale,
               unit_divisor=1024 if scale else 1000)
    try:
        yield Progress(bar)
    finally:
        bar.close()


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress bar (it is shown only on a terminal anyway)."""
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bar on the terminal")
