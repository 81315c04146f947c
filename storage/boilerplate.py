"""Per-source counts of candidate chrome lines (``boilerplate_lines``).

The caller computes line keys and decides thresholds
(``crawler/extraction/boilerplate.py``); these functions only count, look
up and rewrite. They take a Session and do not commit.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from storage.archive import content_hash
from storage.bounds import fit_row
from storage.dialects import dialect_insert
from storage.models import Article, BoilerplateLine


def record_lines(session: Session, source: str, lines: Mapping[str, str], seen_at: datetime) -> None:
    """Count one more article for each line (key -> text)."""
    if not lines:
        return
    # One statement for all lines, run once per row by the driver: built
    # per line, SQLAlchemy's statement construction costs more than SQLite.
    stmt = dialect_insert(session)(BoilerplateLine.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=[BoilerplateLine.source, BoilerplateLine.line_key],
        set_={"pages": BoilerplateLine.pages + 1, "last_seen_at": stmt.excluded.last_seen_at},
    )
    session.execute(stmt, [
        fit_row(BoilerplateLine, {"source": source, "line_key": key, "text": text, "pages": 1,
                                  "first_seen_at": seen_at, "last_seen_at": seen_at}, source)
        for key, text in lines.items()
    ])


# Built once: the write path asks both for every batch.
_LINE_COUNTS = select(BoilerplateLine.source, BoilerplateLine.line_key, BoilerplateLine.text,
                      BoilerplateLine.pages).where(
    BoilerplateLine.source.in_(bindparam("sources", expanding=True)),
    BoilerplateLine.pages >= bindparam("min_pages"))
_ARTICLE_COUNT = select(func.count()).select_from(Article).where(
    Article.source == bindparam("source"))


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


def article_count(session: Session, source: str) -> int:
    return session.scalar(_ARTICLE_COUNT, {"source": source}) or 0


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
