"""Attention over time: statements matching a query per day, week or month,
and their share of all statements of the period (``demarche trend``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    column,
    func,
    select,
    table,
)
from sqlalchemy.orm import Session

from reading.query_language import SearchQuery, parse_query
from reading.search import SearchFilters, filter_conditions, is_sqlite, matching
from storage.models import Article, SourceRow

PERIODS = ("day", "week", "month")
_ARTICLE_PERIODS = table("article_periods", column("article_id"), column("source"),
                         *(column(period) for period in PERIODS))


@dataclass(frozen=True)
class TrendPoint:
    period: str  # the period's first day (weeks start on Monday), ISO 8601
    source: str | None  # None: all sources together
    statements: int  # dated statements in the period
    matching: int  # of which the query matches
    share: float  # matching / statements: Media Cloud's "attention"


def trend(session: Session, query: SearchQuery | str, by: str = "day", *,
          source: str | None = None, since: date | None = None, until: date | None = None,
          per_source: bool = False, within: SearchFilters | None = None) -> list[TrendPoint]:
    """Statements matching the query per period (the ``article_periods``
    view), and their share of all statements of that period; periods with
    statements but no match are there with 0. ``within`` narrows both
    counts (the share of a speaker's or a type's statements)."""
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}, not {by!r}")
    if isinstance(query, str):
        query = parse_query(query)
    # Materialised: SQLite would otherwise run the full-text query again
    # for every row of the outer join.
    hits = matching(session, query).cte("hits").prefix_with("MATERIALIZED")
    periods = _ARTICLE_PERIODS
    keys = [periods.c[by]] + ([periods.c.source] if per_source else [])
    stmt = (select(*keys, func.count().label("statements"), func.count(hits.c.id).label("matching"))
            .select_from(periods.outerjoin(hits, hits.c.id == periods.c.article_id))
            .group_by(*keys).order_by(*keys))
    # SQLite's view gives days as ISO text, PostgreSQL's as dates.
    as_day = (lambda d: d.isoformat()) if is_sqlite(session) else (lambda d: d)
    if source:
        stmt = stmt.where(periods.c.source == source)
    if within is not None and (conditions := filter_conditions(within)):
        stmt = stmt.where(periods.c.article_id.in_(
            select(Article.id).join(SourceRow, SourceRow.key == Article.source)
            .where(*conditions)))
    if since:
        stmt = stmt.where(periods.c.day >= as_day(since))
    if until:
        stmt = stmt.where(periods.c.day <= as_day(until))
    return [
        TrendPoint(period=str(row[0]), source=row[1] if per_source else source,
                   statements=row.statements, matching=row.matching,
                   share=round(row.matching / row.statements, 4))
        for row in session.execute(stmt)
    ]
