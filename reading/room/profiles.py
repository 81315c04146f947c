"""The speaker, source and country pages: what one person said, what one
source published, what the archive says about one country.

Reading only: functions take a Session and write nothing. Counts over time
are per day here; ``reading.room.charts`` bins them for the chart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from reading.health import SourceHealth, source_health
from reading.room.countries import country_name
from storage.models import Article, Mention, Quote, SourceRow, Speaker

# Statements a page lists before it says "and N more" (search has them all).
LISTED = 50


@dataclass(frozen=True)
class Listed:
    """One statement in a list, with what the list is about."""

    id: int
    title: str
    source: str
    source_name: str
    published_at: datetime | None
    statement_type: str | None
    note: str = ""  # a role, a count of mentions


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


def per_day_counts(rows: Any) -> dict[str, dict[date, int]]:
    """(series, moment) rows as counts per series per day; undated rows
    are left out, as the charts of the report do."""
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for series, moment in rows:
        if (day := _day(moment)) is not None:
            counts[series or "unknown"][day] += 1
    return {name: dict(days) for name, days in counts.items()}


def listed(session: Session, stmt: Select[Any]) -> list[Listed]:
    """The statements a query selects (Article first, an optional note
    second), newest first, at most LISTED."""
    names = dict(session.execute(select(SourceRow.key, SourceRow.name)).all())
    order = (func.coalesce(Article.published_at, Article.first_seen_at).desc(), Article.id.desc())
    found = []
    for row in session.execute(stmt.order_by(*order).limit(LISTED)):
        article = row[0]
        found.append(Listed(article.id, article.title, article.source,
                            names.get(article.source, article.source), article.published_at,
                            article.statement_type, str(row[1]) if len(row) > 1 and row[1]
                            else ""))
    return found


@dataclass
class SpeakerPage:
    name: str
    roles: list[tuple[str, str]]  # (role, country name), most frequent first
    by_type: dict[str, int]
    per_day: dict[str, dict[date, int]]  # statement type -> day -> statements
    statements: list[Listed]
    total: int
    quotes: list[dict[str, Any]]


def speaker_page(session: Session, name: str) -> SpeakerPage | None:
    """Everything the archive holds of one speaker (exact name), or None."""
    spoke = select(Speaker.article_id).where(Speaker.name == name)
    total = session.scalar(select(func.count(func.distinct(Speaker.article_id)))
                           .where(Speaker.name == name)) or 0
    quoted = select(Quote.article_id, Quote.text, Quote.position).where(Quote.speaker == name)
    if not total and session.execute(quoted.limit(1)).first() is None:
        return None
    roles = [(role or "", country_name(country)) for role, country, _n in session.execute(
        select(Speaker.role, Speaker.country, func.count()).where(Speaker.name == name)
        .group_by(Speaker.role, Speaker.country).order_by(func.count().desc()))]
    in_types = session.execute(select(Article.statement_type, Article.published_at)
                               .where(Article.id.in_(spoke))).all()
    by_type: dict[str, int] = defaultdict(int)
    for kind, _at in in_types:
        by_type[kind or "unknown"] += 1
    titles = dict(session.execute(select(Article.id, Article.title).where(
        Article.id.in_(select(Quote.article_id).where(Quote.speaker == name)))).all())
    quotes = [{"article_id": article_id, "title": titles.get(article_id, ""), "text": text}
              for article_id, text, _p in session.execute(
                  quoted.order_by(Quote.article_id.desc(), Quote.position).limit(LISTED))]
    return SpeakerPage(
        name=name, roles=roles,
        by_type=dict(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
        per_day=per_day_counts(in_types),
        statements=listed(session, select(Article, Speaker.role).join(
            Speaker, Speaker.article_id == Article.id).where(Speaker.name == name)),
        total=total, quotes=quotes)


@dataclass
class SourcePage:
    source: SourceRow
    country_name: str
    per_day: dict[str, dict[date, int]]
    total: int
    health: SourceHealth
    newest: list[Listed]
    by_type: dict[str, int]


def source_page(session: Session, key: str, quiet_after: Mapping[str, int],
                now: datetime) -> SourcePage | None:
    source = session.get(SourceRow, key)
    if source is None:
        return None
    dated = session.execute(select(Article.source, Article.published_at)
                            .where(Article.source == key)).all()
    kind = func.coalesce(Article.statement_type, "unknown")
    by_type = dict(session.execute(
        select(kind, func.count()).where(Article.source == key).group_by(kind)
        .order_by(func.count().desc(), kind)).all())
    health = source_health(session, {key: quiet_after.get(key, 3)}, now)[0]
    return SourcePage(source, country_name(source.country), per_day_counts(dated), len(dated),
                      health, listed(session, select(Article).where(Article.source == key)),
                      by_type)


@dataclass
class CountryPage:
    code: str
    name: str
    per_day: dict[str, dict[date, int]]  # source name -> day -> statements naming it
    by_source: list[tuple[str, str, int]]  # (key, name, statements)
    total: int
    statements: list[Listed]
    speakers: list[tuple[str, int]]  # officials of the country, by statements


def country_page(session: Session, code: str) -> CountryPage | None:
    code = code.upper()
    names = dict(session.execute(select(SourceRow.key, SourceRow.name)).all())
    rows = session.execute(select(Article.source, Article.published_at).join(
        Mention, Mention.article_id == Article.id).where(Mention.country == code)).all()
    speakers = session.execute(
        select(Speaker.name, func.count(func.distinct(Speaker.article_id)))
        .where(Speaker.country == code).group_by(Speaker.name)
        .order_by(func.count(func.distinct(Speaker.article_id)).desc(), Speaker.name)
        .limit(20)).all()
    if not rows and not speakers:
        return None
    by_source: dict[str, int] = defaultdict(int)
    for source, _at in rows:
        by_source[source] += 1
    return CountryPage(
        code=code, name=country_name(code),
        per_day=per_day_counts((names.get(s, s), at) for s, at in rows),
        by_source=sorted(((k, names.get(k, k), n) for k, n in by_source.items()),
                         key=lambda t: (-t[2], t[1])),
        total=len(rows),
        statements=listed(session, select(Article, Mention.count).join(
            Mention, Mention.article_id == Article.id).where(Mention.country == code)),
        speakers=list(speakers))
