"""The reading room's home page: what the archive holds, as ways in (its
sources, speakers, countries, newest statements and a search box) rather
than a list of table names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reading.room.countries import country_name
from reading.room.profiles import Listed, listed, per_day_counts
from storage.models import Article, Mention, SourceRow, Speaker

# Entries of each "most" list on the home page.
TOP = 10


@dataclass
class HomePage:
    total: int
    sources: list[tuple[str, str, str, int]]  # (key, name, country name, statements)
    speakers: list[tuple[str, int]]
    countries: list[tuple[str, str, int]]  # (code, name, statements naming it)
    newest: list[Listed]
    per_day: dict[str, dict[date, int]]


def home_page(session: Session) -> HomePage:
    counts = dict(session.execute(select(Article.source, func.count())
                                  .group_by(Article.source)).all())
    sources = [(key, name, country_name(country), counts.get(key, 0))
               for key, name, country in session.execute(
                   select(SourceRow.key, SourceRow.name, SourceRow.country)
                   .order_by(SourceRow.name))]
    statements = func.count(func.distinct(Speaker.article_id))
    speakers: list[Any] = session.execute(
        select(Speaker.name, statements).group_by(Speaker.name)
        .order_by(statements.desc(), Speaker.name).limit(TOP)).all()
    naming = func.count(Mention.article_id)
    countries = [(code, country_name(code), n) for code, n in session.execute(
        select(Mention.country, naming).group_by(Mention.country)
        .order_by(naming.desc(), Mention.country).limit(TOP))]
    names = {key: name for key, name, _c, _n in sources}
    dated = session.execute(select(Article.source, Article.published_at)).all()
    return HomePage(
        total=sum(counts.values()), sources=sources, speakers=list(speakers),
        countries=countries, newest=listed(session, select(Article))[:TOP],
        per_day=per_day_counts((names.get(s, s), at) for s, at in dated))
