"""Per-source counts of candidate chrome lines (``boilerplate_lines``).

The caller computes line keys and decides thresholds
(``crawler/extraction/boilerplate.py``); these functions only count, look
up and rewrite. They take a Session and do not commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.archive import content_hash, dialect_insert
from storage.models import Article, BoilerplateLine


def record_lines(session: Session, source: str, lines: Mapping[str, str], seen_at: datetime) -> None:
    """Count one more article for each line (key -> text)."""
    if not lines:
        return
    # One statement for all lines, run once per row by the driver: built
    # per line, SQLAlchemy's statement construction costs more than SQLite.
    stmt = dialect_insert(session)(BoilerplateLine)
    stmt = stmt.on_conflict_do_update(
        index_elements=[BoilerplateLine.source, BoilerplateLine.line_key],
        set_={"pages": BoilerplateLine.pages + 1, "last_seen_at": stmt.excluded.last_seen_at},
    )
    session.execute(stmt, [
        {"source": source, "line_key": key, "text": text, "pages": 1,
         "first_seen_at": seen_at, "last_seen_at": seen_at}
        for key, text in lines.items()
    ])


def line_counts(session: Session, source: str, min_pages: int) -> dict[str, tuple[str, int]]:
    rows = session.execute(
        select(BoilerplateLine.line_key, BoilerplateLine.text, BoilerplateLine.pages).where(
            BoilerplateLine.source == source, BoilerplateLine.pages >= min_pages
        )
    )
    return {key: (text, pages) for key, text, pages in rows}


def article_count(session: Session, source: str) -> int:
    return session.scalar(select(func.count()).select_from(Article).where(Article.source == source)) or 0


def rewrite_bodies(
    session: Session, source: str, containing: list[str], rewrite: Callable[[str], str]
) -> int:
    """Apply ``rewrite`` to the bodies of the source's articles that contain
    any of the given texts; return how many rows changed."""
    if not containing:
        return 0
    query = select(Article).where(
        Article.source == source, or_(*(Article.body.contains(t, autoescape=True) for t in containing))
    )
    changed = 0
    for article in session.scalars(query):
        body = rewrite(article.body)
        if body != article.body:
            article.body = body
            article.content_hash = content_hash(article.title, body)
            changed += 1
    return changed
