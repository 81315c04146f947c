"""``make demo`` / ``demarche demo``: record the demo site, crawl it with
the real spiders into the archive on two visits, and show what landed."""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from cli.options import add_archive, add_command, settings_of
from cli.output import print_outcomes, print_result
from reading.sql import run_readonly

EXAMPLE_QUERY = """\
SELECT s.name AS source, date(a.published_at) AS day, count(*) AS statements
FROM articles a JOIN sources s ON s.key = a.source
GROUP BY 1, 2 ORDER BY 2, 1"""
# What the second visit found, one line each, to try next.
FEATURES = {
    "edited": "SELECT id, url FROM articles WHERE changed_at IS NOT NULL ORDER BY id",
    "removed": "SELECT id, url FROM articles WHERE removed_at IS NOT NULL ORDER BY id",
    "relayed": "SELECT a.id, a.source, a.published_at FROM articles a JOIN clusters c "
               "ON c.id = a.cluster_id WHERE c.size > 1 ORDER BY a.published_at",
    "translated": "SELECT article_id, translation_id, translation_language FROM translations "
                  "ORDER BY article_id",
}
# Politeness is for servers; the recordings answer at once.
FAST = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "WARNING"}


def first_visit_done(url: str) -> bool:
    """Whether the archive holds the demo's first visit already: the press
    release taken down after it is there. Then the demo visits once, as
    the sites are now: running it again changes nothing."""
    from sqlalchemy.orm import Session

    from crawler.demo.record import TAKEN_DOWN
    from storage.engine import open_archive
    from storage.lookup import find_article

    with Session(open_archive(url)) as session:
        return find_article(session, TAKEN_DOWN) is not None


def cmd_demo(opts: argparse.Namespace) -> int:
    from crawler.demo.record import DEMO_SOURCES, VISITS, record_site
    from crawler.demo.visits import crawl_visits
    from storage.engine import describe, project_root

    started = time.monotonic()
    settings = settings_of(opts, FAST)
    url = settings.get("DEMARCHE_ARCHIVE_URL")
    visits = VISITS[1:] if first_visit_done(url) else VISITS
    recordings = []
    for visit in visits:
        warc = project_root() / "build" / f"demo-visit-{visit}.warc.gz"
        pages = record_site(warc, visit=visit)
        recordings.append(warc)
        print(f"Recorded the offline demo site, visit {visit}: {pages} responses in {warc}")
    outcomes = crawl_visits(DEMO_SOURCES, recordings, settings)
    for visit, found in zip(visits, outcomes, strict=False):  # (fewer after a failed visit)
        print(f"\nVisit {visit}: crawled {len(found)} sources into {describe(url)}:")
        print_outcomes(found)
    failed = [o for found in outcomes for o in found if o.status != "finished"]
    if failed:
        # What the archive holds then is not what the demo shows off: no
        # tour of it, and a status that says so.
        runs = sum(len(found) for found in outcomes)
        print(f"demarche demo: {len(failed)} of {runs} crawls did not finish (the reasons are "
              f"above); fix that and run it again", file=sys.stderr)
        return 1
    print("\nThe archive now holds:")
    print_result(run_readonly(url, "SELECT id, source, published_at, title FROM articles "
                                   "ORDER BY published_at"), "table")
    print(f"\nAn example query, statements per source per day:\n\n{EXAMPLE_QUERY}\n")
    print_result(run_readonly(url, EXAMPLE_QUERY), "table")
    print("\nWhat the second visit shows:")
    for what, query in FEATURES.items():
        rows = run_readonly(url, query).rows
        print(f"  {what}: " + ("; ".join(" ".join(str(v) for v in row) for row in rows) or "none"))
    # As the README says it, unless the virtualenv's bin is on the PATH.
    command = "demarche" if shutil.which("demarche") else ".venv/bin/demarche"
    print(f"\nDone in {time.monotonic() - started:.1f} s. Try: {command} history ID, "
          f"{command} show ID, {command} browse")
    return 0


def register(sub) -> None:  # type: ignore[no-untyped-def]
    demo = add_command(
        sub, "demo", help="crawl the bundled offline demo into the archive",
        description="Record the bundled demo site (no network needed) as it is on two "
        "visits, crawl each with the real spiders into the archive, and show what landed: "
        "an edited statement, a takedown, a relayed story and a translation pair.",
        examples=["demarche demo", "demarche demo --archive sqlite:///build/demo.db"])
    add_archive(demo)
    demo.set_defaults(func=cmd_demo)
