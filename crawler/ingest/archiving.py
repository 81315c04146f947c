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
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from crawler.extraction import boilerplate
from crawler.ingest.processing import enrich_statement, enricher_hash
from crawler.items import Fetch, Gone, Statement
from storage.archive import Outcome, mark_removed, mark_seen, store_article
from storage.boilerplate import article_count, line_counts, record_lines, rewrite_bodies
from storage.clusters import index_article, lock_index
from storage.fetch_state import record_fetch
from storage.models import Article, SourceRow
from storage.statements import store_enrichment


def learned_lines(session: Session, sources: Collection[str]) -> dict[str, dict[str, str]]:
    """Each source's learned chrome (line key -> text); a source without
    any is left out. One query for all: an import's batch holds hundreds of
    sites."""
    learned = {}
    # Most sources, most of the time, have no line counted often enough:
    # their articles need no counting.
    for source, counts in line_counts(session, sources, boilerplate.MIN_PAGES).items():
        total = article_count(session, source)
        lines = {key: text for key, (text, pages) in counts.items()
                 if boilerplate.is_learned(pages, total)}
        if lines:
            learned[source] = lines
    return learned


def _enrichment(session: Session, statement: Statement, body: str):  # type: ignore[no-untyped-def]
    """The enrichment of ``statement`` with ``body``, the text as stored,
    for its source's kind and country as the archive has them."""
    return enrich_statement(dataclasses.replace(statement, body=body, enrichment=None),
                            session.get(SourceRow, statement.source)).enrichment


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
    """
    counts: Counter[str] = Counter()
    by_source: dict[str, list[Statement]] = defaultdict(list)
    if any(isinstance(entry, Statement) for entry in entries):
        # Before any row is written (fetches, a 304's article): a process
        # holding the syndication index's lock never waits on row locks of
        # one waiting for it.
        lock_index(session)
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
    learned = learned_lines(session, by_source)
    grew: set[str] = set()
    # The statements this batch wrote, for the rows newly learned chrome
    # re-cleans below: those can be enriched again at once.
    written: dict[int, Statement] = {}
    for source, batch in by_source.items():
        keys = set(learned.get(source, ()))
        for statement in batch:
            # Shallow: asdict would deep-copy the enrichment too.
            fields = {f.name: getattr(statement, f.name) for f in dataclasses.fields(statement)}
            fields["body"] = boilerplate.strip_lines(statement.body, keys)
            outcome, article_id = store_article(
                session, fields, seen_at=statement.fetched_at,
                requested_url=statement.fetch.url if statement.fetch else None,
            )
            counts[outcome.value] += 1
            if outcome is not Outcome.UNCHANGED:
                # A text seen before (or the same text under another URL of
                # the source) is indexed already.
                result = index_article(session, article_id, fields["body"], statement.fetched_at,
                                       new=outcome is Outcome.NEW)
                if result is not None and result.cluster_id is not None:
                    counts["clustered"] += 1
            # (An unchanged article is loaded already: its hash costs no query.)
            if (outcome is not Outcome.UNCHANGED
                    or session.get(Article, article_id).enricher_hash != enricher_hash()):
                enrichment = statement.enrichment or _enrichment(session, statement,
                                                                 fields["body"])
                store_enrichment(session, article_id, enrichment, enricher_hash(),
                                 new=outcome is Outcome.NEW)
                written[article_id] = statement
            if statement.fetch is not None and remember_fetches:
                remember(session, statement.fetch)
            if outcome is Outcome.NEW:
                # Lines of the text as extracted, before learned ones went.
                record_lines(session, source, boilerplate.candidate_lines(statement.body),
                             statement.fetched_at)
                grew.add(source)
    # Only a source with a new article counted lines: only there can a line
    # have become learned.
    for source, lines in learned_lines(session, grew).items():
        newly = {k: t for k, t in lines.items() if k not in learned.get(source, {})}
        if not newly:
            continue
        recleaned = rewrite_bodies(
            session, source, list(newly.values()),
            lambda body, keys=set(newly): boilerplate.strip_lines(body, keys),
        )
        counts["recleaned"] += len(recleaned)
        seen_at = by_source[source][-1].fetched_at
        for article_id in recleaned:
            # Chrome gone from a text can change which texts it is near.
            article = session.get(Article, article_id)
            assert article is not None
            index_article(session, article_id, article.body, seen_at)
            if article_id in written:
                # (Older rows stay marked for re-enrichment: their page's
                # markup is not at hand.)
                store_enrichment(session, article_id,
                                 _enrichment(session, written[article_id], article.body),
                                 enricher_hash())
                article.enricher_hash = enricher_hash()
    return counts
