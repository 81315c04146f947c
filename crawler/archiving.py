"""How a batch of clean statements enters the archive, in the caller's
transaction: chrome learned from the source is stripped, the row is
upserted, and a new article's candidate lines are counted. When a line
becomes learned, it is also stripped from the source's older articles, so
that every article of the source is cleaned the same way."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict

from sqlalchemy.orm import Session

from crawler.extraction import boilerplate
from crawler.items import Statement
from storage.archive import Outcome, archive_article
from storage.boilerplate import article_count, line_counts, record_lines, rewrite_bodies


def learned_lines(session: Session, source: str) -> dict[str, str]:
    total = article_count(session, source)
    return {
        key: text
        for key, (text, pages) in line_counts(session, source, boilerplate.MIN_PAGES).items()
        if boilerplate.is_learned(pages, total)
    }


def archive_batch(session: Session, statements: list[Statement]) -> Counter[str]:
    """Archive the statements; return counts of outcomes and of re-cleaned rows."""
    counts: Counter[str] = Counter()
    by_source: dict[str, list[Statement]] = defaultdict(list)
    for statement in statements:
        by_source[statement.source].append(statement)
    for source, batch in by_source.items():
        learned = learned_lines(session, source)
        for statement in batch:
            candidates = boilerplate.candidate_lines(statement.body)
            fields = dataclasses.asdict(statement)
            fields["body"] = boilerplate.strip_lines(statement.body, set(learned))
            outcome = archive_article(session, fields, seen_at=statement.fetched_at)
            counts[outcome.value] += 1
            if outcome is Outcome.NEW:
                record_lines(session, source, candidates, statement.fetched_at)
        newly = {k: t for k, t in learned_lines(session, source).items() if k not in learned}
        if newly:
            keys = set(newly)
            counts["recleaned"] += rewrite_bodies(
                session, source, list(newly.values()),
                lambda body, keys=keys: boilerplate.strip_lines(body, keys),
            )
    return counts
