"""How the commands print: query results as a table, CSV or JSON, row by
row; crawl outcomes; moments to the minute; and a quiet end when the reader
of the output (``head``) goes away."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING

from tabulate import tabulate

if TYPE_CHECKING:  # (Scrapy and SQLAlchemy: seconds of start-up for every command)
    from crawler.runner import CrawlOutcome
    from reading.sql import QueryResult

# Rows a table shows: a table's columns are as wide as its widest cell, so
# it needs its rows in memory; CSV and JSON stream every row.
TABLE_ROWS = 1000
# 128 + SIGPIPE: the status a shell reports for `cat` or `seq` when the
# reader of their pipe goes away, so `set -o pipefail` sees the output was
# cut short (0 would claim it was all written).
BROKEN_PIPE = 141


def _blob(value: object) -> object:
    # A blob (a MinHash signature) as hex, not Python's b'...' repr.
    return bytes(value).hex() if isinstance(value, (bytes, bytearray, memoryview)) else value


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, (date, datetime)) else _blob(value)


def print_result(result: QueryResult, fmt: str, out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    rows = iter(result.rows)
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(result.columns)
        for row in rows:
            writer.writerow(map(_blob, row))
    elif fmt == "json":
        # A JSON array, one record a line, written as the rows come.
        out.write("[")
        for count, row in enumerate(rows):
            record = dict(zip(result.columns, map(_plain, row), strict=True))
            out.write(",\n" if count else "\n")
            out.write(json.dumps(record, ensure_ascii=False, default=str))
        out.write("\n]\n")
    else:
        page = [tuple(map(_blob, row)) for row in islice(rows, TABLE_ROWS)]
        more = next(rows, None) is not None
        out.write(tabulate(page, headers=result.columns, tablefmt="simple", maxcolwidths=60))
        if more:
            out.write(f"\n(the first {TABLE_ROWS} rows; --format csv or json prints them all)\n")
        else:
            out.write(f"\n({len(page)} row{'s' if len(page) != 1 else ''})\n")


def exit_status(command: Callable[[], int]) -> int:
    """The command's exit status, or BROKEN_PIPE, quietly, when the reader
    of its output has gone (``demarche sql ... | head``)."""
    try:
        status = command()
        sys.stdout.flush()  # inside the try: the last write may be the one that fails
        return status
    except BrokenPipeError:
        # Python would flush stdout again at exit and print "Exception
        # ignored ... BrokenPipeError"; point it at nothing first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return BROKEN_PIPE


def print_outcomes(outcomes: list[CrawlOutcome]) -> None:
    rows = [(o.source, o.status, o.counts["pages"], o.counts["new"], o.counts["changed"],
             o.counts["unchanged"], o.counts["errors"]) for o in outcomes]
    print(tabulate(rows, headers=["source", "status", "pages", "new", "changed",
                                  "unchanged", "errors"]))
    # Why a run did not finish, one line each, as its ledger row says.
    for outcome in outcomes:
        if outcome.why:
            print(f"{outcome.source}: {outcome.status}: {outcome.why}", file=sys.stderr)


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"
