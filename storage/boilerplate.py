"""Per-source counts of candidate chrome lines (``boilerplate_lines``).

The caller computes line keys and decides thresholds
(``crawler/extraction/boilerplate.py``); these functions only count, look
up and rewrite. They take a Session and do not commit.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from storage.archive import content_hash
from storage.bounds import fit_row
from storage.dialects import dialect_insert
from storage.models import Article, BoilerplateLine


def record_lines(session: Session, source: str, lines: Mapping[str, str], seen_at: datetime) -> None:
    """Count one more article for each line (key -> text)."""
    record_line_counts(session, [(source, lines, seen_at)])


def record_line_counts(session: Session,
                       articles: Sequence[tuple[str, Mapping[str, str], datetime]]) -> None:
    """``record_lines`` for each (source, lines, seen_at) in order, with one
    statement: a line on several of the articles is counted that many times
    at once (its first text and first sighting kept, its last sighting the
    last article's)."""
    counted: dict[tuple[str, str], dict[str, Any]] = {}
    for source, lines, seen_at in articles:
        for key, text in lines.items():
            row = counted.get((source, key))
            if row is None:
                counted[(source, key)] = fit_row(BoilerplateLine, {
                    "source": source, "line_key": key, "text": text, "pages": 1,
                    "first_seen_at": seen_at, "last_seen_at": seen_at}, source)
            else:
                row["pages"] += 1
                row["last_seen_at"] = seen_at
    if not counted:
        return
    # One statement for all lines, run once per row by the driver: built
    # per line, SQLAlchemy's statement construction costs more than SQLite.
    stmt = dialect_insert(session)(BoilerplateLine.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=[BoilerplateLine.source, BoilerplateLine.line_key],
        set_={"pages": BoilerplateLine.pages + stmt.excluded.pages,
              "last_seen_at": stmt.excluded.last_seen_at},
    )
    # In key order: two writers lock the rows in the same order.
    session.execute(stmt, [counted[key] for key in sorted(counted)])


# Built once: the write path asks both for every batch.
_LINE_COUNTS = select(BoilerplateLine.source, BoilerplateLine.line_key, BoilerplateLine.text,
                      BoilerplateLine.pages).where(
    BoilerplateLine.source.in_(bindparam("sources", expanding=True)),
    BoilerplateLine.pages >= bindparam("min_pages"))
_LINE_PAGES = select(BoilerplateLine.source, BoilerplateLine.line_key, BoilerplateLine.text,
                     BoilerplateLine.pages).where(
    BoilerplateLine.source.in_(bindparam("sources", expanding=True)),
    BoilerplateLine.line_key.in_(bindparam("keys", expanding=True)))
_ARTICLE_COUNT = select(func.count()).select_from(Article).where(
    Article.source == bindparam("source"))
_ARTICLE_COUNTS = (select(Article.source, func.count()).where(
    Article.source.in_(bindparam("sources", expanding=True))).group_by(Article.source))


def line_counts(session: Session, sources: Collection[str], min_pages: int
                ) -> dict[str, dict[str, tuple[str, int]]]:
    """Per source, its lines counted on at least ``min_pages`` articles:
    key -> (text, pages). Sources with none are left out."""
    found: dict[str, dict[str, tuple[str, int]]] = {}
    names = sorted(sources)
    # In chunks: a re-extraction asks for every source of the archive, and
    # a statement's parameters are limited (SQLite: 32,766).
    for start in range(0, len(names), 500):
        rows = session.execute(_LINE_COUNTS, {"sources": names[start:start + 500],
                                              "min_pages": min_pages})
        for source, key, text, pages in rows:
            found.setdefault(source, {})[key] = (text, pages)
    return found


def line_pages(session: Session, wanted: Mapping[str, Collection[str]]
               ) -> dict[tuple[str, str], tuple[str, int]]:
    """(source, key) -> (text, pages) of the given lines of each source that
    are counted already; one query for a batch's few hundred lines."""
    found: dict[tuple[str, str], tuple[str, int]] = {}
    sources = sorted(wanted)
    keys = sorted({key for lines in wanted.values() for key in lines})
    # (Sources and keys apart, the rows of a key on another source than
    # the one that asked are left out here.)
    for start in range(0, len(keys), 500):
        for first in range(0, len(sources), 500):
            rows = session.execute(_LINE_PAGES, {"sources": sources[first:first + 500],
                                                 "keys": keys[start:start + 500]})
            found.update(((source, key), (text, pages)) for source, key, text, pages in rows
                         if key in wanted[source])
    return found


def article_count(session: Session, source: str) -> int:
    return session.scalar(_ARTICLE_COUNT, {"source": source}) or 0


def article_counts(session: Session, sources: Collection[str]) -> dict[str, int]:
    """``article_count`` of each source, in one query (a source with no
    article is left out)."""
    names = sorted(sources)
    counts: dict[str, int] = {}
    for start in range(0, len(names), 500):
        rows = session.execute(_ARTICLE_COUNTS, {"sources": names[start:start + 500]})
        counts.update((source, count) for source, count in rows)
    return counts


def rewrite_bodies(
    session: Session, source: str, containing: list[str], rewrite: Callable[[str], str]
) -> list[int]:
    """Apply ``rewrite`` to the bodies of the source's articles that contain
    any of the given texts; return the ids of the rows that changed. Their
    enrichment was made from the old text: it is marked stale, for
    ``demarche reextract`` to redo."""
    if not containing:
        return []
    query = select(Article).where(
        Article.source == source, or_(*(Article.body.contains(t, autoescape=True) for t in containing))
    )
    changed = []
    for article in session.scalars(query):
        body = rewrite(article.body)
        if body != article.body:
            article.body = body
            article.content_hash = content_hash(article.title, body)
            article.enricher_hash = None
            changed.append(article.id)
    return changed
