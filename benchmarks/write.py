"""``make bench-write``: the archive's write path alone, on SQLite and on
PostgreSQL, with one and two writer processes.

N statements (800 by default) with bodies of realistic size (about 450
words in paragraphs, a chrome line on one in five, one in ten a relay of
another source's statement, so that clusters form) are made once, enriched
and signed beforehand as the crawl's workers hand them to the archive: of
the text without the chrome the archive had learned ``--lag`` batches
before the statement's own (a dry run into a scratch archive says when each
line is learned). So the archive enriches again the texts whose chrome it
learned while they were in flight, and strips and re-indexes older rows, as
it would. Each run writes them in batches of 50
(``crawler.ingest.archiving.archive_batch``,
one transaction a batch) into a fresh archive: a SQLite file, then a
scratch PostgreSQL database (``DEMARCHE_TEST_POSTGRES_URL``, else the
server ``.ci/postgres`` starts) with one writer, then with two writers
sharing the batches. Each run prints statements per second, SQL statements
per article (counted by a ``before_cursor_execute`` listener) and the share
of the writers' time spent waiting on the syndication index's lock. The
three runs take turns for a few rounds; each one's best round is judged
against its target, and the median is printed beside it.

Targets (issue 17): PostgreSQL at least 400 statements/s with one writer
and 1.6 times that with two; SQLite at least 1,000 statements/s.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crawler.ingest.archiving import archive_batch, known_chrome
from crawler.ingest.processing import load_rules, prepare_statement
from crawler.items import Fetch, Statement
from storage.archive import sync_sources
from storage.engine import open_archive, project_root

BATCH = 50
# How many whole batches written between the chrome a worker knew and the
# batch its statement is written in. In a crawl a page is extracted with
# the lines known after the last batch written (LAG 0), except the pages
# in flight when that batch was written, a few dozen (Scrapy's concurrent
# responses), which knew the one before (LAG 1): 1 is the pessimistic
# figure. A backfill's tasks know none (``--lag`` large).
LAG = 1
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
_VOCABULARY = (
    "the ministry of foreign affairs welcomes decision delegations states talks resume "
    "technical consultations seasonal release water reservoir interruption years questions "
    "allocation basin settled dialogue riparian convention agreements force unilateral steps "
    "storage capacity notification mistrust farmers downstream predictable flow parties "
    "exchange hydrological data experts verify measurements stations practical measures "
    "confidence engineers support equipment training request minister said spokesperson "
    "briefing security council resolution sanctions humanitarian corridor ceasefire border "
    "embassy ambassador summit cooperation sovereignty integrity region partners economic "
    "trade energy grain nuclear inspection agency envoy election parliament treaty").split()
# (Wide enough that two statements share few 3-word shingles by chance.)


@dataclass
class Run:
    statements: int
    seconds: float
    sql: int
    lock_seconds: float
    busy_seconds: float
    outcomes: Counter[str]


def sources(count: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(
        key=f"bench_{n:02d}", name=f"Bench ministry {n}", site_name=None,
        kind="agency" if n % 4 == 3 else "ministry", country="RU", language="en",
        spider="listing", domains=[f"site{n}.example"],
        entry_points=[f"https://site{n}.example/news/"]) for n in range(count)]


def _paragraphs(rng: random.Random, words: int) -> str:
    out, left = [], words
    while left > 0:
        size = min(left, rng.randint(40, 90))
        sentence = " ".join(rng.choice(_VOCABULARY) for _ in range(size))
        out.append(sentence.capitalize() + ".")
        left -= size
    return "\n\n".join(out)


def make_statements(count: int, registry: list[SimpleNamespace], lag: int = LAG
                    ) -> list[Statement]:
    """``count`` statements, the same every run."""
    rng = random.Random(17)
    made: list[Statement] = []
    for n in range(count):
        source = registry[n % len(registry)]
        if n % 10 == 9 and made:
            original = made[rng.randrange(len(made))].body
            body = f"The agency reports on Monday.\n\n{original}\n\nEnd of report."
        else:
            body = _paragraphs(rng, rng.randint(300, 600))
        if n % 5 == 0:
            # Chrome the extraction left in: learned, and stripped, soon.
            body += f"\n\nFollow {source.name} on every network for the latest news."
        at = T0 + timedelta(minutes=n)
        url = f"https://{source.domains[0]}/news/{n}/"
        made.append(Statement(
            source=source.key, url=url, canonical_url=url, title=f"Statement number {n}",
            body=body, published_at=at, author=None, language="en", section="news",
            site_name=source.name, fetched_at=at,
            fetch=Fetch(source.key, url, url, 200, at, etag=f'"{n}"'),
            extractor="bench", extractor_hash="0" * 16))
    load_rules()
    return prepared(made, registry, lag)


def prepared(made: list[Statement], registry: list[SimpleNamespace], lag: int
             ) -> list[Statement]:
    """Each statement enriched and signed as a worker would have, knowing
    the chrome learned ``lag`` batches before its own batch was written."""
    known: list[dict[str, frozenset[str]]] = []  # after each batch
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_archive(f"sqlite:///{Path(tmp) / 'dry.db'}")
        with Session(engine) as session, session.begin():
            sync_sources(session, registry, T0)
        for start in range(0, len(made), BATCH):
            with Session(engine) as session, session.begin():
                archive_batch(session, made[start:start + BATCH])
                known.append(known_chrome(session, [s.key for s in registry]))
        engine.dispose()
        open_archive.cache_clear()
    by_key = {s.key: s for s in registry}
    out = []
    for n, statement in enumerate(made):
        before = n // BATCH - lag - 1
        chrome = known[before].get(statement.source, frozenset()) if before >= 0 else frozenset()
        out.append(prepare_statement(statement, by_key[statement.source], chrome))
    return out


def _writer(url: str, batches: list[list[int]], statements: list[Statement],
            start: object, results: object) -> None:
    engine = open_archive(url)
    tally = {"sql": 0, "lock": 0.0}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        tally["sql"] += 1
        if "pg_advisory_xact_lock" in statement:
            conn.info["lock_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        started = conn.info.pop("lock_started", None)
        if started is not None:
            tally["lock"] += time.perf_counter() - started

    outcomes: Counter[str] = Counter()
    start.wait()  # type: ignore[attr-defined]
    began = time.perf_counter()
    for batch in batches:
        with Session(engine) as session, session.begin():
            outcomes.update(archive_batch(session, [statements[i] for i in batch]))
    busy = time.perf_counter() - began
    results.put((tally["sql"], tally["lock"], busy, dict(outcomes)))  # type: ignore[attr-defined]
    engine.dispose()


def write(url: str, statements: list[Statement], registry: list[SimpleNamespace], writers: int) -> Run:
    """Write the statements into the fresh archive at ``url``."""
    engine = open_archive(url)
    with Session(engine) as session, session.begin():
        sync_sources(session, registry, T0)
    engine.dispose()
    open_archive.cache_clear()
    batches = [list(range(i, min(i + BATCH, len(statements))))
               for i in range(0, len(statements), BATCH)]
    # The writers are forked from this process, which holds every prepared
    # statement and the whole import graph: frozen, Python's full
    # collections in a writer do not walk them (nor copy their pages on
    # write), as they would not in a writer that never held them.
    gc.freeze()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(writers + 1), context.Queue()
    processes = [context.Process(target=_writer, args=(url, batches[n::writers], statements,
                                                        start, results))
                 for n in range(writers)]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    done = [results.get() for _ in processes]
    seconds = time.perf_counter() - began
    for process in processes:
        process.join()
    outcomes: Counter[str] = Counter()
    for _, _, _, counted in done:
        outcomes.update(counted)
    return Run(len(statements), seconds, sum(d[0] for d in done), sum(d[1] for d in done),
               sum(d[2] for d in done), outcomes)


def postgres_admin() -> str:
    url = os.environ.get("DEMARCHE_TEST_POSTGRES_URL")
    if url:
        return url
    script = project_root() / ".ci" / "postgres"
    return subprocess.run([str(script)], check=True, capture_output=True,
                          text=True).stdout.strip()


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"demarche_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        open_archive.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def report(label: str, run: Run) -> float:
    rate = run.statements / run.seconds
    share = run.lock_seconds / run.busy_seconds if run.busy_seconds else 0.0
    print(f"{label}: {run.statements} statements in {run.seconds:.2f} s, {rate:.0f} "
          f"statements/s; {run.sql / run.statements:.2f} SQL statements per article; "
          f"lock wait {share:.0%} of the writers' time; {dict(run.outcomes)}")
    return rate


def summary(label: str, rates: list[float]) -> float:
    """The best round, which the targets are judged on (as in ``make
    bench-import`` and ``make bench-crawl``: a neighbour's busy minute says
    nothing of the code), printed beside the median."""
    print(f"{label}: best {max(rates):.0f}, median {statistics.median(rates):.0f} statements/s "
          f"over {len(rates)} rounds")
    return max(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=800)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--lag", type=int, default=LAG,
                        help="batches between the chrome the workers knew and their own "
                             f"(default {LAG}; 1000: workers told nothing, as a backfill's)")
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of every run, taken in turn, each into a fresh archive")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    registry = sources(args.sources)
    started = time.perf_counter()
    statements = make_statements(args.statements, registry, args.lag)
    words = sum(len(s.body.split()) for s in statements) / len(statements)
    print(f"{len(statements)} statements of {words:.0f} words on average, {args.sources} "
          f"sources, batches of {BATCH}, enriched and signed beforehand knowing the chrome "
          f"learned {args.lag} batch(es) before their own "
          f"({time.perf_counter() - started:.1f} s)")
    # Figures of a shared machine say little without its load.
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    lite: list[float] = []
    one: list[float] = []
    two: list[float] = []
    admin = postgres_admin() if args.backend != "sqlite" else None
    for n in range(1, args.rounds + 1):
        if args.backend in ("both", "sqlite"):
            with tempfile.TemporaryDirectory() as tmp:
                lite.append(report(f"round {n}, SQLite, 1 writer",
                                   write(f"sqlite:///{Path(tmp) / 'bench.db'}", statements,
                                         registry, 1)))
        if admin is not None:
            for writers, rates in ((1, one), (2, two)):
                with scratch_database(admin) as url:
                    rates.append(report(f"round {n}, PostgreSQL, {writers} writer"
                                        f"{'s' if writers > 1 else ''}",
                                        write(url, statements, registry, writers)))
    ok = True
    if lite:
        rate = summary("SQLite, 1 writer", lite)
        ok &= rate >= 1000
        print(f"  target >= 1,000 statements/s: {'met' if rate >= 1000 else 'NOT met'}")
    if one:
        best_one = summary("PostgreSQL, 1 writer", one)
        # The two-writer ratio within each round, whose runs were minutes apart.
        ratios = [b / a for a, b in zip(one, two, strict=True)]
        best_two = summary("PostgreSQL, 2 writers", two)
        ratio = best_two / best_one
        print(f"  target >= 400 statements/s with 1 writer: "
              f"{'met' if best_one >= 400 else 'NOT met'}; 2 writers {ratio:.2f}x of 1 "
              f"(best rounds; per round {', '.join(f'{r:.2f}x' for r in ratios)}; "
              f"target >= 1.6x): {'met' if ratio >= 1.6 else 'NOT met'}")
        ok &= best_one >= 400 and ratio >= 1.6
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
