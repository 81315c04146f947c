"""The set-based write path (``storage/bulk.py``, ``storage/bulk_index.py``)
against the per-article one it replaced, on SQLite and PostgreSQL: a mixed
batch (new, changed, unchanged, a redirect and a canonical alias, the same
text at a second URL, the same text twice in the batch, one URL twice, a
relay joining a statement's cluster, chrome becoming learned, a 304 and a
takedown; relays settled in memory) leaves exactly the same rows in every
table; two writers on one PostgreSQL archive store each statement once."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crawler.extraction import boilerplate
from crawler.ingest.archiving import (
    _enrichment,
    archive_batch,
    learned_lines,
    remember,
    retried,
)
from crawler.ingest.processing import enricher_hash
from crawler.items import Fetch, Gone, Statement
from storage.archive import Outcome, mark_removed, mark_seen, store_article, sync_sources
from storage.boilerplate import record_lines, rewrite_bodies
from storage.clusters import index_article, lock_index
from storage.engine import open_archive
from storage.fetch_state import record_fetch
from storage.minhash import similarity, text_signature
from storage.models import Article, ArticleUrl, Base, Cluster, SourceRow
from storage.statements import store_enrichment
from tests.conftest import scratch_postgres
from tests.test_versions import a_source

T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MID = a_source("mid_ru_en", ("mid.ru",))
TASS = a_source("tass_en", ("tass.com",), kind="agency")
CHROME = "Follow the Ministry on Telegram for the latest news and statements."
_WORDS = ("ministry talks water basin delegation agreement minister convention border "
          "ceasefire council resolution sanctions trade embassy summit nuclear security "
          "region cooperation dialogue settlement envoy corridor harvest grain reactor "
          "inspection monitoring refugees humanitarian parliament election budget treaty").split()


def words(seed: int, n: int = 70) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(_WORDS) for _ in range(n)).capitalize() + "."


def relay(original: str) -> str:
    return f"MOSCOW, May 6 (TASS). The ministry said on Monday.\n\n{original}\n\nEnd of text."


def statement(source: str, url: str, body: str, at: datetime, *, title: str = "Statement",
              requested: str | None = None, canonical: str | None = None,
              etag: str | None = None) -> Statement:
    fetch = Fetch(source, requested or url, url, 200, at, etag=etag)
    return Statement(source=source, url=url, canonical_url=canonical, title=title, body=body,
                     published_at=T0, author=None, language="en", section=None,
                     site_name=None, fetched_at=at, fetch=fetch)


def mid(path: str) -> str:
    return f"https://mid.ru/en/news/{path}/"


def batches() -> list[list[Statement | Fetch | Gone]]:
    """A first batch, the mixed one, and the mixed one again."""
    t1, t2 = T0 + DAY, T0 + 2 * DAY
    first: list[Statement | Fetch | Gone] = [
        statement("mid_ru_en", mid("1"), f"{words(1)}\n\n{CHROME}", T0),
        statement("mid_ru_en", mid("2"), f"{words(2)}\n\n{CHROME}", T0),
        statement("mid_ru_en", mid("3"), words(3), T0),
        statement("mid_ru_en", mid("4"), words(4), T0),
        statement("tass_en", "https://tass.com/politics/1", words(5), T0),
        statement("mid_ru_en", mid("5"), words(6), T0),
        statement("mid_ru_en", mid("6"), "Too short to index.", T0),
    ]
    mixed: list[Statement | Fetch | Gone] = [
        Fetch("mid_ru_en", mid("1"), mid("1"), 304, t1),
        Gone("mid_ru_en", mid("6"), 404, t1, "http 404"),
        statement("mid_ru_en", mid("10"), f"{words(10)}\n\n{CHROME}", t1),  # new; chrome learned
        statement("mid_ru_en", mid("4"), words(40), t1),  # changed
        statement("mid_ru_en", mid("3"), words(3), t1, etag='"v1"'),  # unchanged
        # A redirect to a known page, and a print view naming it canonical.
        statement("mid_ru_en", mid("2"), f"{words(2)}\n\n{CHROME}", t1, requested=mid("old-2")),
        statement("mid_ru_en", mid("5-print"), words(6) + " Printed.", t1, canonical=mid("5")),
        statement("mid_ru_en", mid("3-mirror"), words(3), t1),  # the same text elsewhere
        statement("mid_ru_en", mid("20"), words(20), t1),  # the same text twice
        statement("mid_ru_en", mid("21"), words(20), t1),
        statement("mid_ru_en", mid("30"), words(30), t1),  # one URL twice, changed
        statement("mid_ru_en", mid("30"), words(31), t2, etag='"v2"'),
        statement("tass_en", "https://tass.com/politics/2", relay(words(5)), t1),  # cluster
        statement("mid_ru_en", mid("40"), words(41), t1),  # a pair within the batch
        statement("tass_en", "https://tass.com/politics/3", relay(words(41)), t1),
        statement("mid_ru_en", mid("50"), "Short again.", t1),
    ]
    return [first, mixed, list(mixed)]


def per_article_batch(session: Session, entries, *, remember_fetches: bool = True) -> Counter:
    """The write path as it was before the set-based one: every statement
    by itself, through the per-article storage functions."""
    counts: Counter[str] = Counter()
    by_source: dict[str, list[Statement]] = defaultdict(list)
    if any(isinstance(entry, Statement) for entry in entries):
        lock_index(session)
    for entry in entries:
        if isinstance(entry, Statement):
            by_source[entry.source].append(entry)
        elif isinstance(entry, Gone):
            record_fetch(session, source=entry.source, url=entry.url, status=entry.status,
                         fetched_at=entry.seen_at)
            if mark_removed(session, entry.url, entry.reason, entry.seen_at):
                counts["removed"] += 1
        else:
            remember(session, entry)
            if entry.status == 304 and mark_seen(session, entry.page_url, entry.fetched_at):
                counts["unchanged"] += 1
    learned = learned_lines(session, by_source)
    grew, written = set(), {}
    for source, batch in by_source.items():
        keys = set(learned.get(source, ()))
        for s in batch:
            fields = {f.name: getattr(s, f.name) for f in dataclasses.fields(s)}
            fields["body"] = boilerplate.strip_lines(s.body, keys)
            outcome, article_id = store_article(session, fields, seen_at=s.fetched_at,
                                                requested_url=s.fetch.url if s.fetch else None)
            counts[outcome.value] += 1
            if outcome is not Outcome.UNCHANGED:
                result = index_article(session, article_id, fields["body"], s.fetched_at,
                                       new=outcome is Outcome.NEW)
                if result is not None and result.cluster_id is not None:
                    counts["clustered"] += 1
            if (outcome is not Outcome.UNCHANGED
                    or session.get(Article, article_id).enricher_hash != enricher_hash()):
                store_enrichment(session, article_id,
                                 _enrichment(s, fields["body"], session.get(SourceRow, source)),
                                 enricher_hash(), new=outcome is Outcome.NEW)
                written[article_id] = s
            remember(session, s.fetch)
            if outcome is Outcome.NEW:
                record_lines(session, source, boilerplate.candidate_lines(s.body), s.fetched_at)
                grew.add(source)
    for source, lines in learned_lines(session, grew).items():
        newly = {k: t for k, t in lines.items() if k not in learned.get(source, {})}
        if not newly:
            continue
        recleaned = rewrite_bodies(session, source, list(newly.values()),
                                   lambda body, keys=set(newly): boilerplate.strip_lines(body, keys))
        counts["recleaned"] += len(recleaned)
        for article_id in recleaned:
            article = session.get(Article, article_id)
            index_article(session, article_id, article.body, by_source[source][-1].fetched_at)
            if article_id in written:
                row = session.get(SourceRow, source)
                store_enrichment(session, article_id, _enrichment(written[article_id],
                                                                  article.body, row), enricher_hash())
                article.enricher_hash = enricher_hash()
    return counts


def every_row(url: str) -> dict[str, list[tuple]]:
    engine = open_archive(url)
    with engine.connect() as conn:
        return {table.name: [tuple(r) for r in conn.execute(
            select(table).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables
            if table.name not in ("crawl_runs", "sources")}


@pytest.fixture
def second_url(archive_url: str) -> Iterator[str]:
    """Another fresh archive on the same backend as ``archive_url``."""
    if archive_url.startswith("sqlite"):
        yield archive_url.replace("archive.db", "other.db")
        return
    yield from scratch_postgres()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL archive: racing writers need a server."""
    yield from scratch_postgres()


def run(url: str, write, batches=batches) -> list[Counter]:
    engine = open_archive(url)
    with Session(engine) as s, s.begin():
        sync_sources(s, [MID, TASS], T0)
    counts = []
    for entries in batches():
        with Session(engine) as s, s.begin():
            counts.append(write(s, entries))
    return counts


def test_the_set_based_path_writes_the_rows_of_the_per_article_path(archive_url: str,
                                                                    second_url: str):
    expected = run(archive_url, per_article_batch)
    got = run(second_url, archive_batch)
    assert got == expected
    # The mixed batch did what it says.
    assert expected[1] == {"new": 7, "changed": 3, "unchanged": 5, "clustered": 2,
                           "recleaned": 3, "removed": 1}
    # Again: only the URL whose two texts alternate changes.
    assert expected[2] == {"unchanged": 13, "changed": 2}
    before, after = every_row(archive_url), every_row(second_url)
    assert before == after
    assert len(after["articles"]) == 14 and len(after["clusters"]) == 2
    assert len(after["article_versions"]) == 5 and len(after["article_urls"]) == 18


def test_aliases_met_as_fetched_urls_in_one_batch_are_all_upgraded(archive_url: str,
                                                                    second_url: str):
    """Two canonical aliases and a redirect's source, each fetched directly
    in one later batch: every alias becomes a fetched URL, as the
    per-article path makes it (several at once once crashed the batch)."""
    def aliases() -> list[list[Statement | Fetch | Gone]]:
        t1 = T0 + DAY
        return [[statement("mid_ru_en", mid("p1"), words(81), T0, canonical=mid("c1")),
                 statement("mid_ru_en", mid("p2"), words(82), T0, canonical=mid("c2")),
                 statement("mid_ru_en", mid("p3"), words(83), T0, requested=mid("r3")),
                 statement("mid_ru_en", mid("p4"), words(84), T0, requested=mid("r4"))],
                [statement("mid_ru_en", mid("c1"), words(81), t1),
                 statement("mid_ru_en", mid("c2"), words(82), t1),
                 statement("mid_ru_en", mid("r3"), words(83), t1),
                 statement("mid_ru_en", mid("r4"), words(84), t1)]]

    expected = run(archive_url, per_article_batch, aliases)
    assert run(second_url, archive_batch, aliases) == expected
    before, after = every_row(archive_url), every_row(second_url)
    assert before == after
    assert len(after["articles"]) == 4
    kinds = {url: kind for url, _, kind, _ in after["article_urls"]}
    aliases_now = {url: kind for url, kind in kinds.items()
                   if url.rstrip("/").rsplit("/", 1)[-1] in ("c1", "c2", "r3", "r4")}
    assert len(aliases_now) == 4 and set(aliases_now.values()) == {"fetched"}, kinds


def test_a_url_twice_in_a_batch_is_one_article_with_a_version(archive_url: str):
    engine = open_archive(archive_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, [MID], T0)
        counts = archive_batch(s, [statement("mid_ru_en", mid("7"), words(70), T0),
                                   statement("mid_ru_en", mid("7"), words(71), T0 + DAY),
                                   statement("mid_ru_en", mid("7"), words(71), T0 + 2 * DAY)])
    assert counts == {"new": 1, "changed": 1, "unchanged": 1}
    with Session(engine) as s:
        article = s.scalars(select(Article)).one()
        assert article.body == words(71) and article.last_seen_at == T0 + 2 * DAY
        assert article.changed_at == T0 + DAY


def test_a_relay_first_seen_without_a_date_heads_the_cluster_a_batch_makes(archive_url: str):
    # The cluster a batch creates for two unclustered near-duplicates
    # (storage.clusters._new_cluster): its first publisher by date, an
    # article without one placed by when it was first seen, and every
    # similarity measured against that first one.
    engine = open_archive(archive_url)
    body = words(90, 120)
    with Session(engine) as s, s.begin():
        sync_sources(s, [MID, TASS], T0)
        undated = dataclasses.replace(
            statement("tass_en", "https://tass.com/politics/9", relay(body), T0 - DAY),
            published_at=None)
        archive_batch(s, [undated])
    with Session(engine) as s, s.begin():
        counts = archive_batch(s, [statement("mid_ru_en", mid("9"), body, T0 + DAY)])
    assert counts == {"new": 1, "clustered": 1}
    with Session(engine) as s:
        rows = {a.source: a for a in s.scalars(select(Article))}
        (cluster,) = s.scalars(select(Cluster)).all()
        assert (cluster.first_article_id, cluster.size) == (rows["tass_en"].id, 2)
        assert {a.cluster_id for a in rows.values()} == {cluster.id}
        assert rows["tass_en"].cluster_similarity == 1.0
        assert rows["mid_ru_en"].cluster_similarity == similarity(
            text_signature(rows["tass_en"].body), text_signature(body))
        assert 0.75 <= rows["mid_ru_en"].cluster_similarity < 1.0


def test_relays_settled_in_memory_make_the_clusters_of_the_per_article_path(
        archive_url: str, second_url: str):
    # storage/cluster_join.py: a relay makes a cluster, a second joins it, an
    # undated one seen earlier joins an existing cluster and heads it, one
    # joins a text that then changes (one at a time from there on).
    a, b, c = words(200, 120), words(201, 120), words(202, 120)

    def later(original: str) -> str:
        return f"Agency report of Monday.\n\n{original}\n\nMore to follow."

    def joins() -> list[list[Statement | Fetch | Gone]]:
        t1 = T0 + DAY
        tass = "https://tass.com/politics/"
        undated = dataclasses.replace(statement("tass_en", tass + "u", later(b), T0 - DAY),
                                      published_at=None)
        return [[statement("mid_ru_en", mid("a"), a, T0), statement("mid_ru_en", mid("b"), b, T0),
                 statement("mid_ru_en", mid("c"), c, T0), statement("tass_en", tass + "rb",
                                                                   relay(b), T0)],
                [statement("tass_en", tass + "r1", relay(a), t1),
                 statement("tass_en", tass + "r2", later(a), t1), undated,
                 statement("tass_en", tass + "rc", "Tass.\n\n" + c, t1),
                 statement("mid_ru_en", mid("c"), words(203, 120), t1),
                 statement("mid_ru_en", mid("n"), a + " One more line.", t1)]]

    expected = run(archive_url, per_article_batch, joins)
    assert run(second_url, archive_batch, joins) == expected
    assert expected[1] == {"new": 5, "changed": 1, "clustered": 5}
    assert every_row(archive_url) == (after := every_row(second_url))
    assert len(after["clusters"]) == 2


def test_two_writers_at_once_store_each_statement_once(postgres_url: str):
    archive_url = postgres_url
    engine = open_archive(archive_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, [MID, TASS], T0)
    shared = [statement("mid_ru_en", mid(f"s{n}"), words(100 + n), T0) for n in range(40)]
    relays = [statement("tass_en", f"https://tass.com/r/{n}", relay(words(100 + n)), T0)
              for n in range(40)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(own: list[Statement]) -> None:
        try:
            start.wait()
            for n in range(0, len(shared), 10):
                entries = [*shared[n:n + 10], *own[n:n + 10]]

                def transaction(entries=entries) -> Counter:
                    with Session(open_archive(archive_url)) as s, s.begin():
                        return archive_batch(s, entries)

                # As the batch jobs write: a deadlock victim's batch again.
                retried(transaction)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(relays,)),
               threading.Thread(target=writer, args=(list(reversed(relays)),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 80
        assert s.scalar(select(func.count()).select_from(ArticleUrl)) == 80
        # Every relay found its statement, whichever writer stored which.
        pairs = s.execute(select(Article.url, Article.cluster_id)).all()
        clusters = dict(pairs)
        assert all(clusters[f"https://tass.com/r/{n}"] == clusters[mid(f"s{n}")] is not None
                   for n in range(40))
        assert len(set(clusters.values())) == 40


def test_a_deadlock_victims_batch_is_written_again(postgres_url: str):
    # Two transactions that take two rows in opposite orders: PostgreSQL
    # ends one as a deadlock victim; `retried` writes it again, and both
    # land. Without it one of the two writes is lost with an error.
    engine = open_archive(postgres_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, [MID], T0)
        archive_batch(s, [statement("mid_ru_en", mid("a"), words(1), T0),
                          statement("mid_ru_en", mid("b"), words(2), T0)])
    with Session(engine) as s:
        first = list(s.scalars(select(Article.id).order_by(Article.id)))
    both = threading.Barrier(2, timeout=30)
    tries: Counter[str] = Counter()

    def write(name: str, order: list[int]) -> None:
        def transaction() -> None:
            tries[name] += 1
            with engine.begin() as conn:
                for n, article_id in enumerate(order):
                    conn.execute(text("UPDATE articles SET section = :s WHERE id = :i"),
                                 {"s": name, "i": article_id})
                    if n == 0 and tries[name] == 1:
                        both.wait()
        retried(transaction)

    threads = [threading.Thread(target=write, args=("one", first)),
               threading.Thread(target=write, args=("two", first[::-1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tries.values()) == [1, 2]  # one victim, written again
    with Session(engine) as s:
        sections = set(s.scalars(select(Article.section)))
    assert len(sections) == 1 and sections <= {"one", "two"}
