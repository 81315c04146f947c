"""How the commands print: query results as a table, CSV or JSON; crawl
outcomes; moments to the minute."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime

from tabulate import tabulate

from crawler.runner import CrawlOutcome
from reading.sql import QueryResult


def print_result(result: QueryResult, fmt: str, out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    elif fmt == "json":
        def plain(value: object) -> object:
            return value.isoformat() if isinstance(value, (date, datetime)) else value

        records = [dict(zip(result.columns, map(plain, row), strict=True)) for row in result.rows]
        json.dump(records, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    else:
        out.write(tabulate(result.rows, headers=result.columns, tablefmt="simple", maxcolwidths=60))
        out.write(f"\n({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})\n")


def print_outcomes(outcomes: list[CrawlOutcome]) -> None:
    rows = [(o.source, o.status, o.counts["pages"], o.counts["new"], o.counts["changed"],
             o.counts["unchanged"], o.counts["errors"]) for o in outcomes]
    print(tabulate(rows, headers=["source", "status", "pages", "new", "changed",
                                  "unchanged", "errors"]))


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"
