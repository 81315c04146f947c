"""Full-text search of the archive: one query language, two backends.

A query (``reading/query_language.py``) is run as an FTS5 ``MATCH``
(SQLite) or a tsquery (PostgreSQL) over the index that migration 0004 keeps
in step with ``articles``.

Ranking. SQLite: BM25 (FTS5's ``bm25()``); PostgreSQL: ``ts_rank_cd``
(cover density: words close together count more) over each document's own
language configuration. The body weighs four times the title on both: the
body is the statement, the title the publisher's label (a date for
briefings, an agency's paraphrase), and BM25 already makes one hit in a
short title count as much as several in a long body. Weighed equally, the
demo's agency item headlined "Moscow Says Annan Plan Deadline..." outranks,
for "Annan plan", the statement that explains the plan (the seed article);
at four to one the statement comes first on both backends. On SQLite, bare
words next to each other also score as a phrase (on the demo, plain BM25
put the seed last of six: every statement that week names Annan and a
plan, so the words' IDF is nil), which ``ts_rank_cd`` does by itself.
Snippets are cut from the raw text in Python (see ``snippet``).
"""


from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    false,
    func,
    literal_column,
    select,
    table,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from reading.query_language import SearchQuery, Term, fts5, parse_query
from reading.snippets import snippet
from storage.models import Article, Mention, SourceRow, Speaker

# Title and body weights: see the module docstring.
TITLE_WEIGHT, BODY_WEIGHT = 0.25, 1.0
# ts_rank_cd weights for labels {D, C, B, A}; titles are indexed as B, bodies as A.
_PG_WEIGHTS = "{0, 0, 0.25, 1}"


@dataclass(frozen=True)
class SearchFilters:
    source: str | None = None
    country: str | None = None
    language: str | None = None
    since: date | None = None  # published on or after this day (UTC)
    until: date | None = None  # published on or before this day (UTC)
    speaker: str | None = None  # part of a speaker's name, any case
    statement_type: str | None = None
    mentions: str | None = None  # a country the text names (ISO 3166 alpha-2)


@dataclass(frozen=True)
class SearchHit:
    rank: int
    score: float
    id: int
    source: str
    published_at: datetime | None
    language: str | None
    title: str
    url: str
    snippet: str


_FTS = table("article_search", column("rowid"))
_PG_INDEX = table("article_search", column("article_id"), column("config"),
                  column("document"))


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _fts_match(expression: str) -> ColumnElement[bool]:
    return literal_column("article_search").op("MATCH")(expression)


def _bm25() -> ColumnElement[float]:
    # bm25() is lower for better matches; negated, higher is better, as on PostgreSQL.
    return -func.bm25(literal_column("article_search"), TITLE_WEIGHT, BODY_WEIGHT)


# The text search configurations in use: a loose index scan on
# ix_article_search_config (one probe per configuration), not a table scan.
_PG_CONFIGS = sql_text("""
    WITH RECURSIVE c(config) AS (
        SELECT min(config) FROM article_search
        UNION ALL
        SELECT (SELECT min(config) FROM article_search WHERE config > c.config)
        FROM c WHERE c.config IS NOT NULL)
    SELECT config FROM c WHERE config IS NOT NULL""")


def _pg_configs(session: Session) -> list[str]:
    return list(session.scalars(_PG_CONFIGS))


def matching(session: Session, query: SearchQuery, *, scored: bool = False) -> Select[Any]:
    """SELECT id [, score] of every article the query matches."""
    if is_sqlite(session):
        score = [_bm25().label("score")] if scored else []
        return select(_FTS.c.rowid.label("id"), *score).where(_fts_match(query.fts5()))
    branches = []
    for config in _pg_configs(session):
        tsquery = query.tsquery(config)
        # Normalisation 1 divides by 1 + log(length): a long briefing that
        # names a subject in passing does not outrank a statement about it.
        score = [func.ts_rank_cd(literal_column(f"'{_PG_WEIGHTS}'::float4[]"),
                                 _PG_INDEX.c.document, tsquery, 1).label("score")] if scored else []
        branches.append(select(_PG_INDEX.c.article_id.label("id"), *score)
                        .where(_PG_INDEX.c.config == config,
                               _PG_INDEX.c.document.op("@@")(tsquery)))
    if not branches:
        score = [literal_column("0.0").label("score")] if scored else []
        return select(literal_column("0").label("id"), *score).where(false())
    return branches[0] if len(branches) == 1 else union_all(*branches)  # type: ignore[return-value]


def filter_conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``Article`` (and ``SourceRow`` for a country)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.source:
        conditions.append(Article.source == filters.source)
    if filters.language:
        conditions.append(Article.language == filters.language)
    if filters.country:
        conditions.append(SourceRow.country == filters.country.upper())
    if filters.speaker:
        conditions.append(Article.id.in_(select(Speaker.article_id).where(
            func.lower(Speaker.name).contains(filters.speaker.strip().lower(),
                                              autoescape=True))))
    if filters.statement_type:
        conditions.append(Article.statement_type == filters.statement_type)
    if filters.mentions:
        conditions.append(Article.id.in_(select(Mention.article_id).where(
            Mention.country == filters.mentions.strip().upper())))
    if filters.since:
        conditions.append(Article.published_at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        day_after = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        conditions.append(Article.published_at < day_after)
    return conditions


def search(session: Session, query: SearchQuery | str, filters: SearchFilters = SearchFilters(),
           limit: int = 20) -> list[SearchHit]:
    """The best ``limit`` articles for the query, best first, each with a
    snippet of its body around the matches (marked ``**like this**``)."""
    if isinstance(query, str):
        query = parse_query(query)
    hits = matching(session, query, scored=True).subquery("hits")
    score: ColumnElement[float] = hits.c.score
    ranked = select(hits.c.id)
    if is_sqlite(session) and (phrases := _fts5_phrases(query)):
        boost = (select(_FTS.c.rowid.label("id"), _bm25().label("score"))
                 .where(_fts_match(phrases)).cte("boost").prefix_with("MATERIALIZED"))
        ranked = ranked.outerjoin(boost, boost.c.id == hits.c.id)
        score = score + func.coalesce(boost.c.score, 0.0)
    ranked = ranked.add_columns(score.label("score"))
    # Articles are read for filters only: a row lookup per match doubles
    # the time of a search that matches thousands (make bench-search).
    # Ties go to the later archived.
    if conditions := filter_conditions(filters):
        ranked = ranked.join(Article, Article.id == hits.c.id).where(*conditions)
        if filters.country:
            ranked = ranked.join(SourceRow, SourceRow.key == Article.source)
    ranked = ranked.order_by(score.desc(), hits.c.id.desc())
    top = session.execute(ranked.limit(limit)).all()
    if not top:
        return []
    articles = {a.id: a for a in session.scalars(
        select(Article).where(Article.id.in_([row.id for row in top])))}
    loose = not is_sqlite(session)
    hits_found = []
    for n, row in enumerate(top, start=1):
        article = articles[row.id]
        hits_found.append(SearchHit(
            rank=n, score=float(f"{float(row.score):.6g}"),  # (BM25 scores can be tiny)
            id=row.id, source=article.source,
            published_at=article.published_at, language=article.language, title=article.title,
            url=article.url, snippet=snippet(_searched(article), query, loose=loose)))
    return hits_found


def _searched(article: Article) -> str:
    """The text a snippet is cut from: the standfirst (indexed with the
    title, migration 0014) and the body, so a hit on the summary shows it."""
    return "\n\n".join(filter(None, (article.standfirst, article.body)))


def _fts5_phrases(query: SearchQuery) -> str:
    return " OR ".join(fts5(Term(phrase)) for phrase in query.proximity_phrases())
