"""How a batch of clean statements enters the archive, in the caller's
transaction: chrome learned from the source is stripped, the row is
upserted, a new or changed text is indexed for syndication and enriched
(``crawler/enrich``, from the text as stored), and a new article's
candidate lines are counted. When a line becomes learned, it is also
stripped from the source's older articles, so that every article of the
source is cleaned the same way; those rows are enriched again by the next
``demarche reextract``.

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
from collections.abc import Sequence

from sqlalchemy.orm import Session

from crawler.extraction import boilerplate
from crawler.items import Fetch, Gone, Statement
from crawler.processing import enrich_statement, enricher_hash
from storage.archive import Outcome, mark_removed, mark_seen, store_article
from storage.boilerplate import article_count, line_counts, record_lines, rewrite_bodies
from storage.clusters import index_article, lock_index
from storage.fetch_state import record_fetch
from storage.models import Article, SourceRow
from storage.statements import store_enrichment


def learned_lines(session: Session, source: str) -> dict[str, str]:
    counts = line_counts(session, source, boilerplate.MIN_PAGES)
    if not counts:
        return {}  # most sources, most of the time: no need to count articles
    total = article_count(session, source)
    return {key: text for key, (text, pages) in counts.items()
            if boilerplate.is_learned(pages, total)}


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
    for source, batch in by_source.items():
        learned = learned_lines(session, source)
        grew = False
        for statement in batch:
            # Shallow: asdict would deep-copy the enrichment too.
            fields = {f.name: getattr(statement, f.name) for f in dataclasses.fields(statement)}
            fields["body"] = boilerplate.strip_lines(statement.body, set(learned))
            outcome, article_id = store_article(
                session, fields, seen_at=statement.fetched_at,
                requested_url=statement.fetch.url if statement.fetch else None,
            )
            counts[outcome.value] += 1
            if outcome is not Outcome.UNCHANGED:
                # A text seen before (or the same text under another URL of
                # the source) is indexed already.
                result = index_article(session, article_id, fields["body"], statement.fetched_at)
                if result is not None and result.cluster_id is not None:
                    counts["clustered"] += 1
            # (An unchanged article is loaded already: its hash costs no query.)
            if (outcome is not Outcome.UNCHANGED
                    or session.get(Article, article_id).enricher_hash != enricher_hash()):
                enrichment = statement.enrichment or enrich_statement(
                    dataclasses.replace(statement, body=fields["body"]),
                    session.get(SourceRow, source)).enrichment
                store_enrichment(session, article_id, enrichment, enricher_hash(),
                                 new=outcome is Outcome.NEW)
            if statement.fetch is not None and remember_fetches:
                remember(session, statement.fetch)
            if outcome is Outcome.NEW:
                # Lines of the text as extracted, before learned ones went.
                record_lines(session, source, boilerplate.candidate_lines(statement.body),
                             statement.fetched_at)
                grew = True
        if not grew:
            continue  # no new article: no line counted, none newly learned
        newly = {k: t for k, t in learned_lines(session, source).items() if k not in learned}
        if newly:
            keys = set(newly)
            recleaned = rewrite_bodies(
                session, source, list(newly.values()),
                lambda body, keys=keys: boilerplate.strip_lines(body, keys),
            )
            counts["recleaned"] += len(recleaned)
            for article_id in recleaned:
                # Chrome gone from a text can change which texts it is near.
                article = session.get(Article, article_id)
                assert article is not None
                index_article(session, article_id, article.body, batch[-1].fetched_at)
    return counts
