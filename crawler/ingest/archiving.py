"""How a batch of clean statements enters the archive, in the caller's
transaction: chrome learned from the source is stripped, the row is
upserted, a new or changed text is indexed for syndication and enriched
(``crawler/enrich``, from the text as stored), and a new article's
candidate lines are counted. When a line becomes learned, it is also
stripped from the source's older articles, so that every article of the
source is cleaned the same way; those rows are indexed again, and enriched
again at once when this batch wrote them (else they are marked, for the
next crawl that meets them or ``demarche reextract``).

Each statement's ``Fetch`` is recorded in ``fetch_state`` in the same
transaction, so that a crash never leaves a URL marked fetched without its
article. A bare ``Fetch`` (a 304 answer, a page rejected for good) is only
recorded; a 304 also marks the archived article as seen. A statement
reached through a redirect brings the link it was requested at, which
becomes one of the article's URLs.

A ``Gone`` marks its article removed, and is recorded as that URL's last
fetch. The latest word wins whatever order entries and batches come in: a
``Gone`` older than a sighting of its article is ignored, and a sighting
after the removal clears it (``storage.archive.mark_removed``)."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from functools import partial
from types import EllipsisType, SimpleNamespace
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crawler.extraction import boilerplate
from crawler.ingest.overlap import Overlapped
from crawler.ingest.processing import enrich_statement, enricher_hash
from crawler.items import Fetch, Gone, Statement
from storage.archive import Outcome, mark_removed, mark_seen
from storage.boilerplate import (
    article_counts,
    line_counts,
    line_pages,
    record_line_counts,
    rewrite_bodies,
)
from storage.bulk import Incoming, load_sources, store_articles
from storage.bulk_index import index_articles
from storage.fetch_state import record_fetch, record_fetches
from storage.minhash import text_signature
from storage.models import Article
from storage.statements import store_enrichments


def learned_lines(session: Session, sources: Collection[str],
                  adding: Sequence[tuple[str, Mapping[str, str], datetime]] = ()
                  ) -> dict[str, dict[str, str]]:
    """Each source's learned chrome (line key -> text); a source without
    any is left out. One query for all: an import's batch holds hundreds of
    sites. ``adding``: lines of articles (source, key -> text, seen_at)
    counted as if ``record_line_counts`` had written them already."""
    learned = {}
    # Most sources, most of the time, have no line counted often enough:
    # their articles need no counting.
    candidates = line_counts(session, sources, boilerplate.MIN_PAGES)
    if adding:
        more: dict[tuple[str, str], tuple[str, int]] = {}
        for source, lines, _ in adding:
            for key, text in lines.items():
                first, pages = more.get((source, key), (text, 0))
                more[(source, key)] = (first, pages + 1)
        have: dict[str, set[str]] = defaultdict(set)
        for source, key in more:
            if key not in candidates.get(source, {}):
                have[source].add(key)
        counted = line_pages(session, have)
        for (source, key), (text, pages) in more.items():
            text, before = candidates.get(source, {}).get(key) or counted.get((source, key),
                                                                          (text, 0))
            if before + pages >= boilerplate.MIN_PAGES:
                candidates.setdefault(source, {})[key] = (text, before + pages)
    totals = article_counts(session, candidates) if candidates else {}
    for source, counts in candidates.items():
        total = totals.get(source, 0)
        lines = {key: text for key, (text, pages) in counts.items()
                 if boilerplate.is_learned(pages, total)}
        if lines:
            learned[source] = lines
    return learned


def known_chrome(session: Session, sources: Collection[str]) -> dict[str, frozenset[str]]:
    """The learned lines' keys of each source with any: what the workers
    take out of their texts before enriching them
    (``processing.process_and_enrich``)."""
    return {source: frozenset(lines) for source, lines in learned_lines(session, sources).items()}


def made_of(statement: Statement) -> str:
    """The text the statement's own enrichment and signature were made of."""
    return statement.body if statement.clean_body is None else statement.clean_body


def _enrichment(statement: Statement, body: str, source: object):  # type: ignore[no-untyped-def]
    """The enrichment of ``statement`` with ``body``, the text as stored,
    for its source's kind and country as the archive has them (``source``)."""
    return enrich_statement(dataclasses.replace(statement, body=body, enrichment=None),
                            source).enrichment


def remember(session: Session, fetch: Fetch) -> None:
    record_fetch(
        session,
        source=fetch.source,
        url=fetch.url,
        status=fetch.status,
        fetched_at=fetch.fetched_at,
        etag=fetch.etag,
        last_modified=fetch.last_modified,
    )


def archive_batch(
    session: Session,
    entries: Sequence[Statement | Fetch | Gone],
    *,
    remember_fetches: bool = True,
) -> Counter[str]:
    """Archive the statements, mark gone articles removed and record the
    fetches; return counts of outcomes (a 304 for an archived article counts
    as unchanged), of articles newly marked removed and of re-cleaned rows.

    ``remember_fetches=False`` (a replayed run) records no fetch and no
    takedown: a recording says nothing about what the site serves now.

    A statement's own enrichment and MinHash signature (made by its worker,
    ``processing.process_and_enrich``) are used when the text they were
    made of is the text stored; else they are made here.

    The statements are written together (``storage/bulk.py``), with the
    outcomes and rows that writing them one after the other would give;
    the syndication index comes last, so that its archive-wide lock
    (``storage.clusters.lock_index``) is held from there to the commit only.
    """
    counts: Counter[str] = Counter()
    by_source: dict[str, list[Statement]] = defaultdict(list)
    for entry in entries:
        if isinstance(entry, Statement):
            by_source[entry.source].append(entry)
            continue
        if not remember_fetches:
            continue
        if isinstance(entry, Gone):
            record_fetch(session, source=entry.source, url=entry.url, status=entry.status,
                         fetched_at=entry.seen_at)
            if mark_removed(session, entry.url, entry.reason, entry.seen_at):
                counts["removed"] += 1
            continue
        remember(session, entry)
        if entry.status == 304 and mark_seen(session, entry.page_url, entry.fetched_at):
            counts[Outcome.UNCHANGED.value] += 1
    if not by_source:
        return counts
    learned = learned_lines(session, by_source)
    # A local until the batch is written: the session's identity map keeps
    # rows weakly, and the write asks for each statement's source row
    # (``storage.lookup.canonical_alias``), a query each once they are gone.
    source_rows = load_sources(session, by_source)
    facts = {row.key: SimpleNamespace(kind=row.kind, country=row.country) for row in source_rows}
    # Grouped by source, as the lines learned are.
    ordered = [statement for batch in by_source.values() for statement in batch]
    bodies = [boilerplate.strip_lines(s.body, set(learned.get(s.source, ()))) for s in ordered]
    # A worker's signature and enrichment hold for the text they were made
    # of. The others are made here: on PostgreSQL while the rows are
    # written (``overlap``; a text found unchanged meanwhile is skipped).
    given = [s.signature if s.signature is not None and body == made_of(s) else ...
             for s, body in zip(ordered, bodies, strict=True)]
    threaded = session.get_bind().dialect.name == "postgresql"
    jobs: list[Callable[[], Ahead] | None] = []
    for statement, body, signature in zip(ordered, bodies, given, strict=True):
        sign = threaded and isinstance(signature, EllipsisType)
        enrich = threaded and not _holds(statement, body)
        jobs.append(partial(_ahead, statement, body, facts.get(statement.source), sign, enrich)
                    if sign or enrich else None)
    with Overlapped(jobs) as ahead:
        return _write_statements(session, counts, by_source, learned, ordered, bodies, given,
                                 ahead, facts, remember_fetches)


# A text's signature (``...`` when not made) and enrichment (None when not made).
Ahead = tuple[bytes | None | EllipsisType, object]


def _ahead(statement: Statement, body: str, source: object, sign: bool, enrich: bool) -> Ahead:
    return (text_signature(body) if sign else ...,
            _enrichment(statement, body, source) if enrich else None)


def _holds(statement: Statement, body: str) -> bool:
    """Whether the statement's own enrichment is that of ``body``."""
    return statement.enrichment is not None and body == made_of(statement)


def _write_statements(session: Session, counts: Counter[str],
                      by_source: dict[str, list[Statement]], learned: dict[str, dict[str, str]],
                      ordered: list[Statement], bodies: list[str],
                      given: list[bytes | None | EllipsisType], ahead: Overlapped[Ahead],
                      facts: dict[str, SimpleNamespace], remember_fetches: bool) -> Counter[str]:
    """``archive_batch`` from the statements' bodies as stored (learned
    lines stripped) on: rows, enrichment, fetches, line counts, re-cleaning,
    the syndication index."""
    def decided(outcomes: list[tuple[Outcome, str | None]]) -> None:
        # Texts found unchanged are not indexed again, nor enriched again
        # unless by older rules. (The outcomes of a batch that meets a
        # concurrent writer are settled again row by row: what the thread
        # left out is then made below.)
        ahead.release(n for n, (outcome, hash_) in enumerate(outcomes)
                      if outcome is Outcome.UNCHANGED and hash_ == enricher_hash())

    stored = store_articles(session, [
        Incoming({**{f.name: getattr(s, f.name) for f in dataclasses.fields(s)}, "body": body},
                 s.fetched_at, s.fetch.url if s.fetch else None)
        for s, body in zip(ordered, bodies, strict=True)], decided)
    for n, result in enumerate(stored):
        if result.outcome is Outcome.UNCHANGED and result.enricher_hash == enricher_hash():
            ahead.skip(n)  # not indexed or enriched again
    made = ahead.results()
    # The statements this batch wrote, for the rows newly learned chrome
    # re-cleans below: those can be enriched again at once.
    written: dict[int, Statement] = {}
    enriched: list[tuple[int, object, bool]] = []
    hashes: dict[int, str | None] = {}
    to_index: list[tuple[int, str, datetime, bool]] = []
    indexed: list[int] = []
    new_lines = []
    for n, (statement, body, result) in enumerate(zip(ordered, bodies, stored, strict=True)):
        counts[result.outcome.value] += 1
        new = result.outcome is Outcome.NEW
        if result.outcome is not Outcome.UNCHANGED:
            # A text seen before (or the same text under another URL of
            # the source) is indexed already.
            to_index.append((result.article_id, body, statement.fetched_at, new))
            indexed.append(n)
        if (result.outcome is not Outcome.UNCHANGED
                or hashes.setdefault(result.article_id, result.enricher_hash)
                != enricher_hash()):
            if _holds(statement, body):
                enrichment = statement.enrichment
            elif not isinstance(made[n], EllipsisType) and made[n][1] is not None:
                enrichment = made[n][1]
            else:
                enrichment = _enrichment(statement, body, facts.get(statement.source))
            enriched.append((result.article_id, enrichment, new))
            hashes[result.article_id] = enricher_hash()
            written[result.article_id] = statement
        if new:
            # Lines of the text as extracted, before learned ones went.
            new_lines.append((statement.source, boilerplate.candidate_lines(statement.body),
                              statement.fetched_at))
    store_enrichments(session, enriched, enricher_hash())
    if remember_fetches:
        record_fetches(session, [_fetch_values(s.fetch) for s in ordered if s.fetch is not None])
    # The new lines are counted as already written, and written last: two
    # writers meeting on a line's row wait on each other only for the
    # moment before a commit (a batch's line rows are the same few sources').
    recleaned = _reclean(session, by_source, learned, new_lines, written, facts, counts)
    signed_index = [made[n][0] if isinstance(given[n], EllipsisType)  # type: ignore[index]
                    and not isinstance(made[n], EllipsisType) else given[n] for n in indexed]
    for result in index_articles(session, to_index, signed_index):
        if result is not None and result.cluster_id is not None:
            counts["clustered"] += 1
    # Chrome gone from a text can change which texts it is near.
    index_articles(session, [(article_id, body, seen_at, False)
                             for article_id, body, seen_at in recleaned])
    record_line_counts(session, new_lines)
    return counts


def _fetch_values(fetch: Fetch) -> dict[str, object]:
    return {"source": fetch.source, "url": fetch.url, "status": fetch.status,
            "fetched_at": fetch.fetched_at, "etag": fetch.etag,
            "last_modified": fetch.last_modified}


def _reclean(session: Session, by_source: dict[str, list[Statement]],
             learned: dict[str, dict[str, str]],
             new_lines: list[tuple[str, dict[str, str], datetime]], written: dict[int, Statement],
             facts: dict[str, SimpleNamespace], counts: Counter[str]
             ) -> list[tuple[int, str, datetime]]:
    """Strip lines that became learned with this batch from the source's
    rows; return (id, body, seen_at) of each row changed, to index again."""
    # Only a source with a new article counted lines: only there can a line
    # have become learned.
    recleaned = []
    grew = {source for source, _, _ in new_lines}
    for source, lines in learned_lines(session, grew, new_lines).items():
        newly = {k: t for k, t in lines.items() if k not in learned.get(source, {})}
        if not newly:
            continue
        changed = rewrite_bodies(
            session, source, list(newly.values()),
            lambda body, keys=set(newly): boilerplate.strip_lines(body, keys),
        )
        counts["recleaned"] += len(changed)
        seen_at = by_source[source][-1].fetched_at
        session.flush()  # the new bodies, before the enrichment's updates
        bodies = dict(session.execute(
            select(Article.id, Article.body).where(Article.id.in_(changed))).all())
        redone = []
        for article_id in changed:
            recleaned.append((article_id, bodies[article_id], seen_at))
            if article_id in written:
                # (Older rows stay marked for re-enrichment: their page's
                # markup is not at hand.)
                statement = written[article_id]
                redone.append((article_id, _enrichment(statement, bodies[article_id],
                                                       facts.get(statement.source)), False))
        store_enrichments(session, redone, enricher_hash())
    return recleaned


logger = logging.getLogger(__name__)
T = TypeVar("T")
# PostgreSQL ends one of two transactions that wait on each other
# (deadlock_detected) or that it cannot serialise: with the index lock taken
# after a batch's row writes, two writers touching one article can meet so.
# The victim's transaction left nothing behind, so its batch is written again.
_TRY_AGAIN = frozenset({"40P01", "40001"})


def retried(write: Callable[[], T], attempts: int = 3) -> T:
    """``write()`` (one batch in one transaction), again when PostgreSQL
    chose it as a deadlock victim; any other error, or the last attempt's,
    is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except OperationalError as exc:
            code = getattr(getattr(exc, "orig", None), "sqlstate", None)
            if code not in _TRY_AGAIN or attempt == attempts:
                raise
            logger.warning("A batch was aborted by the database (%s); writing it again", code)
    raise AssertionError("unreachable")
