"""``make demo`` / ``demarche demo``: record the demo site, crawl it with
the real spiders into the archive, and show what landed."""

from __future__ import annotations

import argparse
import time

from cli.options import add_archive, add_command, settings_of
from cli.output import print_outcomes, print_result
from crawler.demo.record import DEMO_SOURCES, record_site
from crawler.runner import run_crawls
from reading.sql import run_readonly
from storage.engine import describe, project_root

EXAMPLE_QUERY = """\
SELECT s.name AS source, date(a.published_at) AS day, count(*) AS statements
FROM articles a JOIN sources s ON s.key = a.source
GROUP BY 1, 2 ORDER BY 2, 1"""


def cmd_demo(opts: argparse.Namespace) -> int:
    started = time.monotonic()
    warc = project_root() / "build" / "demo.warc.gz"
    pages = record_site(warc)
    print(f"Recorded the offline demo site: {pages} responses in {warc}")
    settings = settings_of(opts, {"DEMARCHE_REPLAY": [str(warc)], "LOG_LEVEL": "WARNING"})
    url = settings.get("DEMARCHE_ARCHIVE_URL")
    outcomes = run_crawls(list(DEMO_SOURCES), {}, settings)
    print(f"\nCrawled {len(outcomes)} sources into {describe(url)}:")
    print_outcomes(outcomes)
    print("\nThe archive now holds:")
    print_result(run_readonly(url, "SELECT source, published_at, title FROM articles "
                                   "ORDER BY published_at"), "table")
    print(f"\nAn example query, statements per source per day:\n\n{EXAMPLE_QUERY}\n")
    print_result(run_readonly(url, EXAMPLE_QUERY), "table")
    print(f"\nDone in {time.monotonic() - started:.1f} s. Try: demarche sql \"SELECT ...\"")
    return 0 if all(o.status == "finished" for o in outcomes) else 1


def register(sub) -> None:  # type: ignore[no-untyped-def]
    demo = add_command(
        sub, "demo", help="crawl the bundled offline demo into the archive",
        description="Record the bundled demo site (no network needed), crawl it with the "
        "real spiders into the archive, and show what landed with an example query.",
        examples=["demarche demo", "demarche demo --archive sqlite:///build/demo.db"])
    add_archive(demo)
    demo.set_defaults(func=cmd_demo)
