"""Search with facets for the reading room: the hits of a query in the
language of ``demarche search`` (or the newest statements when there is
none), narrowed by source, speaker, type, country, mentioned country,
language and year, with how many statements each value of each facet has.

Ranking, snippets and filters are ``reading/search.py``'s; this module adds
the facet counts and the trend of the query (``reading/trend.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, extract, func, select
from sqlalchemy.orm import Session

from reading.query_language import SearchSyntaxError, parse_query
from reading.report import MAX_BARS
from reading.room.countries import country_name
from reading.search import SearchFilters, SearchHit, filter_conditions, matching, search
from reading.trend import TrendPoint, trend
from storage.models import Article, Mention, SourceRow, Speaker

HITS = 50
# Values each facet lists, most frequent first.
FACET_VALUES = 12
# Query parameters of the search page, in the order the facets are shown.
FACETS = ("source", "speaker", "type", "country", "mentions", "language", "year")
LABELS = {"source": "Source", "speaker": "Speaker", "type": "Type",
          "country": "Country of the source", "mentions": "Countries named",
          "language": "Language", "year": "Year"}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    chosen: bool


@dataclass
class SearchPage:
    query: str
    chosen: dict[str, str]
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    trend: list[TrendPoint] = field(default_factory=list)
    error: str = ""
    names: dict[str, str] = field(default_factory=dict)  # source key -> name


def filters_of(chosen: dict[str, str]) -> SearchFilters:
    """The search filters of the page's query parameters; a year is the
    span from its 1 January to its 31 December."""
    filters = SearchFilters(
        source=chosen.get("source") or None, speaker=chosen.get("speaker") or None,
        statement_type=chosen.get("type") or None, country=chosen.get("country") or None,
        mentions=chosen.get("mentions") or None, language=chosen.get("language") or None)
    year = chosen.get("year", "")
    if year.isdigit():
        filters = replace(filters, since=date(int(year), 1, 1), until=date(int(year), 12, 31))
    return filters


def _facet(session: Session, ids: Any, key: ColumnElement[Any], joins: Any,
           chosen: str | None, label: Any = None) -> list[FacetValue]:
    stmt = select(key.label("value"), func.count(func.distinct(Article.id)).label("n"))
    stmt = joins(stmt.select_from(Article)).where(Article.id.in_(ids), key.is_not(None))
    stmt = stmt.group_by(key).order_by(func.count(func.distinct(Article.id)).desc(), key)
    values = [FacetValue(str(v), (label or str)(v), n, str(v) == chosen)
              for v, n in session.execute(stmt.limit(FACET_VALUES))]
    return values


def _dated_trend(session: Session, query: str, filters: SearchFilters) -> list[TrendPoint]:
    for by in ("day", "week", "month"):
        points = trend(session, query, by, within=filters)
        if len(points) <= MAX_BARS:
            break
    return points


def search_page(session: Session, query: str, chosen: dict[str, str]) -> SearchPage:
    chosen = {k: v for k, v in chosen.items() if k in FACETS and v}
    filters = filters_of(chosen)
    page = SearchPage(query=query, chosen=chosen, hits=[], total=0)
    conditions = filter_conditions(filters)
    ids = select(Article.id).join(SourceRow, SourceRow.key == Article.source).where(*conditions)
    if query.strip():
        try:
            parsed = parse_query(query)
        except SearchSyntaxError as exc:
            page.error = str(exc)
            return page
        ids = ids.where(Article.id.in_(select(matching(session, parsed).subquery().c.id)))
        page.hits = search(session, parsed, filters, limit=HITS)
        page.trend = _dated_trend(session, query, filters)
    else:
        newest = session.scalars(select(Article).where(Article.id.in_(ids)).order_by(
            func.coalesce(Article.published_at, Article.first_seen_at).desc(),
            Article.id.desc()).limit(HITS))
        # No query, no snippet to cut: the opening of the text stands in.
        page.hits = [SearchHit(n, 0.0, a.id, a.source, a.published_at, a.language, a.title,
                               a.url, a.body[:220] + ("\u2026" if len(a.body) > 220 else ""))
                     for n, a in enumerate(newest, start=1)]
    page.total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    names = dict(session.execute(select(SourceRow.key, SourceRow.name)).all())
    page.names = names
    plain = lambda stmt: stmt  # noqa: E731
    main_speaker = lambda stmt: stmt.join(Speaker, Speaker.article_id == Article.id)  # noqa: E731
    page.facets = {
        "source": _facet(session, ids, Article.source, plain, chosen.get("source"),
                         lambda k: names.get(k, k)),
        "speaker": _facet(session, ids, Speaker.name, main_speaker, chosen.get("speaker")),
        "type": _facet(session, ids, Article.statement_type, plain, chosen.get("type")),
        "country": _facet(session, ids, SourceRow.country,
                          lambda s: s.join(SourceRow, SourceRow.key == Article.source),
                          chosen.get("country"), country_name),
        "mentions": _facet(session, ids, Mention.country,
                           lambda s: s.join(Mention, Mention.article_id == Article.id),
                           chosen.get("mentions"), country_name),
        "language": _facet(session, ids, Article.language, plain, chosen.get("language")),
        "year": _facet(session, ids, extract("year", Article.published_at), plain,
                       chosen.get("year")),
    }
    return page
